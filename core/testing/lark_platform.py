"""A local stand-in for the Lark open platform: point `LARK_API_BASE` at it to test sends and card updates.

    with FakeLarkPlatform(app_id="cli_test", app_secret="secret") as lark:
        message_id = LarkClient("cli_test", "secret", lark.base_url).send_card("chat_id", "oc_1", card)
        assert lark.messages[message_id]["card"] == card
        lark.fail_next("send", status=429, code=99991400, headers={"x-ogw-ratelimit-reset": "1"})
        token = lark.issue_update_token(message_id, "ou_1")   # the `c-…` a click callback carries

Built from lark-protocol.md §7 alone (it imports nothing from cardbot) so that it catches the client's mistakes.
Refusals are HTTP 400 `{"code", "msg", "error": {"log_id"}}`; every answer has an `X-Tt-Logid` header.
- token: wrong app_id/app_secret → 10014. Tokens live `expire` s; a request gets the current token (and its
  remaining `expire`) until < 30 min remain, then a new one (the old one stays valid), as Lark does.
- other APIs need `Authorization: Bearer <token>`: none → 99991661; unknown or expired → 99991663.
- send: receive_id_type, receive_id, msg_type "interactive", uuid ≤ 50 chars (99992402); content a JSON card
  object (230001) ≤ 30 KB (230025). A uuid seen within the hour gets the first message_id, and no new message.
- delayed update: token `c-…` (300020); one from `issue_update_token` updates its message, any other `c-…` an
  unknown one. Two successful uses per token (then 300040). An exclusive card (the stored one if the message is
  known, else the update) needs `card.open_ids` (300090); a shared card must not have them (200320: stricter
  than Lark, whose docs only say not to send them). `card` is an object ≤ 30 KB (10002).
- patch: a known message (230001), content a JSON card (230099) ≤ 30 KB (230025), shared before and after (230099).
Injected delays, then failures, come before all of this; every request is recorded, refused or not.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, unquote, urlsplit

from requests.structures import CaseInsensitiveDict

MESSAGES_PATH = "/open-apis/im/v1/messages"
ROUTES = {
    ("POST", "/open-apis/auth/v3/tenant_access_token/internal"): "token",
    ("POST", MESSAGES_PATH): "send",
    ("POST", "/open-apis/interactive/v1/card/update"): "update",
}
KINDS = ("token", "send", "update", "patch")
"""What `fail_next` and `delay` can target besides an exact path; `patch` is PATCH /open-apis/im/v1/messages/:id."""
RECEIVE_ID_TYPES = ("open_id", "union_id", "user_id", "email", "chat_id")
MAX_CARD_BYTES = 30 * 1024


@dataclass
class RecordedRequest:
    """One request as received and, once answered, what it got. `kind` is one of KINDS (None: unknown API)."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    json: Any
    kind: str | None
    request_id: str
    """The `X-Tt-Logid` of the answer (also `error.log_id` in a refusal)."""
    received_at: float
    answered_at: float | None = None
    status: int | None = None
    response: Any = None


@dataclass
class CardUpdate:
    """A delayed update (`kind` "update") or patch the platform applied; `message_id` None: token not issued here."""

    kind: str
    message_id: str | None
    card: dict
    open_ids: list[str] | None = None
    token: str | None = None
    operator: str | None = None
    """The open_id the update token was issued for (`issue_update_token`)."""


@dataclass
class _Rule:
    target: str
    times: int | None
    seconds: float = 0.0
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class _Refused(Exception):
    """Lark refuses the request: `_Refused(code, msg)`."""


