"""The release step: POST to the team's webhook and accept only a JSON answer with `code == 0`."""

from __future__ import annotations

import threading
from typing import Any

import requests

from cardbot import ActionFailed


class ReleaseClient:
    """Posts release requests through one pooled session (created on first use)."""

    def __init__(self) -> None:
        self._session: requests.Session | None = None
        self._lock = threading.Lock()

    def release(self, url: str, payload: dict[str, Any], timeout: float) -> None:
        """Run the release; raise ActionFailed with a reason the clicker can read when it did not succeed."""
        try:
            response = self._get_session().post(url, json=payload, timeout=timeout)
        except requests.Timeout:
            raise ActionFailed(f"Release failed: the release service did not answer within {timeout:g} s") from None
        except requests.RequestException as error:
            raise ActionFailed(f"Release failed: cannot reach the release service ({type(error).__name__})") from None
        if response.status_code >= 400:
            raise ActionFailed(f"Release failed: the release service answered HTTP {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise ActionFailed("Release failed: the release service did not answer JSON") from None
        code = body.get("code") if isinstance(body, dict) else None
        if code != 0:
            message = body.get("msg") if isinstance(body, dict) else None
            raise ActionFailed(f"Release failed: {message or f'the release service answered code {code!r}'}")

    def close(self) -> None:
        """Close the pooled connections."""
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session = None

    def _get_session(self) -> requests.Session:
        with self._lock:
            if self._session is None:
                self._session = requests.Session()
            return self._session
