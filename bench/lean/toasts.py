"""The lean reference's toasts: cardbot's, word for word (English, with the Chinese cardbot gives)."""

from __future__ import annotations

from typing import Any


def _toast(kind: str, en: str, zh: str) -> dict[str, Any]:
    return {"type": kind, "content": en, "i18n": {"en_us": en, "zh_cn": zh}}


COUNTED = _toast("success", "Vote counted", "投票成功")
SAME = _toast("info", "You already voted for this option", "你已经投过这个选项")
CLOSED = _toast("info", "This poll is closed", "投票已结束")
NO_OPTION = _toast("error", "This vote button has no option (the card is unchanged)",
                   "This vote button has no option（卡片未改变）")
FAILED = _toast("error", "The vote plugin failed; the card is unchanged.", "插件 vote 出错，卡片未改变。")
STALE = _toast("info", "This card has changed since you opened it; here is the current version.",
               "卡片已更新，这是最新版本。")
UNKNOWN = _toast("error", "This card is not known to the bot; nothing was done.", "机器人不认识这张卡片，未做任何操作。")
PROCESSING = _toast("info", "Processing… the card will update when it is done.", "处理中……完成后卡片会自动更新。")
BUSY = _toast("warning", "The bot is busy; please click again.", "机器人繁忙，请重试。")
