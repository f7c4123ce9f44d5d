"""parse_message and read_command: Lark's im.message.receive_v1 event, text and post content, commands."""

import copy
import dataclasses
import json
from datetime import datetime, timezone

import pytest

from cardbot.errors import CallbackRejected
from cardbot.frozen import FrozenDict
from cardbot.messages import Message, parse_message, read_command

# The official example of the event, verbatim
# (https://open.feishu.cn/document/server-docs/im-v1/message/events/receive).
OFFICIAL = {
    "schema": "2.0",
    "header": {
        "event_id": "5e3702a84e847582be8db7fb73283c02",
        "event_type": "im.message.receive_v1",
        "create_time": "1608725989000",
        "token": "rvaYgkND1GOiu5MM0E1rncYC6PLtF7JV",
        "app_id": "cli_9f5343c580712544",
        "tenant_key": "2ca1d211f64f6438",
    },
    "event": {
        "sender": {
            "sender_id": {
                "union_id": "on_8ed6aa67826108097d9ee143816345",
                "user_id": "e33ggbyz",
                "open_id": "ou_84aad35d084aa403a838cf73ee18467",
            },
            "sender_type": "user",
            "tenant_key": "736588c9260f175e",
        },
        "message": {
            "message_id": "om_5ce6d572455d361153b7cb51da133945",
            "root_id": "om_5ce6d572455d361153b7cb5xxfsdfsdfdsf",
            "parent_id": "om_5ce6d572455d361153b7cb5xxfsdfsdfdsf",
            "create_time": "1609073151345",
            "update_time": "1687343654666",
            "chat_id": "oc_5ce6d572455d361153b7xx51da133945",
            "thread_id": "omt_d4be107c616",
            "chat_type": "group",
            "message_type": "text",
            "content": "{\"text\":\"@_user_1 hello\"}",
            "mentions": [
                {
                    "key": "@_user_1",
                    "id": {
                        "union_id": "on_8ed6aa67826108097d9ee143816345",
                        "user_id": "e33ggbyz",
                        "open_id": "ou_84aad35d084aa403a838cf73ee18467",
                    },
                    "name": "Tom",
                    "tenant_key": "736588c9260f175e",
                }
            ],
            "user_agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 13_2_1) AppleWebKit/537.36 (KHTML, like Gecko) "
                          "Chrome/101.0.4951.53 Safari/537.36 Lark/6.7.5 LarkLocale/en_US ttnet SDK-Version/6.7.8",
        },
    },
}

BOT = "ou_bot"
BOT_MENTION = {"key": "@_user_1", "id": {"open_id": BOT}, "name": "Cardbot"}
ALICE = {"key": "@_user_2", "id": {"open_id": "ou_alice", "user_id": "u_alice"}, "name": "Alice"}

# A post as the receive event carries it: no locale layer, an `at` run's user_id is the mention key.
POST = {
    "title": "Plan",
    "content": [
        [{"tag": "at", "user_id": "@_user_1", "user_name": "Cardbot", "style": []},
         {"tag": "text", "text": "poll", "style": []},
         {"tag": "at", "user_id": "@_user_2", "user_name": "Alice", "style": []}],
        [{"tag": "text", "text": "see "}, {"tag": "a", "text": "the spec", "href": "https://example.com/spec"}],
        [{"tag": "img", "image_key": "img_v2_1", "width": 10, "height": 10}],
        [{"tag": "text", "text": "last "}, {"tag": "emotion", "emoji_type": "SMILE"}, {"tag": "text", "text": "line"}],
    ],
}
POST_TEXT = "@_user_1 poll @_user_2\nsee the spec\n\nlast line"


def _payload(text=None, *, content=None, chat_type="group", message_type="text", mentions=(BOT_MENTION,)):
    payload = copy.deepcopy(OFFICIAL)
    message = payload["event"]["message"]
    message.update(chat_type=chat_type, message_type=message_type, mentions=list(mentions))
    message["content"] = json.dumps({"text": text} if content is None else content)
    return payload


def _message(text=None, **options) -> Message:
    return parse_message(_payload(text, **options))


def _changed(path: str, value):
    """The official payload with `path` ("event.message.chat_id") set to `value`, or deleted when it is ..."""
    payload = copy.deepcopy(OFFICIAL)
    *parents, last = path.split(".")
    target = payload
    for key in parents:
        target = target[int(key)] if isinstance(target, list) else target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return payload


