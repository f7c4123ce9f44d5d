"""The Lark/Feishu open-platform API that cardbot needs: send a card, update it later.

    from cardbot.config import LarkSecrets
    from cardbot.lark import LarkClient, LarkError

    with LarkClient.from_secrets(LarkSecrets.from_env()) as lark:
        message_id = lark.send_card("chat_id", "oc_84983ff6516d731e5b5f68d4ea2e1da5", card, uuid="release-42")
        lark.delayed_update(action.update_token, new_card)  # after answering the click
        lark.patch_message(message_id, newer_card)          # shared cards only

`api_base` defaults to Feishu, `https://open.feishu.cn`; Lark (international) is `https://open.larksuite.com`
(`LARK_API_BASE`). `cardbot.testing.FakeLarkPlatform` plays the platform in tests.
"""

from .client import FEISHU_API_BASE, LARK_API_BASE, RECEIVE_ID_TYPES, LarkClient, Timeout
from .errors import LarkError
from .retry import RATE_LIMIT_CODES, TOKEN_CODES, RetryPolicy

__all__ = [
    "FEISHU_API_BASE",
    "LARK_API_BASE",
    "RATE_LIMIT_CODES",
    "RECEIVE_ID_TYPES",
    "TOKEN_CODES",
    "LarkClient",
    "LarkError",
    "RetryPolicy",
    "Timeout",
]
