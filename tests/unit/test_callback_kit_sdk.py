"""The kit's requests are accepted by the official SDK (lark-oapi), so the kit speaks real Lark."""

import json

import lark_oapi as lark
from lark_oapi.core.utils import AESCipher
from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse
from lark_oapi.event.callback.model.p2_url_preview_get import P2URLPreviewGetResponse

from cardbot.testing import LarkCallbacks, encrypt

KIT = LarkCallbacks(verification_token="vt", encrypt_key="ek")


def _raw(request) -> lark.RawRequest:
    body, headers = request
    raw = lark.RawRequest()
    raw.uri = "/lark/callback"
    raw.headers = headers  # canonical case: the SDK looks headers up case-sensitively (pitfall P2)
    raw.body = body
    return raw


def _dispatcher(seen: list, encrypt_key="ek", verification_token="vt"):
    def on_click(data):
        seen.append(data)
        return P2CardActionTriggerResponse({"toast": {"type": "info", "content": "ok"}})

    def on_preview(data):
        seen.append(data)
        return P2URLPreviewGetResponse({})

    return (
        lark.EventDispatcherHandler.builder(encrypt_key, verification_token)
        .register_p2_card_action_trigger(on_click)
        .register_p2_url_preview_get(on_preview)
        .build()
    )


def _legacy_handler(seen: list, encrypt_key="ek", verification_token="vt"):
    return lark.CardActionHandler.builder(encrypt_key, verification_token).register(seen.append).build()


def test_sdk_accepts_an_encrypted_signed_card_action_trigger():
    seen = []
    request = KIT.card_action_trigger(
        message_id="om_1", open_id="ou_1", value={"button_type": "vote"}, chat_id="oc_1", name="b"
    )
    response = _dispatcher(seen).do(_raw(request))
    assert response.status_code == 200, response.content
    assert json.loads(response.content) == {"toast": {"type": "info", "content": "ok"}}
    event = seen[0].event
    assert event.operator.open_id == "ou_1"
    assert (event.context.open_message_id, event.context.open_chat_id) == ("om_1", "oc_1")
    assert event.action.value == {"button_type": "vote"}
    assert (event.action.tag, event.action.name) == ("button", "b")
    assert seen[0].header.event_type == "card.action.trigger" and seen[0].header.token == "vt"


def test_sdk_accepts_a_plaintext_trigger_checked_by_token():
    seen = []
    kit = LarkCallbacks(verification_token="vt")
    response = _dispatcher(seen, encrypt_key="").do(_raw(kit.card_action_trigger(open_id="ou_2")))
    assert response.status_code == 200 and seen[0].event.operator.open_id == "ou_2"


def test_sdk_refuses_what_the_kit_signs_wrongly():
    seen = []
    impostor = LarkCallbacks(verification_token="vt", encrypt_key="ek")
    body, headers = impostor.card_action_trigger()
    headers["X-Lark-Signature"] = "0" * 64
    assert _dispatcher(seen).do(_raw((body, headers))).status_code == 500 and not seen


def test_sdk_accepts_url_preview_events():
    seen = []
    request = KIT.event("url.preview.get", {"operator": {"open_id": "ou_1"}, "context": {"url": "https://x"}})
    assert _dispatcher(seen).do(_raw(request)).status_code == 200
    assert seen[0].event.context.url == "https://x"


def test_sdk_answers_the_kit_challenge():
    for request in (KIT.url_verification("ch-1"), KIT.url_verification("ch-1", encrypt=False)):
        for handler in (_dispatcher([]), _legacy_handler([])):
            response = handler.do(_raw(request))
            assert response.status_code == 200 and json.loads(response.content) == {"challenge": "ch-1"}


def test_sdk_accepts_a_signed_legacy_card_action():
    seen = []
    request = KIT.legacy_card_action(message_id="om_1", open_id="ou_1", value={"k": "v"}, update_token="c-1")
    response = _legacy_handler(seen).do(_raw(request))
    assert response.status_code == 200, response.content
    card = seen[0]
    assert (card.open_id, card.open_message_id, card.token) == ("ou_1", "om_1", "c-1")
    assert (card.action.value, card.action.tag) == ({"k": "v"}, "button")


def test_sdk_accepts_a_legacy_date_timestamp():
    request = KIT.legacy_card_action(timestamp="Monday, 14-Nov-22 15:53:37 CST")
    assert _legacy_handler([]).do(_raw(request)).status_code == 200


def test_sdk_refuses_a_legacy_action_signed_with_another_token():
    seen = []
    impostor = LarkCallbacks(verification_token="not-vt")
    assert _legacy_handler(seen).do(_raw(impostor.legacy_card_action())).status_code == 500 and not seen


def test_sdk_cipher_decrypts_the_kit():
    for text in ("", "hello world", '{"飞书": "✓"}', "x" * 100):
        assert AESCipher("ek").decrypt_str(encrypt(text, "ek")) == text