def test_the_official_example_parses_with_every_field():
    message = parse_message(copy.deepcopy(OFFICIAL))
    assert message.to_json() == {
        "message_id": "om_5ce6d572455d361153b7cb51da133945",
        "chat_id": "oc_5ce6d572455d361153b7xx51da133945",
        "chat_type": "group",
        "message_type": "text",
        "sender": {"id": "ou_84aad35d084aa403a838cf73ee18467", "id_type": "open_id",
                   "open_id": "ou_84aad35d084aa403a838cf73ee18467", "user_id": "e33ggbyz",
                   "union_id": "on_8ed6aa67826108097d9ee143816345", "tenant_key": "736588c9260f175e"},
        "sender_type": "user",
        "text": "@_user_1 hello",
        "content": {"text": "@_user_1 hello"},
        "mentions": [{"key": "@_user_1", "id": "ou_84aad35d084aa403a838cf73ee18467", "name": "Tom",
                      "open_id": "ou_84aad35d084aa403a838cf73ee18467", "user_id": "e33ggbyz",
                      "union_id": "on_8ed6aa67826108097d9ee143816345"}],
        "delivery_id": "msg:om_5ce6d572455d361153b7cb51da133945",
        "root_id": "om_5ce6d572455d361153b7cb5xxfsdfsdfdsf",
        "parent_id": "om_5ce6d572455d361153b7cb5xxfsdfsdfdsf",
        "thread_id": "omt_d4be107c616",
        "created_at": "2020-12-27T12:45:51.345000+00:00",
        "event_id": "5e3702a84e847582be8db7fb73283c02",
        "app_id": "cli_9f5343c580712544",
    }
    assert message.created_at == datetime(2020, 12, 27, 12, 45, 51, 345000, tzinfo=timezone.utc)
    assert message.mentions[0].id == "ou_84aad35d084aa403a838cf73ee18467"
    assert isinstance(message.content, FrozenDict)


def test_the_same_message_redelivered_under_another_event_id_has_the_same_delivery_id():
    again = _changed("header.event_id", "another_event")
    assert parse_message(again).delivery_id == parse_message(copy.deepcopy(OFFICIAL)).delivery_id


def test_minimal_event_leaves_the_optional_fields_empty():
    payload = {"event": {"sender": {"sender_id": {"user_id": "u_1", "open_id": ""}},
                         "message": {"message_id": "om_1", "chat_id": "oc_1", "chat_type": "p2p",
                                     "message_type": "text", "content": "{\"text\":\"hi\"}", "root_id": ""}}}
    message = parse_message(payload)
    assert (message.sender.id, message.sender.id_type, message.sender.open_id) == ("u_1", "user_id", None)
    assert message.mentions == ()
    assert (message.root_id, message.created_at, message.event_id, message.app_id, message.sender_type) == (
        None, None, None, None, None)


def test_sender_tenant_falls_back_to_the_header():
    payload = _changed("event.sender.tenant_key", ...)
    assert parse_message(payload).sender.tenant_key == "2ca1d211f64f6438"


def test_a_post_without_locale_layer_reads_its_runs_and_paragraphs():
    message = _message(content=POST, message_type="post", mentions=(BOT_MENTION, ALICE))
    assert message.text == POST_TEXT
    assert message.content["title"] == "Plan"
    assert message.content["content"][1][1]["href"] == "https://example.com/spec"


def test_a_post_with_a_locale_layer_reads_the_same():
    message = _message(content={"zh_cn": POST}, message_type="post", mentions=(BOT_MENTION, ALICE))
    assert message.text == POST_TEXT


def test_a_post_keeps_the_spaces_it_has_and_names_a_mention_without_key_by_its_name():
    content = {"content": [[{"tag": "text", "text": "hi "}, {"tag": "at", "user_id": "@_user_1"},
                            {"tag": "text", "text": " and "}, {"tag": "at", "user_name": "Bob"}]]}
    assert _message(content=content, message_type="post").text == "hi @_user_1 and @Bob"


def test_post_content_of_an_unknown_shape_gives_empty_text():
    for content in ({"content": "not paragraphs"}, {"content": [["not a run", {"tag": "text", "text": 5}]]}, {}):
        assert _message(content=content, message_type="post").text == ""


