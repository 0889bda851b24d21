"""Sentences the Blackjack pages state as facts, each checked against the code.

docs/blackjack/train.md ("What to notice") and docs/blackjack/under-the-hood.md
describe what the reader will see; if the code changes so that a sentence is no
longer true, the test named after it fails.
"""

from __future__ import annotations

import pytest

from saferlhub.blackjack.env import is_reachable, state_index
from saferlhub.blackjack.learners import train
from saferlhub.blackjack.solver import optimal_policy

REACHABLE = [s for s in range(360) if is_reachable(s)]


@pytest.fixture(scope="module")
def best():
    return optimal_policy()


def value(q, total, dealer, usable=0):
    return max(q[state_index(total, dealer, usable)])


def test_a_hard_sum_below_12_is_always_hit_by_the_optimal_policy(best):
    """train.md: "the optimal policy hits in every such state"."""
    for total in range(4, 12):
        for dealer in range(1, 11):
            assert best["policy"][state_index(total, dealer, 0)] == 1, (total, dealer)


def test_20_and_21_are_worth_clearly_less_against_an_ace(best):
    """train.md: "A 20 or 21 is worth a lot against most dealer cards, but clearly less
    against an ace"."""
    q = best["q"]
    for total in (20, 21):
        others = [value(q, total, dealer) for dealer in range(2, 11)]
        assert value(q, total, 1) < min(others) - 0.2
        assert sum(v > 0.4 for v in others) >= 8  # "a lot against most dealer cards"


def test_a_poor_hand_is_worth_most_against_a_dealers_6(best):
    """train.md: "A poor hand (12 to 16) is worth most against a dealer's 6"."""
    q = best["q"]
    for total in range(12, 17):
        values = {dealer: value(q, total, dealer) for dealer in range(1, 11)}
        assert max(values, key=values.get) == 6, total


@pytest.mark.parametrize("seed", [0, 1])
def test_wrong_decisions_are_near_ties_and_rarely_visited_states(best, seed):
    """train.md: "Few hands leave many decisions wrong, mostly in states that are rarely
    reached (a usable ace) or where hitting and sticking are worth almost the same", and
    "where its colour is pale ... the agent's policy and the optimal one disagree most"."""
    result = train("quick look", seed=seed)
    policy, q, visits = result["policy"], result["q"], result["visits"]
    wrong = [s for s in REACHABLE if policy[s] != best["policy"][s]]
    right = [s for s in REACHABLE if policy[s] == best["policy"][s]]

    def mean(f, states):
        return sum(map(f, states)) / len(states)

    assert len(wrong) > 20  # "few hands leave many decisions wrong"
    pale = lambda s: abs(q[s][1] - q[s][0])  # noqa: E731 - the agent's advantage map
    tie = lambda s: abs(best["q"][s][1] - best["q"][s][0])  # noqa: E731
    assert mean(pale, wrong) < 0.5 * mean(pale, right)
    assert mean(tie, wrong) < 0.6 * mean(tie, right)
    assert mean(lambda s: sum(visits[s]), wrong) < mean(lambda s: sum(visits[s]), right)
    usable_share = lambda states: sum(s % 2 for s in states) / len(states)  # noqa: E731
    assert usable_share(wrong) > usable_share(REACHABLE)


def test_a_proxy_reward_makes_the_agent_stick_early(best):
    """train.md: "With avoid busting the agent learns to stick early, and its true value
    falls well below what plain training reaches"."""
    proxy = train("avoid busting (proxy reward)", episodes=20_000, seed=0)
    honest = train("default", episodes=20_000, seed=0)
    sticks = lambda r: sum(1 - r["policy"][s] for s in REACHABLE)  # noqa: E731
    assert sticks(proxy) > sticks(honest) + 40
    assert proxy["greedy_value"] < honest["greedy_value"] - 0.05
