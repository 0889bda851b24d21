"""Exact Blackjack values by dynamic programming."""

import random

import pytest

from saferlhub.blackjack.env import (
    CARD_PROBABILITIES,
    N_STATES,
    OUTCOMES,
    BlackjackEnv,
    hand_outcome,
    is_natural,
    is_reachable,
    outcome_rewards,
    state_index,
    sum_hand,
    usable_ace,
)
from saferlhub.blackjack.solver import (
    PolicyEvaluator,
    always_stick_policy,
    dealer_outcome_probabilities,
    optimal_policy,
    outcome_probabilities,
    policy_value,
    random_policy,
    threshold_policy,
)


@pytest.mark.parametrize(
    "rules, expected",
    [({}, -0.0466), ({"sab": True}, -0.0431), ({"natural": True}, -0.0257)],
    ids=str,
)
def test_known_optimal_values(rules, expected):
    assert optimal_policy(**rules)["value"] == pytest.approx(expected, abs=1e-3)


def test_known_values_of_simple_policies():
    assert policy_value(always_stick_policy()) == pytest.approx(-0.186, abs=1e-3)
    # Random: hit or stick with probability 1/2 at every decision, even on 21.
    assert policy_value(random_policy()) == pytest.approx(-0.396, abs=1e-3)


def test_dealer_outcomes():
    for up in range(1, 11):
        assert sum(dealer_outcome_probabilities(up)) == pytest.approx(1.0, abs=1e-12)
    # Standing on soft 17, the dealer busts most often showing a 6 (42.3%), least
    # showing an ace (11.5%).
    busts = [dealer_outcome_probabilities(up)[5] for up in range(1, 11)]
    assert busts[5] == pytest.approx(0.4232, abs=1e-4)
    assert busts[0] == pytest.approx(0.1153, abs=1e-4)
    with pytest.raises(ValueError, match="up_card"):
        dealer_outcome_probabilities(11)


def test_optimal_policy_is_sutton_and_barto_figure_5_2():
    # Rows: sum 21 down to 12; columns: dealer ace, 2, ..., 10. S = stick, H = hit.
    no_usable_ace = ["SSSSSSSSSS"] * 5 + ["HSSSSSHHHH"] * 4 + ["HHHSSSHHHH"]
    usable = ["SSSSSSSSSS"] * 3 + ["HSSSSSSSHH"] + ["HHHHHHHHHH"] * 6
    policy = optimal_policy(sab=True)["policy"]
    for usable_flag, rows in ((0, no_usable_ace), (1, usable)):
        for player_sum, row in zip(range(21, 11, -1), rows, strict=True):
            got = "".join(
                "H" if policy[state_index(player_sum, dealer, usable_flag)] else "S"
                for dealer in range(1, 11)
            )
            assert got == row, f"sum {player_sum}, usable ace {usable_flag}"
    assert all(policy[state_index(s, d, 0)] == 1 for s in range(4, 12) for d in range(1, 11))


@pytest.mark.parametrize("rules", [{}, {"natural": True}, {"sab": True}], ids=str)
def test_no_single_change_improves_the_optimal_policy(rules):
    result = optimal_policy(**rules)
    evaluator = PolicyEvaluator(**rules)
    assert evaluator.value(result["policy"]) == result["value"]
    for state in filter(is_reachable, range(N_STATES)):
        changed = list(result["policy"])
        changed[state] = 1 - changed[state]
        assert evaluator.value(changed) <= result["value"] + 1e-12, f"state {state}"


def test_optimal_q_values_pick_the_optimal_actions():
    result = optimal_policy()
    for state in filter(is_reachable, range(N_STATES)):
        stick, hit = result["q"][state]
        assert result["policy"][state] == int(hit > stick)


def test_outcome_probabilities_add_up():
    for rules in ({}, {"sab": True}):
        probabilities = outcome_probabilities(threshold_policy(18), **rules)
        assert list(probabilities) == list(OUTCOMES)
        assert sum(probabilities.values()) == pytest.approx(1.0, abs=1e-12)
    assert outcome_probabilities(always_stick_policy())["bust"] == 0.0


