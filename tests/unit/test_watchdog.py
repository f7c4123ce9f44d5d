"""The watchdog's budget: how many worker deaths are replaced before the server gives up and exits 1."""

from cardbot.web.watchdog import DeathBudget, _describe_exit


def test_deaths_within_the_budget_are_replaced_and_one_more_is_not():
    budget = DeathBudget(limit=5, window=60.0)
    assert [budget.spend(float(t)) for t in range(6)] == [True] * 5 + [False]


def test_deaths_older_than_the_window_are_forgotten():
    budget = DeathBudget(limit=2, window=60.0)
    assert budget.spend(0.0) and budget.spend(30.0)
    assert budget.spend(60.0)  # the death at 0 s is a window old
    assert not budget.spend(61.0)  # 30, 60 and 61 are within one window


def test_exit_descriptions_name_the_signal():
    assert _describe_exit(-9) == "killed by SIGKILL"
    assert _describe_exit(3) == "exit status 3"
