"""The benchmark's rules: a wrk run with any non-200, any answer without the click's result, any socket
error or timeout, or a replayed request is invalid, and a redone run replaces its invalid try; only answers
holding the click's result count, and a run whose database stored fewer than 99 % of them is invalid; the
quick block shows medians with their spread."""

import re
import sqlite3

import pytest

from bench.report import final_runs, quick_block, summarize
from bench.runner import Config, Run
from bench.work_done import check_work_done, stored_versions
from bench.workloads import WORKLOADS, fill_database, start_cards
from bench.wrk import WrkResult, parse_output

CLEAN = {"requests": 20000, "counted": 20000, "duration_us": 10_000_000, "built": 30000, "wrapped": 0, "non200": 0,
         "unexpected": 0, "statuses": "", "p50_us": 27900, "p99_us": 38200, "connect_errors": 0, "read_errors": 0,
         "write_errors": 0, "timeouts": 0}


def bench_line(**changes) -> str:
    return "BENCH " + " ".join(f"{key}={value}" for key, value in {**CLEAN, **changes}.items()) + "\n"


def test_a_clean_run_is_valid_and_read_correctly():
    result = parse_output(bench_line(), "", 0)
    assert result.invalid is None
    assert (result.rps, result.p50_ms, result.p99_ms) == (2000.0, 27.9, 38.2)


@pytest.mark.parametrize("changes, reason", [
    ({"non200": 3, "statuses": "500:2,403:1"}, "3 non-200 answers (500:2,403:1)"),
    ({"unexpected": 1}, "1 answers without the click's result"),
    ({"timeouts": 2}, "socket errors timeouts=2"),
    ({"read_errors": 1, "connect_errors": 4}, "socket errors connect_errors=4, read_errors=1"),
    ({"wrapped": 7}, "ran out of requests: 7 replayed again (built 30000)"),
    ({"requests": 0}, "no request completed"),
])
def test_any_bad_answer_makes_the_run_invalid(changes, reason):
    result = parse_output(bench_line(**changes), "", 0)
    assert result.invalid is not None and reason in result.invalid


def test_the_first_bad_answer_is_quoted():
    stdout = bench_line(non200=1, statuses="400:1") + 'BENCH_FIRST_BAD 400 {"error":"stale request timestamp"}\n'
    assert 'first bad answer: 400 {"error":"stale request timestamp"}' in parse_output(stdout, "", 0).invalid


@pytest.mark.parametrize("stdout, returncode", [(bench_line(), 1), ("no summary line\n", 0)])
def test_a_failed_wrk_is_invalid(stdout, returncode):
    assert parse_output(stdout, "boom", returncode).invalid.startswith(f"wrk failed (exit {returncode})")


def test_a_redone_run_replaces_its_invalid_try():
    config = Config("cardbot", 1, "a", "trigger")
    ran_out = Run(config, 1, WrkResult.failed("ran out of requests"))
    redone = Run(config, 1, parse_output(bench_line(), "", 0))
    other_round = Run(config, 2, WrkResult.failed("1 non-200 answers"))
    final = final_runs([ran_out, redone, other_round])
    assert final == {(config.name, 1): redone, (config.name, 2): other_round}
    assert [run.valid for run in final.values()] == [True, False]


def test_only_answers_holding_the_result_count_as_throughput():
    result = parse_output(bench_line(requests=20000, counted=19000, unexpected=1000), "", 0)
    assert result.rps == 1900.0
    assert "1000 answers without the click's result" in result.invalid


@pytest.fixture
def poll_database(tmp_path):
    """A cardbot database holding workload (a)'s 1,000 poll cards, each at version 1."""
    database = tmp_path / "cardbot.db"
    fill_database(database, start_cards(WORKLOADS["a"], 0))
    return database


def test_a_run_whose_database_holds_fewer_versions_than_answers_is_invalid(poll_database):
    before = stored_versions(poll_database)
    with sqlite3.connect(poll_database) as conn:  # 10 votes stored: 4 on one card, 6 on another
        conn.execute("UPDATE cards SET version = version + 4 WHERE message_id = 'om_poll_0001'")
        conn.execute("UPDATE cards SET version = version + 6 WHERE message_id = 'om_poll_0002'")
    stored = stored_versions(poll_database) - before
    assert (before, stored) == (0, 10)
    answered = parse_output(bench_line(requests=20, counted=20), "", 0)
    assert check_work_done(answered, stored).invalid == "only 10 of 20 answered votes were stored"
    assert check_work_done(parse_output(bench_line(requests=10, counted=10), "", 0), stored).invalid is None


@pytest.mark.parametrize("stored, valid", [(990, True), (989, False), (1030, True)])
def test_a_run_must_have_stored_99_percent_of_its_counted_answers(stored, valid):
    result = check_work_done(parse_output(bench_line(requests=1000, counted=1000), "", 0), stored)
    assert (result.invalid is None) is valid


def test_an_invalid_run_keeps_its_first_reason_too():
    result = check_work_done(parse_output(bench_line(counted=20000, timeouts=1), "", 0), 100, "releases")
    assert result.invalid == "socket errors timeouts=1; only 100 of 20,000 answered releases were stored"


QUICK_FIELD = re.compile(r"(\w+)=(\d+/\d+|[\d.]+|nan)(?: \(([\d.]+)\.\.([\d.]+)\))?")


def quick_run(config, round_number, rps, p99_ms=30.0, invalid=None):
    return Run(config, round_number, WrkResult(int(rps * 3), int(rps * 3), 3.0, 0, p99_ms / 2, p99_ms, invalid))


def test_the_quick_block_gives_medians_and_their_spread_in_key_value_lines():
    bare, lean, cardbot, peer = (Config("bare", 1), Config("lean", 1, "a", "trigger"),
                                 Config("cardbot", 1, "a", "trigger"), Config("peer", 1, "a", "trigger"))
    runs = []
    for round_number, (lean_rps, cardbot_rps, p99) in enumerate([(5000, 3000, 40), (4000, 3200, 35),
                                                                 (5000, 4000, 50)], 1):
        runs += [quick_run(bare, round_number, 16000), quick_run(lean, round_number, lean_rps),
                 quick_run(cardbot, round_number, cardbot_rps, p99), quick_run(peer, round_number, 1000)]
    runs.append(quick_run(cardbot, 4, 2000, invalid="only 10 of 6,000 answered votes were stored"))
    text = quick_block(summarize(runs), rounds=4, duration=3, connections=64)
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    fields = {match[0]: match[1:] for match in QUICK_FIELD.findall(lines["a/cardbot/trigger/1w"])}
    assert fields["rps"] == ("3200", "3000", "4000")
    assert fields["p99_ms"] == ("40.0", "35.0", "50.0")
    assert fields["vs_lean"] == ("0.80", "0.60", "0.80")  # per round: 0.6, 0.8, 0.8
    assert fields["vs_peer"] == ("3.20", "3.00", "4.00")
    assert fields["valid"] == ("3/4", "", "")
    assert "invalid: round 4 a/cardbot/trigger/1w: only 10 of 6,000 answered votes were stored" in text
    assert text.splitlines()[-1] == "ratio_vs_lean=0.80 ratio_vs_peer=3.20 ratio_vs_bare=0.20 p99_ms=40.0"
