"""The payload corpus (tests/fixtures/lark_payloads/) keeps its shape: every payload a JSON object with a
source naming where it comes from, listed in the README, and shaped like the kind its name says."""

from __future__ import annotations

import hashlib
import re

import pytest

from payloads import CORPUS, load_payload, payload_names, raw_payload, source_of

NAMES = payload_names()
TRIGGERS = payload_names("trigger_")
REPO_PATH = re.compile(r"\b[\w.-]+/[\w.-]+ \S+\.\w+ @ [0-9a-f]{7,40}\b")  # owner/repo path/to/file.ext @ commit


def test_the_corpus_holds_payloads_of_every_kind():
    for prefix in ("trigger_", "legacy_", "other_", "answer_"):
        assert payload_names(prefix), prefix


def test_every_file_belongs_to_a_payload():
    payload_files = {f"{name}.source.txt" for name in NAMES} | {path.name for path in CORPUS.glob("*.json")}
    assert {path.name for path in CORPUS.iterdir()} == payload_files | {"README.md"}
    assert len(list(CORPUS.glob("*.json"))) == len(NAMES)  # no name stored both as .json and .raw.json


@pytest.mark.parametrize("name", NAMES)
def test_a_payload_is_a_json_object_with_a_source(name):
    assert isinstance(load_payload(name), dict)
    source = source_of(name)
    assert source.startswith("source: ")
    assert "https://" in source or REPO_PATH.search(source), "the source names no URL and no repository path"


@pytest.mark.parametrize("name", NAMES)
def test_constructed_payloads_say_so(name):
    constructed = source_of(name).startswith("source: CONSTRUCTED")
    assert constructed == name.endswith("_constructed")


@pytest.mark.parametrize("name", NAMES)
def test_the_readme_lists_every_payload(name):
    assert re.search(rf"\b{re.escape(name)}\b", (CORPUS / "README.md").read_text(encoding="utf-8"))


def test_loading_gives_a_fresh_copy():
    payload = load_payload("trigger_button_doc")
    payload["event"]["action"]["tag"] = "changed"
    assert load_payload("trigger_button_doc")["event"]["action"]["tag"] == "button"


def test_an_unknown_name_is_refused():
    with pytest.raises(KeyError, match="no payload 'nope'"):
        load_payload("nope")
    with pytest.raises(KeyError):
        source_of("nope")


@pytest.mark.parametrize("name", TRIGGERS)
def test_a_card_action_trigger_has_its_envelope(name):
    payload = load_payload(name)
    assert payload["schema"] == "2.0"
    header = payload["header"]
    assert header["event_type"] == "card.action.trigger"
    assert all(isinstance(header[key], str) and header[key] for key in ("event_id", "create_time"))
    event = payload["event"]
    assert isinstance(event["token"], str)
    assert isinstance(event["operator"], dict) and event["operator"].get("open_id")
    assert isinstance(event["action"], dict) and isinstance(event["action"]["tag"], str)
    # Some doc examples print host and context beside event instead of inside it; Lark's readers accept both.
    holder = event if "host" in event else payload
    assert holder["host"] in ("im_message", "im_top_notice")
    assert holder["context"]["open_message_id"].startswith("om_")


@pytest.mark.parametrize("name", payload_names("legacy_") + payload_names("other_"))
def test_other_deliveries_are_not_card_action_triggers(name):
    payload = load_payload(name)
    if name.startswith("other_"):
        assert payload["schema"] == "2.0" and payload["header"]["event_type"] != "card.action.trigger"
    else:
        assert "schema" not in payload and "header" not in payload


@pytest.mark.parametrize("name", payload_names("answer_"))
def test_an_answer_carries_a_toast_or_a_card(name):
    payload = load_payload(name)
    assert set(payload) <= {"toast", "card"} and payload
    assert payload["card"]["type"] in ("raw", "template")


def test_a_raw_payload_keeps_the_bytes_its_signature_covers():
    source = source_of("legacy_button_go_sdk_sample")
    timestamp = re.search(r"X-Lark-Request-Timestamp: (.+?) \|", source).group(1)
    nonce = re.search(r"X-Lark-Request-Nonce: (\S+)", source).group(1)
    token = re.search(r"verification token used by the sample: (\S+)", source).group(1)
    signature = re.search(r"signature \(.*\): ([0-9a-f]{40})", source).group(1)
    body = raw_payload("legacy_button_go_sdk_sample")
    assert hashlib.sha1((timestamp + nonce + token).encode() + body).hexdigest() == signature
