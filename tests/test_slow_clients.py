"""A client too slow to send its request gets 408 within `[bot] request_timeout`, never a 503 after 60 s."""

from __future__ import annotations

import socket

import pytest

from cardbot.config import load_config
from cardbot.errors import ConfigError
from support import start_server

CONFIG = '[bot]\ndatabase = "cardbot.db"\nrequest_timeout = 1\n'
PATHS = ["/lark/callback", "/api/cards"]


@pytest.fixture(scope="module")
def slow_bot(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("slow"), CONFIG)
    yield server
    server.stop()


def stall(server, data: bytes) -> tuple[bytes, bool]:
    """Send `data` on a raw connection and stop there: what the server answers, and whether it then closed
    the connection (False: it was still open 30 s after the last byte it sent)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as connection:
        connection.sendall(data)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except socket.timeout:
            return answer, False
    return answer, True


def status_line(answer: bytes) -> bytes:
    return answer.split(b"\r\n", 1)[0]


@pytest.mark.parametrize("path", PATHS)
def test_a_body_that_never_completes_gets_408_and_the_connection_closes(slow_bot, path):
    headers = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
               "Content-Length: 100\r\n\r\n").encode()

    answer, closed = stall(slow_bot, headers + b'{"schema": "2.0", "hea')

    assert status_line(answer) == b"HTTP/1.1 408 Request Timeout", answer
    assert b"did not arrive within 1 s" in answer and closed
    assert slow_bot.session.get(slow_bot.base_url + "/healthz", timeout=10).status_code == 200


def test_headers_that_never_complete_get_408(slow_bot):
    answer, closed = stall(slow_bot, b"POST /lark/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")

    assert status_line(answer) == b"HTTP/1.1 408 Request Timeout", answer
    assert closed
    assert slow_bot.session.get(slow_bot.base_url + "/healthz", timeout=10).status_code == 200


def test_a_request_timeout_that_is_not_positive_stops_start_up(tmp_path):
    (tmp_path / "plugins.toml").write_text('[bot]\nrequest_timeout = 0\n')
    with pytest.raises(ConfigError, match="request_timeout must be greater than 0"):
        load_config(tmp_path / "plugins.toml")
