"""The k-armed bandit testbed."""

import random

import pytest

from saferlhub.bandit import greedy_arm, run_testbed


def test_same_seed_same_curves():
    assert run_testbed(steps=50, runs=20, seed=3) == run_testbed(steps=50, runs=20, seed=3)


def test_exploration_beats_pure_greedy_on_the_testbed():
    # Sutton and Barto, figure 2.2: epsilon 0.1 finds the best arm far more often.
    greedy = run_testbed(epsilon=0.0, steps=500, runs=200, seed=0)["optimal_action"]
    explore = run_testbed(epsilon=0.1, steps=500, runs=200, seed=0)["optimal_action"]
    assert sum(explore[-100:]) > 1.3 * sum(greedy[-100:])


def test_greedy_arm_breaks_ties_at_random():
    rng = random.Random(0)
    picks = {greedy_arm([1.0, 0.0, 1.0], rng) for _ in range(50)}
    assert picks == {0, 2}


@pytest.mark.parametrize("kwargs", [{"arms": 1}, {"steps": 0}, {"epsilon": 1.5}])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError):
        run_testbed(**kwargs)


def test_what_the_playground_says_its_bandit_cell_shows():
    """docs/playground.md describes the output of its cell (steps=1000, runs=200, seed=1)."""
    best = {
        eps: run_testbed(epsilon=eps, steps=1000, runs=200, seed=1)["optimal_action"]
        for eps in (0.0, 0.01, 0.1)
    }
    # epsilon 0: "barely more often at step 1,000 than at step 100"
    assert abs(best[0.0][-1] - best[0.0][99]) < 0.05
    # epsilon 0.1 finds the best arm early; 0.01 is still well behind it at 1,000 ...
    assert best[0.1][99] > best[0.01][99] + 0.1
    assert best[0.1][-1] > best[0.01][-1] + 0.1
    # ... but keeps improving.
    assert best[0.01][-1] > best[0.01][99] + 0.1