def test_other_message_types_have_no_text_but_keep_their_content():
    message = _message(content={"image_key": "img_1"}, message_type="image")
    assert (message.text, message.content) == ("", {"image_key": "img_1"})


@pytest.mark.parametrize("path, value, reason", [
    ("event", ..., "event must be a JSON object"),
    ("event.message", ..., "event.message must be a JSON object"),
    ("event.sender", [], "event.sender must be a JSON object"),
    ("event.message.message_id", ..., "event.message.message_id must be a non-empty string"),
    ("event.message.message_id", "", "event.message.message_id must be a non-empty string"),
    ("event.message.chat_id", 7, "event.message.chat_id must be a string"),
    ("event.message.chat_id", ..., "event.message.chat_id must be a non-empty string"),
    ("event.message.chat_type", ..., "event.message.chat_type must be a non-empty string"),
    ("event.message.message_type", None, "event.message.message_type must be a non-empty string"),
    ("event.message.content", ..., "event.message.content must be a JSON object in a string"),
    ("event.message.content", {"text": "hi"}, "event.message.content must be a JSON object in a string"),
    ("event.message.content", "{text: hi}", "event.message.content must be a JSON object in a string"),
    ("event.message.content", "[\"hi\"]", "event.message.content must be a JSON object in a string"),
    ("event.message.content", "[" * 2000 + "]" * 2000, "event.message.content must be a JSON object in a string"),
    ("event.message.content", "{\"a\":" * 70 + "1" + "}" * 70,
     "event.message.content is nested deeper than 64 levels"),
    ("event.sender.sender_id", ..., "event.sender.sender_id must be a JSON object"),
    ("event.sender.sender_id", {"open_id": "", "user_id": None},
     "event.sender.sender_id.open_id (or user_id or union_id) must be a non-empty string"),
    ("event.sender.sender_id.open_id", 12, "event.sender.sender_id.open_id must be a string"),
    ("event.sender.sender_type", 1, "event.sender.sender_type must be a string"),
    ("event.message.root_id", 1, "event.message.root_id must be a string"),
    ("event.message.thread_id", {}, "event.message.thread_id must be a string"),
    ("event.message.create_time", 1609073151345, "event.message.create_time must be a string"),
    ("event.message.create_time", "soon", "event.message.create_time must be a string of milliseconds since 1970"),
    ("event.message.create_time", "9" * 30, "event.message.create_time must be a string of milliseconds since 1970"),
    ("event.message.mentions", {}, "event.message.mentions must be a list of JSON objects"),
    ("event.message.mentions", ["@_user_1"], "event.message.mentions[0] must be a JSON object"),
    ("event.message.mentions.0.key", ..., "event.message.mentions[0].key must be a non-empty string"),
    ("event.message.mentions.0.id", "ou_1", "event.message.mentions[0].id must be a JSON object"),
    ("event.message.mentions.0.id.open_id", 1, "event.message.mentions[0].id.open_id must be a string"),
    ("event.message.mentions.0.name", 1, "event.message.mentions[0].name must be a string"),
    ("header", "h", "header must be a JSON object"),
    ("header.event_id", 5, "header.event_id must be a string"),
    ("header.app_id", [], "header.app_id must be a string"),
])
def test_bad_fields_are_refused_with_their_path(path, value, reason):
    with pytest.raises(CallbackRejected) as refused:
        parse_message(_changed(path, value))
    assert (refused.value.status, refused.value.reason) == (400, reason)


def test_another_event_type_is_a_programming_error():
    with pytest.raises(ValueError, match="card.action.trigger"):
        parse_message(_changed("header.event_type", "card.action.trigger"))


def test_group_command_addressed_to_the_bot():
    command = read_command(_message("@_user_1 vote A"), BOT)
    assert (command.name, command.args, command.text, command.mentions) == ("vote", ("A",), "A", ())
    assert command.message.message_id == "om_5ce6d572455d361153b7cb51da133945"
    assert command.syntax_error is None


def test_group_message_without_a_bot_mention_is_not_a_command():
    assert read_command(_message("vote A", mentions=()), BOT) is None
    assert read_command(_message("@_user_2 vote A", mentions=(ALICE,)), BOT) is None


def test_group_message_is_never_a_command_without_the_bot_open_id():
    assert read_command(_message("@_user_1 vote A"), None) is None


