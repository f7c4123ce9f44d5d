"""parse_action: both callback formats, every field, refusals and delivery ids."""

import hashlib
import json
import time

import pytest

from cardbot.action import LEGACY, TRIGGER
from cardbot.errors import CallbackRejected
from cardbot.frozen import FrozenDict
from cardbot.protocol import CallbackAuth, Envelope, open_envelope, parse_action
from cardbot.testing import LarkCallbacks

AUTH = CallbackAuth(verification_token="vt", encrypt_key="ek")
LARK = LarkCallbacks(verification_token="vt", encrypt_key="ek", tenant_key="tk_1")
EVERY_FIELD = {
    "name": "approve_form",
    "option": "opt_a",
    "options": ["a", "b"],
    "form_value": {"reason": "ok", "picked": ["x", "y"]},
    "input_value": "typed",
    "checked": True,
    "timezone": "Asia/Shanghai",
}


def _parse(request):
    body, headers = request
    return parse_action(open_envelope(body, headers, AUTH, peer_is_loopback=False))


def _trigger_envelope(**changes) -> Envelope:
    payload = json.loads(LARK.card_action_trigger(encrypt=False, value={"k": "v"})[0])
    for path, value in changes.items():
        *parents, last = path.split("__")
        target = payload
        for key in parents:
            target = target[key]
        if value is ...:
            del target[last]
        else:
            target[last] = value
    return Envelope("card_action", payload, format=TRIGGER)


def _legacy_envelope(**changes) -> Envelope:
    payload = json.loads(LARK.legacy_card_action(value={"k": "v"})[0])
    for key, value in changes.items():
        if value is ...:
            del payload[key]
        else:
            payload[key] = value
    return Envelope("card_action", payload, format=LEGACY)


def _refusal(envelope) -> CallbackRejected:
    with pytest.raises(CallbackRejected) as refused:
        parse_action(envelope)
    assert refused.value.status == 400
    return refused.value


def test_trigger_every_field():
    action = _parse(
        LARK.card_action_trigger(
            message_id="om_1", open_id="ou_1", chat_id="oc_1", user_id="u_1", union_id="on_1",
            value={"button_type": "vote", "n": [1, {"d": 2}]}, tag="select_static",
            event_id="ev_1", update_token="c-upd", **EVERY_FIELD,
        )
    )
    assert action.to_json() == {
        "format": TRIGGER,
        "operator": {"id": "ou_1", "id_type": "open_id", "open_id": "ou_1", "user_id": "u_1", "union_id": "on_1",
                     "tenant_key": "tk_1"},
        "card_id": "om_1",
        "message_id": "om_1",
        "delivery_id": "v2:ev_1",
        "chat_id": "oc_1",
        "tag": "select_static",
        "name": "approve_form",
        "value": {"button_type": "vote", "n": (1, {"d": 2})},
        "value_text": None,
        "option": "opt_a",
        "options": ["a", "b"],
        "form_value": {"reason": "ok", "picked": ("x", "y")},
        "input_value": "typed",
        "checked": True,
        "timezone": "Asia/Shanghai",
        "update_token": "c-upd",
        "host": "im_message",
        "delivery_type": None,
        "url": None,
        "preview_token": None,
        "app_id": LARK.app_id,
        "created_at": action.created_at.isoformat(),
    }
    assert abs(action.created_at.timestamp() - time.time()) < 60 and action.created_at.utcoffset().total_seconds() == 0
    assert action.button_type == "vote"
    assert isinstance(action.value, FrozenDict) and isinstance(action.form_value, FrozenDict)
    with pytest.raises(TypeError):
        action.value["button_type"] = "other"


def test_legacy_every_field():
    action = _parse(
        LARK.legacy_card_action(
            message_id="om_2", open_id="ou_2", chat_id="oc_2", user_id="u_2", value={"button_type": "b"},
            tag="overflow", update_token="c-legacy", **EVERY_FIELD,
        )
    )
    assert action.format == LEGACY
    assert action.operator.open_id == "ou_2" and action.operator.user_id == "u_2"
    assert action.operator.tenant_key == "tk_1" and action.operator.union_id is None
    assert (action.message_id, action.chat_id, action.tag) == ("om_2", "oc_2", "overflow")
    assert action.value == {"button_type": "b"} and action.update_token == "c-legacy"
    assert (action.name, action.option, action.options) == ("approve_form", "opt_a", ("a", "b"))
    assert action.form_value == {"reason": "ok", "picked": ("x", "y")}
    assert (action.input_value, action.checked, action.timezone) == ("typed", True, "Asia/Shanghai")
    assert action.delivery_id.startswith("v1:")


