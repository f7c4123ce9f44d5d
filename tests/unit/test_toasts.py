"""The toasts cardbot builds itself: a refusal's translations, and the checks on them at raise time."""

from __future__ import annotations

import pytest

from cardbot import ActionFailed, Toast
from cardbot.clicks import toasts


def test_a_refusal_without_translations_keeps_its_english_and_chinese_suffixes():
    assert toasts.failed("zoo", "No") == Toast("error", "No (the card is unchanged)",
                                               {"en_us": "No (the card is unchanged)", "zh_cn": "No（卡片未改变）"})


def test_a_refusal_with_translations_shows_each_with_its_own_suffix_and_english_defaults_to_the_message():
    toast = toasts.failed("zoo", "No", {"zh_cn": "不行", "ja_jp": "だめ", "de_de": "Nein"})
    assert toast == Toast("error", "No (the card is unchanged)", {
        "en_us": "No (the card is unchanged)", "zh_cn": "不行（卡片未改变）", "ja_jp": "だめ（カードは変更されていません）",
        "de_de": "Nein"})
    assert toasts.failed("zoo", "No", {"en_us": "Nope"}).i18n == {"en_us": "Nope (the card is unchanged)"}


def test_a_failure_without_a_reason_gets_the_generic_toast():
    assert toasts.failed("zoo").content == "The zoo plugin failed; the card is unchanged."


def test_action_failed_keeps_its_message_and_a_copy_of_its_translations():
    given = {"zh_cn": "不行"}
    failure = ActionFailed("No", i18n=given)
    given["zh_cn"] = "changed"
    assert (str(failure), failure.i18n) == ("No", {"zh_cn": "不行"})
    assert ActionFailed("No").i18n == {}


@pytest.mark.parametrize(("i18n", "message"), [
    (["zh_cn", "不行"], "ActionFailed i18n must be a dict of locale -> text, not list"),
    ({"zh-CN": "不行"}, "ActionFailed i18n: 'zh-CN' is not a Lark locale; use one of zh_cn, en_us, ja_jp"),
    ({"zh_cn": 3}, "ActionFailed i18n must map locale strings to strings; 'zh_cn' maps to int"),
])
def test_bad_translations_are_a_type_error_where_the_refusal_is_raised(i18n, message):
    with pytest.raises(TypeError, match=message):
        ActionFailed("No", i18n=i18n)


def test_a_toast_takes_only_lark_locales():
    with pytest.raises(TypeError, match="toast i18n: 'english' is not a Lark locale"):
        Toast("info", "x", {"english": "x"})
