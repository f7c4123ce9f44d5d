"""Property tests: no input makes the protocol layer raise anything but CallbackRejected."""

import base64
import json
import string

from hypothesis import given
from hypothesis import strategies as st

from cardbot.action import Action
from cardbot.errors import CallbackRejected
from cardbot.protocol import CallbackAuth, open_envelope, parse_action
from cardbot.testing import LarkCallbacks, encrypt

AUTHS = st.sampled_from(
    [
        CallbackAuth("vt", "ek"),
        CallbackAuth("vt", None),
        CallbackAuth(None, "ek"),
        CallbackAuth(None, None),
        CallbackAuth(None, None, dev=True),
    ]
)
HEADER_NAMES = st.sampled_from(
    "X-Lark-Request-Timestamp x-lark-request-nonce X-LARK-SIGNATURE X-Refresh-Token Content-Type".split()
)
HEADERS = st.dictionaries(st.one_of(HEADER_NAMES, st.text(max_size=20)), st.text(max_size=80), max_size=6)
KEYS = st.sampled_from(
    "encrypt schema header event_type event type token challenge action value open_message_id open_id "
    "operator context event_id uuid options form_value checked tag tenant_key".split()
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.sampled_from(["2.0", "url_verification", "card.action.trigger", "vt", "ou_1", encrypt("{}", "ek")]),
)
JSON_VALUES = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=5)
)
JSON_OBJECTS = st.dictionaries(KEYS, JSON_VALUES, max_size=8)


def _open_and_parse(body, headers, auth, loopback):
    try:
        envelope = open_envelope(body, headers, auth, peer_is_loopback=loopback, now=1_700_000_000)
        if envelope.kind == "card_action":
            assert isinstance(parse_action(envelope), Action)
    except CallbackRejected as refused:
        assert refused.status in (400, 401, 403) and refused.reason
        return refused
    return envelope


@given(st.binary(max_size=300), HEADERS, AUTHS, st.booleans())
def test_any_bytes(body, headers, auth, loopback):
    _open_and_parse(body, headers, auth, loopback)


@given(JSON_OBJECTS, HEADERS, AUTHS, st.booleans())
def test_any_json_object(payload, headers, auth, loopback):
    _open_and_parse(json.dumps(payload).encode(), headers, auth, loopback)


@given(JSON_OBJECTS, AUTHS, st.booleans())
def test_any_encrypted_json_object(payload, auth, loopback):
    body = json.dumps({"encrypt": encrypt(json.dumps(payload), "ek")}).encode()
    _open_and_parse(body, {}, auth, loopback)


PLAINTEXT = '{"challenge":"0c9d1a52-6f5e-4d53-b0d8-5c51a5d0ad0e","token":"vt","type":"url_verification"}'
CIPHERTEXT = base64.b64decode(encrypt(PLAINTEXT, "ek", iv=bytes(range(16))))


def test_every_bit_flip_in_the_ciphertext_is_the_uniform_400():
    """Exhaustive over every ciphertext bit (the IV excluded: CBC lets it edit the first block)."""
    for bit in range(16 * 8, len(CIPHERTEXT) * 8):
        flipped = bytearray(CIPHERTEXT)
        flipped[bit // 8] ^= 1 << (bit % 8)
        body = json.dumps({"encrypt": base64.b64encode(flipped).decode()}).encode()
        refused = _open_and_parse(body, {}, CallbackAuth("vt", "ek"), False)
        assert (refused.status, refused.reason) == (400, "cannot decrypt the body"), bit


LARK = LarkCallbacks("vt", "ek")
SIGNED = [
    LARK.card_action_trigger(value={"button_type": "vote"}, timestamp="1700000000"),
    LARK.card_action_trigger(value={"button_type": "vote"}, encrypt=False, timestamp="1700000000"),
    LARK.legacy_card_action(value={"button_type": "vote"}, timestamp="1700000000"),
]


@given(st.sampled_from(SIGNED), st.data())
def test_a_changed_letter_in_a_signed_body_is_401(request, data):
    body, headers = request
    letters = [i for i, byte in enumerate(body) if chr(byte) in string.ascii_letters]
    at = data.draw(st.sampled_from(letters))
    other = data.draw(st.sampled_from(string.ascii_letters).filter(lambda c: ord(c) != body[at]))
    mutated = body[:at] + other.encode() + body[at + 1 :]
    refused = _open_and_parse(mutated, headers, CallbackAuth("vt", "ek"), False)
    assert refused.status == 401


@given(st.sampled_from(SIGNED), st.data())
def test_any_changed_byte_in_a_signed_body_is_refused(request, data):
    body, headers = request
    at = data.draw(st.integers(0, len(body) - 1))
    other = data.draw(st.integers(0, 255).filter(lambda b: b != body[at]))
    mutated = body[:at] + bytes([other]) + body[at + 1 :]
    assert isinstance(_open_and_parse(mutated, headers, CallbackAuth("vt", "ek"), False), CallbackRejected)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))


DEV_KIT = LarkCallbacks()
CARD_ACTIONS = [
    json.loads(DEV_KIT.card_action_trigger(value={"button_type": "vote"}, name="n", options=["a"])[0]),
    json.loads(DEV_KIT.legacy_card_action(value={"button_type": "vote"}, form_value={"f": "v"})[0]),
]


@given(st.sampled_from(CARD_ACTIONS), st.data(), JSON_VALUES)
def test_a_card_action_with_any_field_replaced(payload, data, replacement):
    path = data.draw(st.sampled_from([p for p in _paths(payload) if p]))
    mangled = json.loads(json.dumps(payload))
    target = mangled
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = replacement
    result = _open_and_parse(json.dumps(mangled).encode(), {}, CallbackAuth(None, None, dev=True), True)
    assert not isinstance(result, CallbackRejected) or result.status == 400
