"""A local stand-in for the Lark open platform: point `LARK_API_BASE` at it to test sends, replies and updates.

    with FakeLarkPlatform(app_id="cli_test", app_secret="secret") as lark:
        message_id = LarkClient("cli_test", "secret", lark.base_url).send_card("chat_id", "oc_1", card)
        assert lark.messages[message_id]["card"] == card
        lark.fail_next("send", status=429, code=99991400, headers={"x-ogw-ratelimit-reset": "1"})
        token = lark.issue_update_token(message_id, "ou_1")   # the `c-…` a click callback carries
        lark.register_message("om_user_1", "oc_1")              # a user's message the bot may reply to

Built from lark-protocol.md §7 and §14 and the API pages named below alone (it imports nothing from cardbot) so
that it catches the client's mistakes. Refusals are HTTP 400 `{"code", "msg", "error": {"log_id"}}`, rate limits
HTTP 429 with code 99991400 and `x-ogw-ratelimit-reset`; every answer has an `X-Tt-Logid` header.
- token: wrong app_id/app_secret → 10014. Tokens live `expire` s; a request gets the current token (and its
  remaining `expire`) until < 30 min remain, then a new one (the old one stays valid), as Lark does.
- other APIs need `Authorization: Bearer <token>`: none → 99991661; unknown or expired → 99991663.
- bot info (GET /open-apis/bot/v3/info): `{"bot": {"open_id": bot_open_id, "app_name": bot_name, …}}`, with `bot`
  at the top level as Lark answers (https://open.feishu.cn/document/ukTMukTMukTM/uAjMxEjLwITMx4CMyETM).
- send: receive_id_type, receive_id, msg_type text, post or interactive, uuid ≤ 50 chars (99992402); content a
  JSON object string (230001) that fits msg_type (230001): text `{"text": str}`; post `{lang: {"title"?, "content":
  [[{"tag", …}]]}}`; interactive a card, or a template `{"type": "template", "data": {"template_id", …}}`. Text ≤
  150 KB, post and card ≤ 30 KB (230025). A uuid seen within the hour gets the first message_id, and no new message.
  `messages[id]` keeps receive_id, receive_id_type, msg_type, content, uuid, and `card` (= content) if interactive.
- reply (POST /open-apis/im/v1/messages/:id/reply): msg_type, content and uuid as for send, reply_in_thread a
  boolean (99992402). The parent is a message sent here or one `register_message` named, else 230001 "invalid
  message_id" (the reply page, https://open.feishu.cn/document/server-docs/im-v1/message/reply, lists no code for
  an unknown id: 230001 is its "invalid request parameter"; its 230011 is for recalled messages, not modelled).
  The reply is a new message with `reply_to`, `reply_in_thread` and `chat_id`: the registered chat, the chat of a
  reply or of a send to a chat_id, None for a send to a user (its p2p chat has no id here). Uuids as for send.
- delayed update: token `c-…` (300020); one from `issue_update_token` updates its message, any other `c-…` an
  unknown one. Two successful uses per token (then 300040). An exclusive card (the stored one if the message is
  known, else the update) needs `card.open_ids` (300090); a shared card must not have them (200320: stricter
  than Lark, whose docs only say not to send them). `card` is an object ≤ 30 KB (10002).
- patch: a known message (230001) that is a card (230054), content a JSON card (230099) ≤ 30 KB (230025), shared
  before and after (230099).
- link-preview refresh (POST /open-apis/im/v2/url_previews/batch_update,
  https://open.feishu.cn/document/im-v1/url_preview/batch_update): more than `preview_max_requests` (5) calls in
  `preview_window` (1) s → 429; then preview_tokens 1–10 non-empty strings, open_ids (optional) ≤ 100 strings
  (99992402, the code for a field's validation rules, as for a send's uuid; the page's own code for a bad parameter
  is 230001); a token refreshed less than `preview_token_seconds` (5) s before → 429 (the page states the limit but
  no code for it). Every call reaching this rule counts towards the first limit; accepted ones are recorded in
  `preview_refreshes` as `PreviewRefresh(tokens, open_ids, at)`.
Injected delays, then failures, come before all of this; every request is recorded, refused or not.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Mapping
from urllib.parse import parse_qsl, urlsplit

from requests.structures import CaseInsensitiveDict

from .long_gateway import FakeLarkGateway
from .lark_rules import CardUpdate, LarkRules, PreviewRefresh, Refused

MESSAGES_PATH = "/open-apis/im/v1/messages"
ROUTES = {
    ("POST", "/open-apis/auth/v3/tenant_access_token/internal"): "token",
    ("GET", "/open-apis/bot/v3/info"): "bot_info",
    ("POST", MESSAGES_PATH): "send",
    ("POST", "/open-apis/interactive/v1/card/update"): "update",
    ("POST", "/open-apis/im/v2/url_previews/batch_update"): "preview_refresh",
    ("POST", "/callback/ws/endpoint"): "ws_endpoint",
}
KINDS = ("token", "bot_info", "send", "reply", "update", "patch", "preview_refresh", "ws_endpoint")
"""What `fail_next` and `delay` can target besides an exact path; `patch` is PATCH /open-apis/im/v1/messages/:id,
`reply` POST /open-apis/im/v1/messages/:id/reply."""


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
class _Rule:
    target: str
    times: int | None
    seconds: float = 0.0
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeLarkPlatform(LarkRules):
    """The Lark open platform for one app, on `http://127.0.0.1:<free port>` inside `with`; thread-safe."""

    def __init__(self, app_id: str = "cli_test", app_secret: str = "secret", *, expire: int = 7200,
                 bot_open_id: str = "ou_bot", bot_name: str = "cardbot test bot", preview_max_requests: int = 5,
                 preview_window: float = 1.0, preview_token_seconds: float = 5.0,
                 clock: Callable[[], float] = time.monotonic, gateway: FakeLarkGateway | None = None) -> None:
        self.app_id, self.app_secret, self.expire, self._clock = app_id, app_secret, expire, clock
        self.gateway = gateway
        """The long-connection gateway `POST /callback/ws/endpoint` hands out (None: the app has none)."""
        self.bot_open_id, self.bot_name = bot_open_id, bot_name
        self.preview_max_requests, self.preview_window = preview_max_requests, preview_window
        self.preview_token_seconds = preview_token_seconds
        self.requests: list[RecordedRequest] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.updates: list[CardUpdate] = []
        self.preview_refreshes: list[PreviewRefresh] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._tokens: dict[str, float] = {}  # tenant token -> expires at
        self._current: str | None = None
        self._uuids: dict[str, tuple[str, float]] = {}  # uuid -> (message_id, sent at)
        self._update_tokens: dict[str, tuple[str, str]] = {}  # c-token -> (message_id, open_id)
        self._update_uses: dict[str, int] = {}
        self._chats: dict[str, str] = {}  # registered user message -> its chat
        self._reply_uuids: dict[str, tuple[str, float]] = {}
        self._preview_calls: list[float] = []  # when recent refresh calls arrived
        self._preview_tokens: dict[str, float] = {}  # preview token -> last refreshed at
        self._delays: list[_Rule] = []
        self._failures: list[_Rule] = []
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT`: the `api_base` / `LARK_API_BASE` to use."""
        if self._server is None:
            raise RuntimeError("FakeLarkPlatform is not running: use it in a `with` block")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        """The environment that points a server at this platform: `LARK_APP_ID`, `LARK_APP_SECRET`,
        `LARK_API_BASE` (give it to `BotServer(env=…)` with the callback secrets)."""
        return {"LARK_APP_ID": self.app_id, "LARK_APP_SECRET": self.app_secret, "LARK_API_BASE": self.base_url}

    @property
    def token_requests(self) -> int:
        """How many tenant_access_token requests arrived (refused ones included)."""
        return sum(request.kind == "token" for request in self.requests)

    @property
    def bot_info_requests(self) -> int:
        """How many bot-info requests arrived (refused ones included)."""
        return sum(request.kind == "bot_info" for request in self.requests)

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

    def register_message(self, message_id: str, chat_id: str) -> None:
        """Say that `message_id` (a user's message, e.g. from an `im.message.receive_v1` event) is in `chat_id`,
        so the bot may reply to it."""
        with self._lock:
            self._chats[message_id] = chat_id

    def request_kinds(self) -> list[tuple[str | None, int | None]]:
        """(kind, HTTP status) of every request received so far, in order: `[("token", 200), ("send", 200)]`."""
        with self._lock:
            return [(request.kind, request.status) for request in self.requests]

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
        kind = _kind(method, url.path)
        received = CaseInsensitiveDict(dict(handler.headers.items()))
        request = RecordedRequest(method, url.path, dict(parse_qsl(url.query)), received,
                                  body, kind, secrets.token_hex(16), self._clock())
        with self._lock:
            self.requests.append(request)
        if delay := self._take(self._delays, request):
            self._closing.wait(delay.seconds)
        if failure := self._take(self._failures, request):
            status, answer, headers = failure.status, failure.body, failure.headers
        else:
            status, answer, headers = self._process(request)
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

    def _process(self, request: RecordedRequest) -> tuple[int, Any, dict[str, str]]:
        endpoints = {"token": self._token, "bot_info": self._bot_info, "send": self._send, "reply": self._reply,
                     "update": self._update, "patch": self._patch, "preview_refresh": self._refresh_previews}
        if request.kind is None:
            return 404, {"code": 404, "msg": f"FakeLarkPlatform has no API {request.method} {request.path}"}, {}
        body = request.json if isinstance(request.json, dict) else {}
        if request.kind == "ws_endpoint":  # no tenant token: the app's id and secret are in the body
            if self.gateway is None:
                return 200, {"code": 1000040343, "msg": "the long connection is not set up for this app"}, {}
            return 200, self.gateway.endpoint(request.json), {}
        try:
            with self._lock:
                if request.kind != "token":
                    self._authorize(request.headers.get("Authorization", ""))
                return 200, {"code": 0, "msg": "success", **endpoints[request.kind](request, body)}, {}
        except Refused as refused:
            code, msg = refused.args
            headers = {} if refused.reset is None else {"x-ogw-ratelimit-reset": str(math.ceil(refused.reset))}
            return refused.status, {"code": code, "msg": msg, "error": {"log_id": request.request_id}}, headers


def _kind(method: str, path: str) -> str | None:
    parent, _, tail = path.rpartition("/")
    if method == "PATCH" and parent == MESSAGES_PATH and tail:
        return "patch"
    grandparent, _, message_id = parent.rpartition("/")
    if method == "POST" and tail == "reply" and grandparent == MESSAGES_PATH and message_id:
        return "reply"
    return ROUTES.get((method, path))


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