class FakeLarkPlatform:
    """The Lark open platform for one app, on `http://127.0.0.1:<free port>` inside `with`; thread-safe."""

    def __init__(self, app_id: str = "cli_test", app_secret: str = "secret", *, expire: int = 7200,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app_id, self.app_secret, self.expire, self._clock = app_id, app_secret, expire, clock
        self.requests: list[RecordedRequest] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.updates: list[CardUpdate] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._tokens: dict[str, float] = {}  # tenant token -> expires at
        self._current: str | None = None
        self._uuids: dict[str, tuple[str, float]] = {}  # uuid -> (message_id, sent at)
        self._update_tokens: dict[str, tuple[str, str]] = {}  # c-token -> (message_id, open_id)
        self._update_uses: dict[str, int] = {}
        self._delays: list[_Rule] = []
        self._failures: list[_Rule] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`: the `api_base` / `LARK_API_BASE` to use."""
        if self._server is None:
            raise RuntimeError("FakeLarkPlatform is not running: use it in a `with` block")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_requests(self) -> int:
        """How many tenant_access_token requests arrived (refused ones included)."""
        return sum(request.kind == "token" for request in self.requests)

    def fail_next(self, target: str, *, status: int | None = None, code: int | None = None, msg: str = "injected",
                  body: Any = None, headers: dict[str, str] | None = None, times: int = 1) -> None:
        """Answer the next `times` requests to `target` (one of KINDS or an exact path) with a failure.

        With `code`: HTTP `status` (default 400) and `{"code": code, "msg": msg}`; without: HTTP `status`
        (default 500) and a plain-text page, as a gateway sends. `body` (dict → JSON, str → text) replaces either.
        """
        default = {"code": code, "msg": msg} if code is not None else f"{msg} failure"
        status = status or (400 if code is not None else 500)
        self._add(self._failures, _Rule(target, times, status=status, body=default if body is None else body,
                                        headers=dict(headers or {})))

    def delay(self, target: str, seconds: float, *, times: int | None = 1) -> None:
        """Answer the next `times` requests to `target` (None: all from now on) `seconds` late."""
        self._add(self._delays, _Rule(target, times, seconds=seconds))

    def expire_tokens(self) -> None:
        """Invalidate every tenant token issued so far; the next API call with one gets code 99991663."""
        with self._lock:
            self._tokens.clear()
            self._current = None

    def issue_update_token(self, message_id: str, open_id: str) -> str:
        """A card-update token (`c-…`) for a click by `open_id` on `message_id`, as its callback would carry."""
        token = "c-" + secrets.token_hex(20)
        with self._lock:
            self._update_tokens[token] = (message_id, open_id)
        return token

    def wait_for(self, predicate: Callable[[list[RecordedRequest]], bool],
                 timeout: float = 5.0) -> list[RecordedRequest]:
        """Poll `requests` until `predicate(requests)` is true and return them; AssertionError after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                seen = list(self.requests)
            if predicate(seen):
                return seen
            if time.monotonic() > deadline:
                calls = [(r.method, r.path, r.status) for r in seen]
                raise AssertionError(f"FakeLarkPlatform: condition not met within {timeout} s; requests: {calls}")
            time.sleep(0.01)

    def __enter__(self) -> FakeLarkPlatform:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), type("Handler", (_Handler,), {"platform": self}))
        threading.Thread(target=self._server.serve_forever, args=(0.05,), name="FakeLarkPlatform", daemon=True).start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._closing.set()  # cut injected delays short
            self._server.shutdown()
            self._server.server_close()

    def _add(self, rules: list[_Rule], rule: _Rule) -> None:
        if rule.target not in KINDS and not rule.target.startswith("/"):
            raise ValueError(f"target must be one of {', '.join(KINDS)} or a path, not {rule.target!r}")
        with self._lock:
            rules.append(rule)

    def _take(self, rules: list[_Rule], request: RecordedRequest) -> _Rule | None:
        with self._lock:
            rule = next((rule for rule in rules if rule.target in (request.kind, request.path)), None)
            if rule is not None and rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    rules.remove(rule)
            return rule

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        url, method = urlsplit(handler.path), handler.command
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        parent, _, tail = url.path.rpartition("/")
        kind = "patch" if method == "PATCH" and parent == MESSAGES_PATH and tail else ROUTES.get((method, url.path))
        request = RecordedRequest(method, url.path, dict(parse_qsl(url.query)), CaseInsensitiveDict(handler.headers),
                                  body, kind, secrets.token_hex(16), self._clock())
        with self._lock:
            self.requests.append(request)
        if delay := self._take(self._delays, request):
            self._closing.wait(delay.seconds)
        if failure := self._take(self._failures, request):
            status, answer, headers = failure.status, failure.body, failure.headers
        else:
            (status, answer), headers = self._process(request), {}
        request.answered_at, request.status, request.response = self._clock(), status, answer
        text = isinstance(answer, str)
        data = answer.encode() if text else json.dumps(answer, ensure_ascii=False).encode()
        handler.send_response(status)
        headers = {"Content-Type": "text/plain" if text else "application/json; charset=utf-8",
                   "Content-Length": str(len(data)), "X-Tt-Logid": request.request_id, **headers}
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _process(self, request: RecordedRequest) -> tuple[int, Any]:
        endpoints = {"token": self._token, "send": self._send, "update": self._update, "patch": self._patch}
        if request.kind is None:
            return 404, {"code": 404, "msg": f"FakeLarkPlatform has no API {request.method} {request.path}"}
        body = request.json if isinstance(request.json, dict) else {}
        try:
            with self._lock:
                if request.kind != "token":
                    self._authorize(request.headers.get("Authorization", ""))
                return 200, {"code": 0, "msg": "success", **endpoints[request.kind](request, body)}
        except _Refused as refused:
            code, msg = refused.args
            return 400, {"code": code, "msg": msg, "error": {"log_id": request.request_id}}

    def _token(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        if body.get("app_id") != self.app_id or body.get("app_secret") != self.app_secret:
            raise _Refused(10014, "app secret invalid")
        now = self._clock()
        if self._current is None or self._tokens[self._current] - now < 30 * 60:
            self._current = "t-" + secrets.token_hex(16)
            self._tokens[self._current] = now + self.expire
        return {"tenant_access_token": self._current, "expire": int(self._tokens[self._current] - now)}

    def _authorize(self, header: str) -> None:
        scheme, _, token = header.partition(" ")
        if scheme != "Bearer" or not token:
            raise _Refused(99991661, "Missing access token for authorization")
        if self._tokens.get(token, float("-inf")) <= self._clock():
            raise _Refused(99991663, "Invalid access token for authorization")

    def _send(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        id_type, receive_id, uuid = request.query.get("receive_id_type"), body.get("receive_id"), body.get("uuid")
        if id_type not in RECEIVE_ID_TYPES or not isinstance(receive_id, str) or not receive_id:
            raise _Refused(99992402, f"field validation failed: receive_id, receive_id_type in {RECEIVE_ID_TYPES}")
        if body.get("msg_type") != "interactive" or not (uuid is None or isinstance(uuid, str) and len(uuid) <= 50):
            raise _Refused(99992402, "field validation failed: msg_type must be interactive, uuid ≤ 50 chars")
        card, now = _card_from_string(body.get("content"), code=230001), self._clock()
        if uuid in self._uuids and now - self._uuids[uuid][1] < 3600:
            return {"data": {"message_id": self._uuids[uuid][0]}}
        message_id = "om_" + secrets.token_hex(16)
        self.messages[message_id] = {"receive_id": receive_id, "receive_id_type": id_type, "card": card, "uuid": uuid}
        if uuid is not None:
            self._uuids[uuid] = (message_id, now)
        return {"data": {"message_id": message_id}}

    def _update(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        token, card = body.get("token"), body.get("card")
        if not isinstance(token, str) or not token.startswith("c-"):
            raise _Refused(300020, "invalid token format")
        if not isinstance(card, dict) or _size(card) > MAX_CARD_BYTES:
            raise _Refused(10002, "card must be a JSON object of at most 30 KB")
        if self._update_uses.get(token, 0) >= 2:
            raise _Refused(300040, "the token has been used more than 2 times")
        message_id, operator = self._update_tokens.get(token, (None, None))
        stored = self.messages.get(message_id, {}).get("card")
        shared, open_ids = _is_shared(card if stored is None else stored), card.get("open_ids")
        if not shared and not open_ids:
            raise _Refused(300090, "open_ids is required to update an exclusive card (update_multi is not true)")
        if shared and "open_ids" in card or not (shared or _strings(open_ids)):
            raise _Refused(200320, "invalid open_ids: a list of open_ids, for exclusive cards only")
        new_card = {key: value for key, value in card.items() if key != "open_ids"}
        self._update_uses[token] = self._update_uses.get(token, 0) + 1
        if shared and message_id in self.messages:
            self.messages[message_id]["card"] = new_card
        self.updates.append(CardUpdate("update", message_id, new_card, open_ids, token, operator))
        return {}

    def _patch(self, request: RecordedRequest, body: dict) -> dict[str, Any]:
        message_id = unquote(request.path.rpartition("/")[2])
        if message_id not in self.messages:
            raise _Refused(230001, f"invalid message_id: {message_id}")
        card = _card_from_string(body.get("content"), code=230099)
        if not (_is_shared(self.messages[message_id]["card"]) and _is_shared(card)):
            raise _Refused(230099, "only shared cards can be patched: config.update_multi true before and after")
        self.messages[message_id]["card"] = card
        self.updates.append(CardUpdate("patch", message_id, card))
        return {}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as separate writes
    platform: FakeLarkPlatform

    def _dispatch(self) -> None:
        try:
            self.platform._serve(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (its read timeout); the request is recorded already

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _dispatch

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `platform.requests` instead."""


def _card_from_string(content: Any, *, code: int) -> dict:
    try:
        card = json.loads(content) if isinstance(content, str) else None
    except ValueError:
        card = None
    if not isinstance(card, dict):
        raise _Refused(code, "content must be a JSON string of a card object")
    if _size(card) > MAX_CARD_BYTES:
        raise _Refused(230025, "the card is longer than 30 KB")
    return card


def _size(card: dict) -> int:
    return len(json.dumps(card, ensure_ascii=False, separators=(",", ":")).encode())


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _is_shared(card: dict) -> bool:
    config = card.get("config")
    return card.get("schema") == "2.0" or isinstance(config, dict) and config.get("update_multi") is True
