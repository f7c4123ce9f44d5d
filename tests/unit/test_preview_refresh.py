"""PreviewRefresher keeps to Lark's link-preview limits by waiting: fake clocks record when each call went out."""

from __future__ import annotations

import threading

import pytest

from cardbot.lark import LarkClient, LarkError
from cardbot.lark.previews import PreviewRefresher
from cardbot.testing import FakeLarkPlatform


class Updater:
    """Stands in for LarkClient.batch_update_previews: records (tokens, open_ids, time Lark saw the call)."""

    def __init__(self, clock, latencies=(0.0,)):
        self.clock, self.latencies, self.calls = clock, latencies, []

    def batch_update_previews(self, preview_tokens, open_ids=None):
        self.clock.now += self.latencies[len(self.calls) % len(self.latencies)]  # Lark sees it late, at worst
        self.calls.append((list(preview_tokens), open_ids, self.clock.now))


def assert_within_limits(calls, max_requests=5, window=1.0, token_seconds=5.0):
    times = [at for _, _, at in calls]
    for at in times:
        assert sum(at - window < other <= at for other in times) <= max_requests
    last: dict[str, float] = {}
    for tokens, _, at in calls:
        for token in tokens:
            assert at - last.get(token, float("-inf")) >= token_seconds
            last[token] = at


def test_tokens_are_deduplicated_and_sent_in_batches_of_ten(clock):
    updater = Updater(clock)
    tokens = [f"p-{n}" for n in range(23)]
    PreviewRefresher(updater, clock=clock, sleep=clock.sleep).refresh(tokens + ["p-0", "p-5"], open_ids=["ou_1"])
    assert [call[0] for call in updater.calls] == [tokens[:10], tokens[10:20], tokens[20:]]
    assert {call[1] is not None for call in updater.calls} == {True} and clock.waits == []


def test_nothing_to_refresh_sends_nothing(clock):
    updater = Updater(clock)
    PreviewRefresher(updater, clock=clock, sleep=clock.sleep).refresh([])
    assert updater.calls == []


def test_a_token_refreshed_less_than_5_s_ago_waits_for_the_rest(clock):
    updater = Updater(clock)
    refresher = PreviewRefresher(updater, clock=clock, sleep=clock.sleep)
    refresher.refresh(["p-1"])
    clock.now += 2
    refresher.refresh(["p-2"])  # another token: no wait
    refresher.refresh(["p-2", "p-1"])
    assert [at for _, _, at in updater.calls] == [1000.0, 1002.0, 1007.0]
    assert clock.waits == [5.0]  # until p-2's 5 s from 1002 were over, which also covers p-1's


def test_at_most_5_calls_in_any_second(clock):
    updater = Updater(clock)
    refresher = PreviewRefresher(updater, clock=clock, sleep=clock.sleep)
    for n in range(12):
        refresher.refresh([f"p-{n}"])
    assert [at for _, _, at in updater.calls] == [1000.0] * 5 + [1001.0] * 5 + [1002.0] * 2
    assert clock.waits == [1.0, 1.0]


def test_the_limits_hold_however_late_lark_sees_each_call(clock):
    updater = Updater(clock, latencies=(0.9, 0.0, 0.3, 0.0, 0.0, 0.7))
    refresher = PreviewRefresher(updater, clock=clock, sleep=clock.sleep)
    for n in range(40):
        refresher.refresh([f"p-{n % 3}", f"q-{n}"])
    assert_within_limits(updater.calls)
    assert len(updater.calls) == 40


def test_the_limits_can_be_set(clock):
    updater = Updater(clock)
    refresher = PreviewRefresher(updater, max_requests=2, window_seconds=0.5, token_seconds=0.25,
                                 clock=clock, sleep=clock.sleep)
    for n in range(3):
        refresher.refresh(["p-1"])
        refresher.refresh([f"q-{n}"])
    assert [at for _, _, at in updater.calls] == [1000.0, 1000.0, 1000.5, 1000.5, 1001.0, 1001.0]
    with pytest.raises(ValueError):
        PreviewRefresher(updater, max_requests=0)


def test_twelve_refreshes_of_one_token_are_paced_so_lark_refuses_none(clock):
    with FakeLarkPlatform(clock=clock) as lark:
        client = LarkClient("cli_test", "secret", lark.base_url, clock=clock, sleep=clock.sleep)
        refresher = PreviewRefresher(client, clock=clock, sleep=clock.sleep)
        for _ in range(12):
            refresher.refresh(["p-1"])
        refresher.refresh([f"q-{n}" for n in range(23)])
    statuses = [request.status for request in lark.requests if request.kind == "preview_refresh"]
    assert statuses == [200] * 15
    assert [refresh.at for refresh in lark.preview_refreshes[:12]] == [1000.0 + 5 * n for n in range(12)]
    assert [len(refresh.tokens) for refresh in lark.preview_refreshes[12:]] == [10, 10, 3]


def test_threads_sharing_a_refresher_are_never_refused():
    limits = {"max_requests": 2, "window_seconds": 0.05, "token_seconds": 0.05}
    with FakeLarkPlatform(preview_max_requests=2, preview_window=0.05, preview_token_seconds=0.05) as lark:
        refresher = PreviewRefresher(LarkClient("cli_test", "secret", lark.base_url), **limits)
        errors: list[BaseException] = []

        def refresh(n: int) -> None:
            try:
                for _ in range(3):
                    refresher.refresh(["shared", f"own-{n}"])
            except BaseException as error:  # reported by the assert below
                errors.append(error)

        threads = [threading.Thread(target=refresh, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == []
    assert [request.status for request in lark.requests if request.kind == "preview_refresh"] == [200] * 12


def test_a_failed_call_raises_and_frees_its_place(clock):
    with FakeLarkPlatform(clock=clock) as lark:
        client = LarkClient("cli_test", "secret", lark.base_url, clock=clock, sleep=clock.sleep)
        refresher = PreviewRefresher(client, clock=clock, sleep=clock.sleep)
        lark.fail_next("preview_refresh", code=230001, msg="param is invalid")
        with pytest.raises(LarkError) as raised:
            refresher.refresh([f"p-{n}" for n in range(15)])
        assert raised.value.code == 230001
        assert len([request for request in lark.requests if request.kind == "preview_refresh"]) == 1  # not the rest
        refresher.refresh(["q-1"])
        with pytest.raises(ValueError):
            refresher.refresh(["q-2", ""])  # nothing is sent
        refresher.refresh(["q-2"])
    assert [refresh.tokens for refresh in lark.preview_refreshes] == [["q-1"], ["q-2"]]
    assert clock.waits == []