def test_bot_mention_not_at_the_start_of_a_group_message_is_not_a_command():
    assert read_command(_message("vote @_user_1 A"), BOT) is None


def test_direct_message_needs_no_mention():
    command = read_command(_message("vote A", chat_type="p2p", mentions=()), BOT)
    assert (command.name, command.args) == ("vote", ("A",))
    assert read_command(_message("vote A", chat_type="p2p", mentions=()), None).name == "vote"


def test_direct_message_may_still_mention_the_bot_first():
    assert read_command(_message("@_user_1 /vote A", chat_type="p2p"), BOT).args == ("A",)


def test_leading_slash_and_case_are_dropped_from_the_name():
    assert read_command(_message("@_user_1 /Poll x"), BOT).name == "poll"
    assert read_command(_message("/ poll x", chat_type="p2p"), BOT) is None


def test_quoted_arguments_are_shell_words():
    command = read_command(_message('@_user_1 poll "Lunch today?" Noodles Rice "Hot pot"'), BOT)
    assert command.name == "poll"
    assert command.args == ("Lunch today?", "Noodles", "Rice", "Hot pot")
    assert command.text == '"Lunch today?" Noodles Rice "Hot pot"'


def test_unbalanced_quote_sets_syntax_error_and_splits_at_whitespace():
    command = read_command(_message("@_user_1 poll What's for lunch?"), BOT)
    assert command.syntax_error == "No closing quotation"
    assert command.args == ("What's", "for", "lunch?")


def test_mention_of_another_person_becomes_their_id():
    command = read_command(_message("@_user_1 assign @_user_2 review", mentions=(BOT_MENTION, ALICE)), BOT)
    assert command.args == ("ou_alice", "review")
    assert command.text == "ou_alice review"
    assert [mention.name for mention in command.mentions] == ["Alice"]


def test_mention_without_open_id_becomes_its_other_id():
    bob = {"key": "@_user_2", "id": {"union_id": "on_bob"}, "name": "Bob"}
    assert read_command(_message("@_user_1 assign @_user_2", mentions=(BOT_MENTION, bob)), BOT).args == ("on_bob",)


def test_a_longer_mention_key_is_not_read_as_a_shorter_one():
    people = [BOT_MENTION, *({"key": f"@_user_{n}", "id": {"open_id": f"ou_{n}"}} for n in range(2, 13))]
    command = read_command(_message("@_user_1 pick @_user_12 @_user_2,", mentions=people), BOT)
    assert command.args == ("ou_12", "@_user_2,")
    assert command.text == "ou_12 ou_2,"


def test_bot_mentioned_twice_at_the_start():
    twice = (BOT_MENTION, {"key": "@_user_2", "id": {"open_id": BOT}, "name": "Cardbot"})
    command = read_command(_message("@_user_1 @_user_2  vote A", mentions=twice), BOT)
    assert (command.name, command.args, command.mentions) == ("vote", ("A",), ())


def test_mention_all_and_later_bot_mentions_stay_as_typed():
    command = read_command(_message("@_user_1 notify @_all @_user_1"), BOT)
    assert command.args == ("@_all", "@_user_1")


def test_a_word_that_is_not_a_command_word_is_not_a_command():
    assert read_command(_message("@_user_1 123 foo"), BOT) is None
    assert read_command(_message("@_user_1 poll!"), BOT) is None
    assert read_command(_message("@_user_1"), BOT) is None


def test_full_width_and_non_breaking_spaces_separate_words():
    command = read_command(_message("\u3000@_user_1\u3000poll\u00a0a\u3000'b\u3000c'\u00a0"), BOT)
    assert (command.name, command.args) == ("poll", ("a", "b\u3000c"))


def test_post_message_commands():
    command = read_command(_message(content=POST, message_type="post", mentions=(BOT_MENTION, ALICE)), BOT)
    assert (command.name, command.args[0]) == ("poll", "ou_alice")
    assert command.args[1:] == ("see", "the", "spec", "last", "line")


def test_message_types_other_than_text_and_post_are_not_commands():
    text_message = _message("poll a", chat_type="p2p")
    assert read_command(text_message, BOT) is not None
    for message_type in ("image", "interactive", "file"):
        assert read_command(dataclasses.replace(text_message, message_type=message_type), BOT) is None
