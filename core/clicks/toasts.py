"""The toasts cardbot itself shows clickers, in English with a Chinese translation."""

from __future__ import annotations

from ..toast import Toast, ToastType


def _toast(kind: ToastType, en: str, zh: str) -> Toast:
    return Toast(kind, en, {"en_us": en, "zh_cn": zh})


def unknown_card() -> Toast:
    """The card was never stored (not sent through cardbot, nor `card put`)."""
    return _toast("error", "This card is not known to the bot; nothing was done.", "机器人不认识这张卡片，未做任何操作。")


def unclaimed(button_type: str | None) -> Toast:
    """No enabled plugin handles the clicked button's type."""
    if button_type is None:
        return _toast("info", "This button is not handled by the bot.", "这个按钮不由机器人处理。")
    return _toast("warning", f"No plugin handles buttons of type \"{button_type}\".",
                  f"没有插件处理类型为「{button_type}」的按钮。")


def stale() -> Toast:
    """The clicked component is no longer on the card."""
    return _toast("info", "This card has changed since you opened it; here is the current version.",
                  "卡片已更新，这是最新版本。")


UNCHANGED = {"en_us": " (the card is unchanged)", "zh_cn": "（卡片未改变）", "zh_hk": "（卡片未改變）",
             "zh_tw": "（卡片未改變）", "ja_jp": "（カードは変更されていません）"}
"""What a declined click's toast adds to each locale's text it has a translation of; others are shown as given."""


def failed(plugin: str, reason: str | None = None, i18n: dict[str, str] | None = None) -> Toast:
    """The plugin failed, or declined with `reason` (and the plugin's translations of it, `i18n`); the card
    is unchanged. Without `i18n`, the Chinese repeats the reason with a Chinese suffix; with it, each locale
    shows its own text (`en_us` defaults to `reason`), followed by the suffix in that language if UNCHANGED
    has it."""
    if not reason:
        return _toast("error", f"The {plugin} plugin failed; the card is unchanged.", f"插件 {plugin} 出错，卡片未改变。")
    if not i18n:
        return _toast("error", f"{reason}{UNCHANGED['en_us']}", f"{reason}{UNCHANGED['zh_cn']}")
    texts = {"en_us": reason, **i18n}
    return Toast("error", f"{reason}{UNCHANGED['en_us']}",
                 {locale: text + UNCHANGED.get(locale, "") for locale, text in texts.items()})


def internal_error() -> Toast:
    """cardbot itself failed (a bug, logged with its traceback); the card is unchanged."""
    return _toast("error", "The bot could not process this click; the card is unchanged.",
                  "机器人无法处理这次点击，卡片未改变。")


def busy() -> Toast:
    """The database stayed locked past the wait limit."""
    return _toast("warning", "The bot is busy; please click again.", "机器人繁忙，请重试。")


def processing(text: str | None = None) -> Toast:
    """The plugin is still working after the deadline; the card will update when it finishes."""
    if text:
        return Toast("info", text)
    return _toast("info", "Processing… the card will update when it is done.", "处理中……完成后卡片会自动更新。")
