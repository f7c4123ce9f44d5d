"""The long connection's frames and endpoint: byte-compatible with the official SDK's compiled pbbp2.Frame, and
the endpoint's answers and refusals read as the SDK reads them."""

from __future__ import annotations

import asyncio

import pytest
from lark_oapi.ws.pb.pbbp2_pb2 import Frame as SdkFrame

from cardbot.config import LarkSecrets
from cardbot.longconn import ClientConfig, LongConnection, Refused, Unavailable, fetch_endpoint
from cardbot.longconn.frames import (CONTROL, DATA, Frame, FrameError, control_frame, data_frame, header,
                                     parse_frame, set_header)
from cardbot.testing import FakeLarkGateway, FakeLarkPlatform


def test_our_frames_read_as_the_sdks_and_back():
    ours = data_frame(b'{"schema": "2.0"}', message_id="m1", service=7, seq=1, total=3, trace_id="t", seq_id=5,
                      log_id=9)
    sdk = SdkFrame()
    sdk.ParseFromString(ours.SerializeToString())
    assert (sdk.SeqID, sdk.LogID, sdk.service, sdk.method, sdk.payload) == (5, 9, 7, DATA, b'{"schema": "2.0"}')
    assert {h.key: h.value for h in sdk.headers} == {"type": "event", "message_id": "m1", "sum": "3", "seq": "1",
                                                      "trace_id": "t"}
    sdk.headers.add(key="biz_rt", value="12")
    back = parse_frame(sdk.SerializeToString())
    assert header(back, "biz_rt") == "12" and header(back, "type") == "event"
    ping = parse_frame(control_frame("ping", 7).SerializeToString())
    assert (ping.method, ping.service, header(ping, "type")) == (CONTROL, 7, "ping")


def test_set_header_replaces_or_adds():
    frame = Frame(SeqID=0, LogID=0, service=1, method=DATA)
    set_header(frame, "biz_rt", "1")
    set_header(frame, "biz_rt", "2")
    assert [(h.key, h.value) for h in frame.headers] == [("biz_rt", "2")]


@pytest.mark.parametrize("raw", [b"\xff\xff", b"", Frame(SeqID=1).SerializePartialToString()])
def test_bytes_that_are_no_frame_are_refused(raw):
    with pytest.raises(FrameError):
        parse_frame(raw)


def test_the_client_config_takes_what_lark_sets_and_ignores_the_rest():
    config = ClientConfig().updated({"ReconnectCount": 3, "ReconnectInterval": 5, "ReconnectNonce": 0,
                                     "PingInterval": "soon", "Other": 1})
    assert config == ClientConfig(reconnect_count=3, reconnect_interval=5.0, reconnect_nonce=0.0, ping_interval=120.0)
    assert ClientConfig().updated(None) == ClientConfig()


def test_without_a_gateway_the_stand_in_says_long_connection_is_not_enabled():
    with FakeLarkPlatform() as lark:
        with pytest.raises(Unavailable, match="1000040343"):
            fetch_endpoint(lark.base_url, "cli_test", "secret")
    with pytest.raises(Refused, match="LARK_APP_ID"):
        fetch_endpoint("http://127.0.0.1:9", None, "secret")
    with pytest.raises(Unavailable, match="no answer"):
        fetch_endpoint("http://127.0.0.1:9", "cli_test", "secret", timeout=1)


def test_a_handshake_refused_for_too_many_connections_stops_the_client_saying_why():
    async def handle(payload):  # never called: no connection opens
        raise AssertionError(payload)

    with FakeLarkGateway() as gateway, FakeLarkPlatform(gateway=gateway) as lark:
        gateway.refuse_next_handshakes(status="514", msg="too many", auth_errcode="1000040350")
        connection = LongConnection(LarkSecrets(app_id="cli_test", app_secret="secret", api_base=lark.base_url),
                                    handle)
        with pytest.raises(Refused, match="too many long connections for this app"):
            asyncio.run(asyncio.wait_for(connection.run(), timeout=10))
        assert connection.state == "reconnecting" and gateway.endpoint_requests == 1
