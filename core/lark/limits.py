"""How long Lark lets a sent card change (https://open.feishu.cn/document/server-docs/im-v1/message-card/patch,
.../delay-update-message-card): a card can be updated for 14 days after it was sent (and a JSON 1.0 card
clicked for 30); cardbot does not push an update Lark would refuse."""

from __future__ import annotations

UPDATE_WINDOW_SECONDS = 14 * 24 * 3600


def too_old_to_update(sent_at: float, now: float) -> bool:
    """True when a card sent at `sent_at` (epoch seconds) can no longer be updated at `now`."""
    return now - sent_at > UPDATE_WINDOW_SECONDS
