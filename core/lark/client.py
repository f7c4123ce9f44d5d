"""`LarkClient`: send interactive cards and update them through the Lark open platform (lark-protocol.md §7)."""

from __future__ import annotations

import logging
import time
import uuid as uuids
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
RECEIVE_ID_TYPES = ("open_id", "union_id", "user_id", "email", "chat_id")

Timeout = float | tuple[float, float]
"""Seconds for requests: one number, or (connect, read)."""

log = logging.getLogger(__name__)


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

    def send_card(self, receive_id_type: str, receive_id: str, card: dict, *, uuid: str | None = None) -> str:
        """Send `card` to a chat or user; returns the new message's id (`om_…`).

        `uuid` (≤ 50 chars) makes the send idempotent for an hour: Lark posts at most one message per uuid.
        Without one, a random uuid still makes this call's own retries safe; pass a stable one (e.g.
        derived from your job id) when YOU may call `send_card` again for the same message.
        """
        if receive_id_type not in RECEIVE_ID_TYPES:
            raise ValueError(f"receive_id_type must be one of {', '.join(RECEIVE_ID_TYPES)}, not {receive_id_type!r}")
        body = {
            "receive_id": receive_id,
            "msg_type": "interactive",
            "content": dumps(card),  # the card as a compact UTF-8 JSON string, the form Lark's 30 KB limit measures
            "uuid": uuid or uuids.uuid4().hex,
        }
        answer = self._api("POST", MESSAGES_PATH, body, query={"receive_id_type": receive_id_type})
        data = answer.get("data")
        message_id = data.get("message_id") if isinstance(data, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise LarkError(f"Lark API POST {MESSAGES_PATH}: the answer has no data.message_id")
        return message_id

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

    def _api(self, method: str, path: str, body: dict, *, query: dict | None = None) -> dict[str, Any]:
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
        self, method: str, path: str, body: dict, *, query: dict | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """Send one request, retrying as `self.retry` allows; the JSON body of the successful answer."""
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

    def _send(self, method: str, path: str, body: dict, query: dict | None, token: str | None) -> Answer:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self._session.request(
            method, self.api_base + path, params=query, data=dumps_bytes(body), headers=headers, timeout=self.timeout
        )
        return Answer.read(response)


def _no_answer(method: str, path: str, error: requests.RequestException) -> LarkError:
    failure = LarkError(f"Lark API {method} {path}: no answer ({type(error).__name__}: {error})")
    failure.__cause__ = error
    return failure
