"""Property-based attacks on the running server: mutated bodies and headers, forged and replayed requests.

Every fuzzed request is invalid by construction (its signature or token cannot match), so the server
must answer each with a 4xx, never a 5xx, and the database must end exactly as it started: no plugin
ever ran. A control at the end sends the same requests unmutated and expects them to count.
`--soak` runs many more cases.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cardbot.testing import LarkCallbacks, encrypt, signature_headers
from support import ENCRYPT_KEY, STANDARD_CONFIG, database_snapshot, new_message_id, put_card, start_server
from test_vote import poll_card

MESSAGE_ID = new_message_id()
VOTE = {"button_type": "vote", "option": "a"}
SIGNATURE_HEADERS = ("X-Lark-Request-Timestamp", "X-Lark-Request-Nonce", "X-Lark-Signature")


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("hostile"),
                          STANDARD_CONFIG + "[plugins.vote]\nenabled = true\n")
    put_card(server, MESSAGE_ID, poll_card(("a", "b")))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def fuzz_settings(request):
    return settings(max_examples=3000 if request.config.getoption("--soak") else 150, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def genuine(kind: str) -> tuple[bytes, dict[str, str]]:
    """A correctly built, signed request that would run the vote plugin."""
    kit = LarkCallbacks("test-verification-token", ENCRYPT_KEY)
    if kind == "legacy":
        return kit.legacy_card_action(message_id=MESSAGE_ID, value=VOTE)
    return kit.card_action_trigger(message_id=MESSAGE_ID, value=VOTE)


def send(server, body: bytes, headers: dict[str, str]) -> requests.Response:
    return server.session.post(server.base_url + "/lark/callback", data=body, headers=headers, timeout=10)


body_edits = st.one_of(
    st.tuples(st.just("flip"), st.integers(0, 10_000), st.integers(1, 255)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(1, 16)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000), st.just(0)),
)


def edit(body: bytes, how) -> bytes:
    kind, at, what = how
    at %= len(body)
    if kind == "flip":
        return body[:at] + bytes([body[at] ^ what]) + body[at + 1:]
    if kind == "insert":
        return body[:at] + what + body[at:]
    if kind == "delete":
        return body[:at] + body[at + what:]
    return body[:at]


def assert_refused(response: requests.Response, statuses: Counter) -> None:
    statuses[response.status_code] += 1
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    assert "error" in response.json()


def record(figures, name: str, statuses: Counter, before: dict, after: dict) -> None:
    changed = sorted(table for table in before.keys() | after.keys() if before.get(table) != after.get(table))
    figures[name] = {"cases": sum(statuses.values()), "statuses": dict(sorted(statuses.items())),
                     "tables_changed": len(changed)}
    assert not changed


def test_mutated_signed_bodies_are_refused_and_change_nothing(target, fuzz_settings, figures):
    before = database_snapshot(target)
    statuses: Counter = Counter()

    @fuzz_settings
    @given(kind=st.sampled_from(["trigger", "legacy"]), how=body_edits)
    def attack(kind, how):
        body, headers = genuine(kind)
        mutated = edit(body, how)
        if mutated == body:
            return
        assert_refused(send(target, mutated, headers), statuses)

    attack()
    record(figures, "fuzz: mutated bodies", statuses, before, database_snapshot(target))


header_values = st.one_of(st.text(max_size=40), st.from_regex(r"[0-9]{1,12}", fullmatch=True),
                          st.sampled_from(["", "0" * 64, "application/json", "text/plain"]))


def test_mutated_headers_are_refused_and_change_nothing(target, fuzz_settings, figures):
    before = database_snapshot(target)
    statuses: Counter = Counter()

    @fuzz_settings
    @given(kind=st.sampled_from(["trigger", "legacy"]), name=st.sampled_from(SIGNATURE_HEADERS),
           value=header_values, drop=st.booleans())
    def attack(kind, name, value, drop):
        body, headers = genuine(kind)
        if drop:
            headers = {key: item for key, item in headers.items() if key != name}
        elif (headers.get(name) == value or not value.isascii() or not value.isprintable()
              or value != value.strip()):  # HTTP strips a value's surrounding whitespace (requests refuses it)
            return
        else:
            headers = {**headers, name: value}
        assert_refused(send(target, body, headers), statuses)

    attack()
    record(figures, "fuzz: mutated signature headers", statuses, before, database_snapshot(target))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=30,
)


def forged(payload) -> bytes:
    return json.dumps(payload).encode()


def test_forged_payloads_are_refused_and_change_nothing(target, fuzz_settings, figures):
    """Any JSON at all, plain or encrypted with the right key but unsigned or signed with a wrong key."""
    before = database_snapshot(target)
    statuses: Counter = Counter()

    @fuzz_settings
    @given(payload=json_values, wrap=st.sampled_from(WRAPS))
    def attack(payload, wrap):
        if isinstance(payload, dict) and payload.get("type") == "url_verification":
            return  # a challenge carrying the right token is answered, by design (none here can carry it)
        assert_refused(send(target, *wrapped(payload, wrap)), statuses)

    attack()
    record(figures, "fuzz: forged payloads", statuses, before, database_snapshot(target))


WRAPS = ("plain", "plain, wrong secret", "encrypted unsigned", "encrypted wrong key")
CLICK_FIELDS = {
    "trigger": [("header", "token"), ("header", "event_id"), ("event", "operator", "open_id"),
                ("event", "context", "open_message_id"), ("event", "action", "value"), ("event", "action"), ("schema",)],
    "legacy": [("token",), ("open_id",), ("open_message_id",), ("action", "value"), ("action",), ("tenant_key",)],
}


def wrapped(payload, wrap: str) -> tuple[bytes, dict[str, str]]:
    """`payload` sent as a forger could: plain or encrypted with the app's key, never validly signed."""
    if wrap.startswith("plain"):
        body = forged(payload)
    else:
        body = forged({"encrypt": encrypt(json.dumps(payload), ENCRYPT_KEY)})
    signed = wrap in ("plain, wrong secret", "encrypted wrong key")
    return body, {"Content-Type": "application/json", **(signature_headers(body, "wrong-key") if signed else {})}