def test_policies_must_cover_every_state():
    with pytest.raises(ValueError, match="360"):
        policy_value([0] * 10)


def brute_force_value(policy, natural=False, sab=False):
    """An independent check: recursion over explicit hands with the env's rule functions.

    The dealer's hands are enumerated card by card and kept as one example hand per
    (score, natural), which is all `hand_outcome` looks at.
    """
    rewards = outcome_rewards(natural, sab)
    dealer_hands = {}
    for up, _ in CARD_PROBABILITIES:
        finals = {}

        def deal(hand, p, finals=finals):
            if len(hand) >= 2 and sum_hand(hand) >= 17:
                key = (min(sum_hand(hand), 22), is_natural(hand))
                finals[key] = (finals.get(key, (0.0, hand))[0] + p, hand)
                return
            for card, q in CARD_PROBABILITIES:
                deal([*hand, card], p * q)

        deal([up], 1.0)
        dealer_hands[up] = list(finals.values())

    memo = {}

    def value(hand, up):
        key = (sum_hand(hand), usable_ace(hand), len(hand) == 2 and is_natural(hand), up)
        if key not in memo:
            if sum_hand(hand) > 21:
                memo[key] = rewards[4]
            else:
                p_hit = policy[state_index(sum_hand(hand), up, usable_ace(hand))]
                stick = sum(
                    p * rewards[hand_outcome(hand, dealer, sab)] for p, dealer in dealer_hands[up]
                )
                hit = (
                    sum(q * value([*hand, card], up) for card, q in CARD_PROBABILITIES)
                    if p_hit
                    else 0
                )
                memo[key] = p_hit * hit + (1 - p_hit) * stick
        return memo[key]

    return sum(
        p1 * p2 * pu * value([c1, c2], up)
        for c1, p1 in CARD_PROBABILITIES
        for c2, p2 in CARD_PROBABILITIES
        for up, pu in CARD_PROBABILITIES
    )


@pytest.mark.parametrize("rules", [{}, {"natural": True}, {"sab": True}], ids=str)
def test_solver_agrees_with_brute_force(rules):
    rng = random.Random(5)
    mixed = [rng.random() for _ in range(N_STATES)]
    for policy in (optimal_policy(**rules)["policy"], threshold_policy(16), mixed):
        assert policy_value(policy, **rules) == pytest.approx(
            brute_force_value(policy, **rules), abs=1e-12
        )


@pytest.mark.parametrize(
    "rules, policy",
    [({}, optimal_policy()["policy"]), ({"sab": True}, threshold_policy(20))],
    ids=["optimal", "stick on 20 (sab)"],
)
def test_exact_value_matches_monte_carlo_in_the_environment(rules, policy):
    env, rng, n = BlackjackEnv(**rules), random.Random(9), 20_000
    returns = []
    obs, _ = env.reset(seed=4)
    for _ in range(n):
        while True:
            obs, reward, terminated, _, _ = env.step(int(rng.random() < policy[state_index(*obs)]))
            if terminated:
                break
        returns.append(reward)
        obs, _ = env.reset()
    mean = sum(returns) / n
    sd = (sum((r - mean) ** 2 for r in returns) / (n - 1)) ** 0.5
    assert abs(mean - policy_value(policy, **rules)) < 4.5 * sd / n**0.5


def test_payoffs_change_what_is_optimal():
    # Rewarded +1 for any hand finished without a bust, the best policy never risks one,
    # and by the game's real payoffs it is as bad as always sticking.
    proxy = optimal_policy(payoffs={"win": 1, "draw": 1, "loss": 1, "bust": -1})
    assert proxy["value"] == pytest.approx(1.0)
    assert policy_value(proxy["policy"]) == pytest.approx(-0.186, abs=1e-3)