def test_optional_fields_may_be_absent():
    envelope = _trigger_envelope(
        event__context__open_chat_id=..., event__token=..., event__operator__user_id=...
    )
    action = parse_action(envelope)
    assert (action.chat_id, action.update_token, action.operator.user_id) == (None, None, None)
    assert (action.name, action.option, action.options, action.checked) == (None, None, (), None)
    assert action.form_value == {}


def test_tenant_falls_back_to_the_header():
    action = parse_action(_trigger_envelope(event__operator__tenant_key=...))
    assert action.operator.tenant_key == "tk_1"


@pytest.mark.parametrize("value", [..., None, 5, ["list"], True])
def test_a_value_neither_object_nor_string_becomes_empty(value):
    action = parse_action(_trigger_envelope(event__action__value=value))
    assert action.value == {} and isinstance(action.value, FrozenDict) and action.button_type is None
    assert action.value_text is None and action.raw_value == {}


def test_a_string_value_is_kept_and_routes_as_its_button_type():
    action = parse_action(_trigger_envelope(event__action__value="approve"))
    assert (action.value_text, action.button_type, action.raw_value, action.value) == ("approve", "approve",
                                                                                      "approve", {})


def test_a_link_preview_card_is_known_by_its_preview_token():
    action = _parse(LARK.card_action_trigger(message_id=None, chat_id=None, value={"button_type": "t"},
                                             preview=("https://tickets.example.com/T-1", "pt_1")))
    assert action.card_id == "preview:pt_1" and action.message_id is None and action.is_link_preview
    assert (action.delivery_type, action.url, action.preview_token) == ("url_preview",
                                                                         "https://tickets.example.com/T-1", "pt_1")


def test_a_link_preview_click_without_a_preview_token_is_refused():
    body, _ = LARK.card_action_trigger(message_id="om_1", preview=("https://x.example/", "pt"), encrypt=False)
    payload = json.loads(body)
    del payload["event"]["context"]["preview_token"]
    assert "context.preview_token" in str(_refusal(Envelope("card_action", payload, format=TRIGGER)))


def test_a_card_pinned_as_a_notice_says_so():
    assert _parse(LARK.card_action_trigger(host="im_top_notice")).host == "im_top_notice"


@pytest.mark.parametrize("create_time, expected", [("1603977298000000", 1603977298.0), ("1776409469273", 1776409469.273),
                                                   ("soon", None), ("", None)])
def test_the_click_time_is_read_in_micro_or_milliseconds(create_time, expected):
    action = parse_action(_trigger_envelope(header__create_time=create_time))
    assert (None if action.created_at is None else action.created_at.timestamp()) == expected


def test_a_legacy_callback_has_no_platform_fields():
    action = _parse(LARK.legacy_card_action(value={"button_type": "b"}))
    assert (action.host, action.app_id, action.created_at, action.delivery_type) == (None, None, None, None)
    assert action.card_id == action.message_id


@pytest.mark.parametrize(
    "change",
    [
        {"header__event_id": ...},
        {"header__event_id": ""},
        {"header__event_id": 7},
        {"event": ...},
        {"event": "x"},
        {"event__operator": ...},
        {"event__operator__open_id": ..., "event__operator__user_id": ..., "event__operator__union_id": ...},
        {"event__operator__open_id": "", "event__operator__user_id": "", "event__operator__union_id": ""},
        {"event__operator__open_id": ..., "event__operator__user_id": {}, "event__operator__union_id": ...},
        {"event__operator__open_id": 1},
        {"event__operator__user_id": {"open_id": 5}},
        {"event__operator__union_id": []},
        {"event__context": ...},
        {"event__context": "om_1"},
        {"event__context__open_message_id": ...},
        {"event__action": ...},
        {"event__action": []},
        {"event__action__tag": 5},
        {"event__action__name": {}},
        {"event__action__options": 5},
        {"event__action__options": ["a", 1]},
        {"event__action__form_value": ["a"]},
        {"event__action__checked": "yes"},
        {"event__action__input_value": 3},
        {"event__token": 9},
        {"event__context__open_chat_id": False},
        {"header__tenant_key": []},
        {"header__app_id": 5},
        {"event__host": {}},
        {"event__delivery_type": 1},
        {"event__context__url": []},
    ],
)
def test_trigger_missing_or_mistyped_is_400(change):
    _refusal(_trigger_envelope(**change))


@pytest.mark.parametrize(
    "change",
    [
        {"open_id": ..., "user_id": ...},
        {"open_id": None, "user_id": ""},
        {"open_message_id": ""},
        {"open_message_id": 5},
        {"action": "click"},
        {"user_id": 1},
        {"token": {}},
        {"open_chat_id": 2},
    ],
)
def test_legacy_missing_or_mistyped_is_400(change):
    _refusal(_legacy_envelope(**change))


