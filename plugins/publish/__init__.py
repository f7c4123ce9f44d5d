"""publish: the seed's release button. Claims `public_publish`; runs the release, then marks the card done.

    [plugins.publish]
    enabled = true
    webhook = "https://ci.example.com/release"   # optional; POSTed {operator_id, operator_id_type, open_id,
                                                  #   button_type, button_id, message_id, chat_id}
    timeout = 10                                  # seconds

The webhook succeeds when it answers JSON with `code == 0`. Then every element list that holds the
clicked button (`i18n_elements.zh_cn` on the seed card, `elements` on a card without locales) becomes
"已完成". On any failure the card stays as it was and the clicker is told why.
"""

from __future__ import annotations

from typing import Any, Mapping

from cardbot import Action, ConfigError, Patch, hookimpl
from cardbot.patches import locales_with_value

from .release import ReleaseClient

BUTTON_TYPE = "public_publish"
DONE = [{"tag": "div", "fields": [{"is_short": False, "text": {"tag": "lark_md", "content": "已完成"}}]}]
SETTINGS = ("webhook", "timeout")
DEFAULT_TIMEOUT = 10.0

_client = ReleaseClient()


@hookimpl
def cardbot_claims() -> list[str]:
    return [BUTTON_TYPE]


@hookimpl
def cardbot_check_config(config: Mapping[str, Any]) -> None:
    unknown = sorted(set(config) - set(SETTINGS))
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)}; publish takes {', '.join(SETTINGS)}")
    webhook = config.get("webhook")
    if webhook is not None and not (isinstance(webhook, str) and webhook.startswith(("http://", "https://"))):
        raise ConfigError(f"webhook must be an http:// or https:// URL, not {webhook!r}")
    timeout = config.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigError(f"timeout must be a positive number of seconds, not {timeout!r}")


@hookimpl
def cardbot_shutdown() -> None:
    _client.close()


@hookimpl
def cardbot_action(action: Action, card: dict, config: Mapping[str, Any]) -> Patch:
    webhook = config.get("webhook")
    if webhook:
        _client.release(webhook, release_request(action), float(config.get("timeout", DEFAULT_TIMEOUT)))
    patch = Patch()
    for locale in locales_with_value(card, action.value) or [None]:
        patch = patch.elements(DONE, locale=locale)
    return patch.toast("success", "已完成", {"zh_cn": "已完成", "en_us": "Done"})


def release_request(action: Action) -> dict[str, Any]:
    """What the webhook receives: who clicked (`operator_id`; `open_id` is null when Lark sent none) and what."""
    return {
        "operator_id": action.operator.id,
        "operator_id_type": action.operator.id_type,
        "open_id": action.operator.open_id,
        "button_type": action.button_type,
        "button_id": action.button_id,
        "message_id": action.message_id,
        "chat_id": action.chat_id,
    }
