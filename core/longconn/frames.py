"""The long connection's frames: Lark's `pbbp2.Frame` protobuf message, built from its schema at import (the
same schema the official SDKs compile in, lark_oapi/ws/pb/pbbp2.proto), read and written with `protobuf`.

    frame = data_frame(payload, message_id="m1")        # what the gateway sends
    raw = frame.SerializeToString()
    frame = parse_frame(raw)                            # FrameError for bytes that are no Frame
    header(frame, "type")                               # "event"

    message Header { required string key = 1; required string value = 2; }
    message Frame {
      required uint64 SeqID = 1; required uint64 LogID = 2; required int32 service = 3; required int32 method = 4;
      repeated Header headers = 5; optional string payload_encoding = 6; optional string payload_type = 7;
      optional bytes payload = 8; optional string LogIDNew = 9;
    }

`method` 0 is a control frame (headers `type` ping / pong: the client pings every PingInterval seconds, a
pong may carry a new client config as its JSON payload); 1 is a data frame (headers `type` event or card,
`message_id`, `sum` and `seq` when a payload is split in `sum` parts, `trace_id`). The client answers a data
frame by sending the same frame back with the payload `{"code": 200, "headers": …, "data": base64(answer)}`.
"""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import DecodeError, Message

CONTROL = 0
DATA = 1
PING, PONG, EVENT, CARD = "ping", "pong", "event", "card"
TYPE, MESSAGE_ID, SUM, SEQ, TRACE_ID, BIZ_RT = "type", "message_id", "sum", "seq", "trace_id", "biz_rt"


def _frame_class() -> type[Message]:
    schema = descriptor_pb2.FileDescriptorProto(name="cardbot_pbbp2.proto", package="pbbp2", syntax="proto2")
    required, optional, repeated = (descriptor_pb2.FieldDescriptorProto.LABEL_REQUIRED,
                                    descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL,
                                    descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED)
    kinds = descriptor_pb2.FieldDescriptorProto
    header = schema.message_type.add(name="Header")
    header.field.add(name="key", number=1, label=required, type=kinds.TYPE_STRING)
    header.field.add(name="value", number=2, label=required, type=kinds.TYPE_STRING)
    frame = schema.message_type.add(name="Frame")
    fields = (("SeqID", 1, required, kinds.TYPE_UINT64), ("LogID", 2, required, kinds.TYPE_UINT64),
              ("service", 3, required, kinds.TYPE_INT32), ("method", 4, required, kinds.TYPE_INT32),
              ("payload_encoding", 6, optional, kinds.TYPE_STRING), ("payload_type", 7, optional, kinds.TYPE_STRING),
              ("payload", 8, optional, kinds.TYPE_BYTES), ("LogIDNew", 9, optional, kinds.TYPE_STRING))
    for name, number, label, kind in fields:
        frame.field.add(name=name, number=number, label=label, type=kind)
    frame.field.add(name="headers", number=5, label=repeated, type=kinds.TYPE_MESSAGE, type_name=".pbbp2.Header")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(schema)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("pbbp2.Frame"))


Frame = _frame_class()
"""The `pbbp2.Frame` message class."""


class FrameError(ValueError):
    """Bytes that are not a well-formed frame."""


def parse_frame(raw: bytes) -> Any:
    """The Frame in `raw`; FrameError when it is not one (missing required fields included)."""
    frame = Frame()
    try:
        frame.ParseFromString(raw)
    except DecodeError as error:
        raise FrameError(f"not a frame: {error}") from None
    if not frame.IsInitialized():
        raise FrameError(f"a frame without {', '.join(frame.FindInitializationErrors())}")
    return frame


def header(frame: Any, key: str) -> str | None:
    """The value of header `key`, or None."""
    return next((item.value for item in frame.headers if item.key == key), None)


def set_header(frame: Any, key: str, value: str) -> None:
    """Set header `key` (replacing it when present)."""
    for item in frame.headers:
        if item.key == key:
            item.value = value
            return
    frame.headers.add(key=key, value=value)


def control_frame(kind: str, service: int, payload: bytes = b"") -> Any:
    """A ping (the client's) or pong (the gateway's, maybe with a client config as JSON) for `service`."""
    frame = Frame(SeqID=0, LogID=0, service=service, method=CONTROL)
    frame.headers.add(key=TYPE, value=kind)
    if payload:
        frame.payload = payload
    return frame


def data_frame(payload: bytes, *, message_id: str, service: int = 1, kind: str = EVENT, seq: int = 0,
               total: int = 1, trace_id: str = "", seq_id: int = 0, log_id: int = 0) -> Any:
    """A data frame carrying `payload` (part `seq` of `total` of message `message_id`)."""
    frame = Frame(SeqID=seq_id, LogID=log_id, service=service, method=DATA, payload=payload)
    for key, value in ((TYPE, kind), (MESSAGE_ID, message_id), (SUM, str(total)), (SEQ, str(seq)),
                       (TRACE_ID, trace_id)):
        frame.headers.add(key=key, value=value)
    return frame