def test_only_card_actions_parse():
    with pytest.raises(ValueError):
        parse_action(Envelope("challenge", {}, challenge="c"))


def test_v2_delivery_id_is_the_event_id():
    request = LARK.card_action_trigger(event_id="f7984f25108f8137722bb63c")
    assert _parse(request).delivery_id == "v2:f7984f25108f8137722bb63c"


def test_legacy_delivery_id_formula():
    request = LARK.legacy_card_action(
        refresh_token="r-1", update_token="c-1", message_id="om_1", open_id="ou_1", value={"k": "飞"},
    )
    action = _parse(request)
    parts = ["c-1", "om_1", "ou_1", json.loads(request[0])["action"]]
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert action.delivery_id == "v1:" + hashlib.sha256(canonical.encode()).hexdigest()


def test_legacy_same_click_same_id():
    first = LARK.legacy_card_action(refresh_token="r-1", update_token="c-1", value={"k": 1})
    again = LARK.legacy_card_action(refresh_token="r-1", update_token="c-1", value={"k": 1})
    assert _parse(first).delivery_id == _parse(again).delivery_id


def test_legacy_delivery_id_ignores_the_unsigned_refresh_header():
    body, headers = LARK.legacy_card_action(refresh_token="r-1", update_token="c-1")
    envelope = open_envelope(body, headers, AUTH, peer_is_loopback=False)
    dropped = {key: value for key, value in headers.items() if key != "X-Refresh-Token"}
    changed = headers | {"X-Refresh-Token": "r-2"}
    ids = {parse_action(open_envelope(body, each, AUTH, peer_is_loopback=False)).delivery_id
           for each in (headers, dropped, changed)}
    assert ids == {parse_action(envelope).delivery_id}


@pytest.mark.parametrize(
    "change",
    [
        {"value": {"k": 2}},
        {"update_token": "c-2"},
        {"message_id": "om_9"},
        {"open_id": "ou_9"},
        {"tag": "overflow"},
    ],
)
def test_legacy_different_click_different_id(change):
    base = {"refresh_token": "r-1", "update_token": "c-1", "value": {"k": 1}}
    first = _parse(LARK.legacy_card_action(**base))
    assert first.delivery_id != _parse(LARK.legacy_card_action(**(base | change))).delivery_id


def test_legacy_without_an_update_token_is_identified_by_message_operator_and_action():
    envelope = _legacy_envelope(token=...)
    same = parse_action(envelope).delivery_id
    assert same == parse_action(_legacy_envelope(token=...)).delivery_id
    assert same != parse_action(_legacy_envelope(token="c-2")).delivery_id
    assert same != parse_action(_legacy_envelope(token=..., open_id="ou_other")).delivery_id


@pytest.mark.parametrize("legacy", [False, True], ids=["trigger", "legacy"])
@pytest.mark.parametrize("ids, expected", [
    ({"open_id": "ou_1", "user_id": "u_1", "union_id": "on_1"}, ("open_id", "ou_1")),
    ({"open_id": None, "user_id": "u_1", "union_id": "on_1"}, ("user_id", "u_1")),
    ({"open_id": None, "user_id": None, "union_id": "on_1"}, ("union_id", "on_1")),
    ({"open_id": "", "user_id": "", "union_id": "on_1"}, ("union_id", "on_1")),
    ({"open_id": None, "user_id": {"open_id": "ou_2", "user_id": "u_2", "union_id": "on_2"}}, ("open_id", "ou_2")),
    ({"open_id": None, "user_id": {"user_id": "u_2"}, "union_id": "on_1"}, ("user_id", "u_2")),
    ({"open_id": "ou_1", "user_id": {"open_id": "ou_2", "union_id": "on_2"}}, ("open_id", "ou_1")),
])
def test_the_operator_id_is_the_open_id_else_the_nested_one_else_user_id_else_union_id(legacy, ids, expected):
    build = LARK.legacy_card_action if legacy else LARK.card_action_trigger
    operator = _parse(build(**ids)).operator
    assert (operator.id_type, operator.id) == expected


def test_the_nested_user_id_object_fills_every_missing_id():
    nested = {"open_id": "ou_2", "user_id": "u_2", "union_id": "on_2"}
    operator = _parse(LARK.card_action_trigger(open_id=None, user_id=nested, union_id=None)).operator
    assert (operator.open_id, operator.user_id, operator.union_id) == ("ou_2", "u_2", "on_2")


def test_context_beside_the_event_is_read():
    action = _parse(LARK.card_action_trigger(message_id="om_beside", chat_id="oc_beside", context_beside_event=True))
    assert (action.message_id, action.chat_id) == ("om_beside", "oc_beside")