def click_payload(kind: str) -> dict:
    """The plaintext of a real click on the poll (right verification token, right message, real button)."""
    kit = LarkCallbacks("test-verification-token", None)
    build = kit.legacy_card_action if kind == "legacy" else kit.card_action_trigger
    body, _ = build(message_id=MESSAGE_ID, value=VOTE, sign=False)
    return json.loads(body)


def test_real_clicks_without_a_valid_signature_never_reach_the_plugin(target, fuzz_settings, figures):
    """Real click payloads, some fields replaced, sent unsigned or signed with a wrong secret: all 401."""
    before = database_snapshot(target)
    statuses: Counter = Counter()

    @fuzz_settings
    @given(kind=st.sampled_from(["trigger", "legacy"]), wrap=st.sampled_from(WRAPS), data=st.data())
    def attack(kind, wrap, data):
        payload = click_payload(kind)
        replaced = data.draw(st.lists(st.sampled_from(CLICK_FIELDS[kind]), max_size=3, unique=True))
        for *parents, last in sorted(replaced, key=len, reverse=True):  # inner fields before their parents
            holder = payload
            for key in parents:
                holder = holder[key]
            holder[last] = data.draw(json_values)
        response = send(target, *wrapped(payload, wrap))
        statuses[response.status_code] += 1
        assert response.status_code in (400, 401), (response.status_code, response.text)  # 400: broken shape
        if not replaced:  # a well-formed click from the right app, only the signature missing or wrong
            assert response.json() in ({"error": "missing X-Lark-Signature"}, {"error": "signature mismatch"})

    attack()
    record(figures, "fuzz: real clicks, bad signatures", statuses, before, database_snapshot(target))


def test_a_replayed_request_outside_the_window_is_refused(target):
    kit = LarkCallbacks("test-verification-token", ENCRYPT_KEY)
    before = database_snapshot(target)
    for age in (301, 3600, 86400 * 30):
        for build in (kit.card_action_trigger, kit.legacy_card_action):
            body, headers = build(message_id=MESSAGE_ID, value=VOTE, timestamp=str(int(time.time()) - age))
            response = send(target, body, headers)
            assert (response.status_code, response.json()) == (401, {"error": "stale request timestamp"})
    assert database_snapshot(target) == before


@pytest.mark.parametrize("kind", ["trigger", "legacy"])
def test_the_genuine_requests_the_fuzzers_mutate_are_accepted(target, kind):
    """The control: requests built as the fuzzers build theirs, unmutated, count a vote (so refusals above are real)."""
    kit = LarkCallbacks("test-verification-token", ENCRYPT_KEY)
    build = kit.legacy_card_action if kind == "legacy" else kit.card_action_trigger
    response = send(target, *build(message_id=MESSAGE_ID, value=VOTE, open_id=f"ou_control_{kind}"))
    assert response.status_code == 200 and response.json()["toast"]["content"] == "Vote counted"
