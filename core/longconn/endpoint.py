"""Ask Lark where to open the long connection: `POST {LARK_API_BASE}/callback/ws/endpoint` with the app's id
and secret answers the WebSocket URL and the client config (as the official SDKs ask; lark_oapi/ws/client.py).

    endpoint = fetch_endpoint(api_base, app_id, app_secret)    # Endpoint(url, service_id, device_id, config)

Errors: `Refused` when Lark says no for a reason trying again will not fix (wrong credentials, long connection
not enabled for the app, too many connections): start-up stops with it; `Unavailable` for the rest (no
answer, a 5xx, "system busy"): the client tries again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

ENDPOINT_PATH = "/callback/ws/endpoint"
SYSTEM_BUSY, INTERNAL_ERROR = 1, 1000040343
AUTH_FAILED, FORBIDDEN, NO_CREDENTIAL, EXCEED_CONN_LIMIT = 514, 403, 1000040344, 1000040350
"""Lark's codes for the endpoint and the handshake (lark_oapi/ws/const.py)."""
MEANINGS = {AUTH_FAILED: "authentication failed: check LARK_APP_ID and LARK_APP_SECRET",
            FORBIDDEN: "forbidden: the app may not use the long connection (self-built apps only)",
            NO_CREDENTIAL: "no credentials: set LARK_APP_ID and LARK_APP_SECRET",
            EXCEED_CONN_LIMIT: "too many long connections for this app (Lark allows 50)",
            INTERNAL_ERROR: "Lark's internal error"}


class Unavailable(Exception):
    """The endpoint could not be had now; trying again may work."""


class Refused(Exception):
    """Lark refused the long connection for a reason trying again will not fix."""


@dataclass(frozen=True)
class ClientConfig:
    """How the client behaves, as Lark sets it (seconds): retries (`reconnect_count` -1: for ever), their
    interval, the random jitter before the first one, and the ping interval."""

    reconnect_count: int = -1
    reconnect_interval: float = 120.0
    reconnect_nonce: float = 30.0
    ping_interval: float = 120.0

    def updated(self, data: Any) -> ClientConfig:
        """This config with what `data` (Lark's `ClientConfig` JSON object) sets; unknown or bad values ignored."""
        if not isinstance(data, dict):
            return self
        changes: dict[str, float] = {}
        for key, field in (("ReconnectCount", "reconnect_count"), ("ReconnectInterval", "reconnect_interval"),
                           ("ReconnectNonce", "reconnect_nonce"), ("PingInterval", "ping_interval")):
            value = data.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                continue
            if value >= 0 or key == "ReconnectCount":
                changes[field] = int(value) if field == "reconnect_count" else float(value)
        return replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Endpoint:
    """Where to connect: the WebSocket URL, the ids in it, and the client config."""

    url: str
    service_id: int
    device_id: str
    config: ClientConfig


def fetch_endpoint(api_base: str, app_id: str | None, app_secret: str | None, *, config: ClientConfig | None = None,
                   timeout: float = 10.0) -> Endpoint:
    """Ask for an endpoint (see the module docstring for the errors)."""
    if not (app_id and app_secret):
        raise Refused(f"code {NO_CREDENTIAL}: {MEANINGS[NO_CREDENTIAL]}")
    url = api_base.rstrip("/") + ENDPOINT_PATH
    try:
        response = requests.post(url, json={"AppID": app_id, "AppSecret": app_secret}, headers={"locale": "en"},
                                 timeout=timeout)
    except requests.RequestException as error:
        raise Unavailable(f"POST {url}: no answer ({type(error).__name__}: {error})") from None
    if response.status_code != 200:
        raise Unavailable(f"POST {url}: HTTP {response.status_code}")
    try:
        answer = response.json()
    except ValueError:
        raise Unavailable(f"POST {url}: the answer is not JSON") from None
    code = answer.get("code") if isinstance(answer, dict) else None
    if code != 0:
        message = f"code {code}: {answer.get('msg') if isinstance(answer, dict) else answer}"
        if code in (SYSTEM_BUSY, INTERNAL_ERROR) or not isinstance(code, int):
            raise Unavailable(f"POST {url}: {message}")
        raise Refused(f"{message} ({MEANINGS.get(code, 'see the Lark developer console')})")
    data = answer.get("data") if isinstance(answer.get("data"), dict) else {}
    return _endpoint(url, data, config or ClientConfig())


def _endpoint(url: str, data: dict[str, Any], config: ClientConfig) -> Endpoint:
    ws_url = data.get("URL")
    if not isinstance(ws_url, str) or not ws_url.startswith(("ws://", "wss://")):
        raise Unavailable(f"POST {url}: the answer has no WebSocket URL")
    query = parse_qs(urlsplit(ws_url).query)
    try:
        service_id = int(query.get("service_id", ["0"])[0])
    except ValueError:
        raise Unavailable(f"POST {url}: the WebSocket URL has a service_id that is no number") from None
    return Endpoint(ws_url, service_id, query.get("device_id", [""])[0], config.updated(data.get("ClientConfig")))
