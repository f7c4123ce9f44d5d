"""The benchmark's rule: a wrk run with any non-200, any answer without the click's result, any socket
error or timeout, or a replayed request is invalid, and a redone run replaces its invalid try."""

import pytest

from bench.report import final_runs
from bench.runner import Config, Run
from bench.wrk import WrkResult, parse_output

CLEAN = {"requests": 20000, "duration_us": 10_000_000, "built": 30000, "wrapped": 0, "non200": 0, "unexpected": 0,
         "statuses": "", "p50_us": 27900, "p99_us": 38200, "connect_errors": 0, "read_errors": 0,
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
