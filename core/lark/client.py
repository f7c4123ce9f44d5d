"""`LarkClient`: send and reply with messages, update cards, refresh link previews (lark-protocol.md §7, §14).

Lark's pages for the calls added to §7: bot info https://open.feishu.cn/document/ukTMukTMukTM/uAjMxEjLwITMx4CMyETM,
send https://open.feishu.cn/document/server-docs/im-v1/message/create, reply
https://open.feishu.cn/document/server-docs/im-v1/message/reply, message content
https://open.feishu.cn/document/server-docs/im-v1/message-content-description/create_json, link-preview refresh
https://open.feishu.cn/document/im-v1/url_preview/batch_update.
"""

from __future__ import annotations

import logging
import time
import uuid as uuids
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import quote

import requests

from ..config import LarkSecrets
from ..jsoncodec import dumps, dumps_bytes
from .answer import Answer
from .errors import LarkError
from .retry import TOKEN_CODES, RetryPolicy, is_retryable
from .tokens import TokenCache

FEISHU_API_BASE = "https://open.feishu.cn"
LARK_API_BASE = "https://open.larksuite.com"
TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
MESSAGES_PATH = "/open-apis/im/v1/messages"
DELAYED_UPDATE_PATH = "/open-apis/interactive/v1/card/update"
BOT_INFO_PATH = "/open-apis/bot/v3/info"
PREVIEWS_PATH = "/open-apis/im/v2/url_previews/batch_update"
MAX_PREVIEW_TOKENS = 10
"""Preview tokens one link-preview refresh may carry."""
MAX_PREVIEW_OPEN_IDS = 100
RECEIVE_ID_TYPES = ("open_id", "union_id", "user_id", "email", "chat_id")

Timeout = float | tuple[float, float]
"""Seconds for requests: one number, or (connect, read)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BotInfo:
    """The app's bot: its `open_id` (`ou_…`, how callbacks and mentions name it) and app name."""

    open_id: str
    app_name: str | None


class LarkClient:
    """One Lark app's API client; share one per process (it is thread-safe and pools connections).

    Nothing is sent until a method is called, so start-up never needs Lark. Every call raises `LarkError`
    when it fails for good. `timeout` applies to each HTTP request; `max_attempts` and `max_retry_seconds`
    bound the retries of each one (`RetryPolicy`); `session`, `clock` and `sleep` are for tests and tuning.
    """

    def __init__(
        self,
        app_id: str | None,
        app_secret: str | None,
        api_base: str = FEISHU_API_BASE,
        *,
        timeout: Timeout = (3.05, 10.0),
        max_attempts: int = 4,
        max_retry_seconds: float = 10.0,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.app_id = app_id
        self._app_secret = app_secret
        self.api_base = api_base.rstrip("/")
        self.timeout = timeout
        self.retry = RetryPolicy(max_attempts=max_attempts, max_retry_seconds=max_retry_seconds)
        self._own_session = session is None
        self._session = requests.Session() if session is None else session
        self._clock = clock
        self._sleep = sleep
        self._tokens = TokenCache(self._fetch_token, clock)

    @classmethod
    def from_secrets(cls, secrets: LarkSecrets, **options: Any) -> LarkClient:
        """A client for the app in `secrets` (`LARK_APP_ID`, `LARK_APP_SECRET`, `LARK_API_BASE`)."""
        return cls(secrets.app_id, secrets.app_secret, secrets.api_base, **options)

    def tenant_access_token(self) -> str:
        """The app's tenant_access_token, cached for the whole process and refreshed before it expires."""
        return self._tokens.get()

    def bot_info(self) -> BotInfo:
        """The bot's own open_id and app name (`GET /open-apis/bot/v3/info`; needs the bot ability turned on)."""
        answer = self._api("GET", BOT_INFO_PATH)
        bot = answer.get("bot")  # at the top level, not under `data`
        open_id, app_name = (bot.get("open_id"), bot.get("app_name")) if isinstance(bot, dict) else (None, None)
        if not isinstance(open_id, str) or not open_id:
            raise LarkError(f"Lark API GET {BOT_INFO_PATH}: the answer has no bot.open_id")
        return BotInfo(open_id, app_name if isinstance(app_name, str) else None)

    def send_card(self, receive_id_type: str, receive_id: str, card: dict, *, uuid: str | None = None) -> str:
        """Send `card` to a chat or user; returns the new message's id (`om_…`).

        `uuid` (≤ 50 chars) makes the send idempotent for an hour: Lark posts at most one message per uuid.
        Without one, a random uuid still makes this call's own retries safe; pass a stable one (e.g.
        derived from your job id) when YOU may call `send_card` again for the same message.
        """
        return self.send_message(receive_id_type, receive_id, "interactive", card, uuid=uuid)

    def send_message(
        self, receive_id_type: str, receive_id: str, msg_type: str, content: dict, *, uuid: str | None = None
    ) -> str:
        """Send a message of any `msg_type` to a chat or user; returns its id (`om_…`). `uuid` as for `send_card`.

        `content` is the object for `msg_type`: `text` {"text": "…"}; `post` {"zh_cn": {"title": "…",
        "content": [[{"tag": "text", "text": "…"}]]}}; `interactive` a card, or a template card
        {"type": "template", "data": {"template_id", "template_variable", "template_version_name"}}.
        """
        if receive_id_type not in RECEIVE_ID_TYPES:
            raise ValueError(f"receive_id_type must be one of {', '.join(RECEIVE_ID_TYPES)}, not {receive_id_type!r}")
        body = {"receive_id": receive_id, **_message_body(msg_type, content, uuid)}
        answer = self._api("POST", MESSAGES_PATH, body, query={"receive_id_type": receive_id_type})
        return _message_id(answer, MESSAGES_PATH)

    def reply_message(
        self, message_id: str, msg_type: str, content: dict, *, uuid: str | None = None, reply_in_thread: bool = False
    ) -> str:
        """Reply to message `message_id` in its chat; returns the reply's id (`om_…`).

        `content` and `uuid` as for `send_message`. `reply_in_thread` answers in the message's thread (a reply to
        a thread message always goes there).
        """
        path = f"{MESSAGES_PATH}/{quote(message_id, safe='')}/reply"
        body = _message_body(msg_type, content, uuid)
        if reply_in_thread:
            body["reply_in_thread"] = True
        return _message_id(self._api("POST", path, body), path)

    def delayed_update(self, token: str, card: dict, *, open_ids: list[str] | None = None) -> None:
        """Replace the clicked card using the callback's update token (`c-…`), after the click was answered.

        A token works twice within 30 minutes. `open_ids` (who sees the update) is required for an
        exclusive JSON 1.0 card and must be left out for a shared one. `card` itself is not changed.
        """
        if open_ids is not None:
            card = {**card, "open_ids": list(open_ids)}
        self._api("POST", DELAYED_UPDATE_PATH, {"token": token, "card": card})

    def patch_message(self, message_id: str, card: dict) -> None:
        """Replace a sent card for everyone; only shared cards (`update_multi: true`, or JSON 2.0) before and after."""
        path = f"{MESSAGES_PATH}/{quote(message_id, safe='')}"
        self._api("PATCH", path, {"content": dumps(card)})

    def batch_update_previews(self, preview_tokens: list[str], open_ids: list[str] | None = None) -> None:
        """Make Lark fetch these link previews again (their `url.preview.get` callbacks come anew).

        1–10 preview tokens (from the callbacks' `context.preview_token`); `open_ids` (≤ 100) limits the refresh
        to those users, else everyone in the chat refetches. Lark allows 5 calls/s per app and one refresh per
        token every 5 s: `cardbot.lark.previews.PreviewRefresher` keeps to both.
        """
        tokens = list(preview_tokens)
        if not 1 <= len(tokens) <= MAX_PREVIEW_TOKENS or not _non_empty_strings(tokens):
            raise ValueError(f"preview_tokens must be 1 to {MAX_PREVIEW_TOKENS} non-empty strings, not {tokens!r}")
        body: dict[str, Any] = {"preview_tokens": tokens}
        if open_ids is not None:
            if len(open_ids) > MAX_PREVIEW_OPEN_IDS or not _non_empty_strings(open_ids):
                raise ValueError(f"open_ids must be at most {MAX_PREVIEW_OPEN_IDS} non-empty strings")
            body["open_ids"] = list(open_ids)
        self._api("POST", PREVIEWS_PATH, body)

    def close(self) -> None:
        """Close the connection pool (a session passed in by the caller stays open)."""
        if self._own_session:
            self._session.close()

    def __enter__(self) -> LarkClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _fetch_token(self) -> tuple[str, float]:
        if not (self.app_id and self._app_secret):
            raise LarkError("cannot call the Lark API: set LARK_APP_ID and LARK_APP_SECRET")
        answer = self._exchange("POST", TOKEN_PATH, {"app_id": self.app_id, "app_secret": self._app_secret})
        token, expire = answer.get("tenant_access_token"), answer.get("expire")
        if not isinstance(token, str) or not token or not isinstance(expire, (int, float)) or expire <= 0:
            raise LarkError(f"Lark API POST {TOKEN_PATH}: the answer has no tenant_access_token and expire")
        return token, float(expire)

    def _api(self, method: str, path: str, body: dict | None = None, *, query: dict | None = None) -> dict[str, Any]:
        """An authorised call; when Lark refuses the token, fetch a new one once and send the call once more."""
        token = self.tenant_access_token()
        try:
            return self._exchange(method, path, body, query=query, token=token)
        except LarkError as error:
            if error.code not in TOKEN_CODES:
                raise
            log.info("Lark refused the tenant token (code %s); fetching a new one", error.code)
        self._tokens.invalidate(token)
        return self._exchange(method, path, body, query=query, token=self.tenant_access_token())

    def _exchange(
        self, method: str, path: str, body: dict | None, *, query: dict | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Send one request (`body` None: none, as for a GET), retrying as `self.retry` allows; the answer's JSON."""
        started = self._clock()
        retry = 0
        while True:
            try:
                answer = self._send(method, path, body, query, token)
            except (requests.ConnectionError, requests.Timeout) as error:
                failure, reset = _no_answer(method, path, error), None
            except requests.RequestException as error:
                raise LarkError(f"Lark API {method} {path}: {error}") from error
            else:
                if answer.ok:
                    return answer.body or {}
                failure, reset = answer.error(method, path), answer.reset_seconds
                if not is_retryable(answer):
                    raise failure
            retry += 1
            wait = self.retry.wait(retry, reset)
            if not self.retry.allows(retry, self._clock() - started, wait):
                raise failure
            log.warning("%s; retry %d in %.2f s", failure, retry, wait)
            self._sleep(wait)

    def _send(self, method: str, path: str, body: dict | None, query: dict | None, token: str | None) -> Answer:
        headers = {} if body is None else {"Content-Type": "application/json; charset=utf-8"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        data = None if body is None else dumps_bytes(body)
        response = self._session.request(
            method, self.api_base + path, params=query, data=data, headers=headers, timeout=self.timeout
        )
        return Answer.read(response)


def _message_body(msg_type: str, content: dict, uuid: str | None) -> dict[str, Any]:
    return {
        "msg_type": msg_type,
        "content": dumps(content),  # a compact UTF-8 JSON string, the form Lark's 30 KB / 150 KB limits measure
        "uuid": uuid or uuids.uuid4().hex,
    }


def _message_id(answer: dict[str, Any], path: str) -> str:
    data = answer.get("data")
    message_id = data.get("message_id") if isinstance(data, dict) else None
    if not isinstance(message_id, str) or not message_id:
        raise LarkError(f"Lark API POST {path}: the answer has no data.message_id")
    return message_id


def _non_empty_strings(values: list[str]) -> bool:
    return all(isinstance(value, str) and value for value in values)


def _no_answer(method: str, path: str, error: requests.RequestException) -> LarkError:
    failure = LarkError(f"Lark API {method} {path}: no answer ({type(error).__name__}: {error})")
    failure.__cause__ = error
    return failure
