"""The Blackjack rules and environment (Gymnasium's Blackjack-v1; no Gymnasium needed here)."""

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saferlhub.blackjack.env import (
    BUST,
    DRAW,
    LOSS,
    N_STATES,
    NATURAL_WIN,
    OUTCOMES,
    WIN,
    BlackjackEnv,
    draw_card,
    hand_outcome,
    is_bust,
    is_natural,
    is_reachable,
    outcome_rewards,
    score,
    state_from_index,
    state_index,
    sum_hand,
    usable_ace,
)


@pytest.mark.parametrize(
    "hand, total, usable, bust, natural",
    [
        ([1, 10], 21, 1, False, True),
        ([10, 1], 21, 1, False, True),
        ([1, 1], 12, 1, False, False),
        ([1, 5, 5], 21, 1, False, False),
        ([1, 5, 6], 12, 0, False, False),
        ([10, 10, 2], 22, 0, True, False),
        ([1, 1, 10, 10], 22, 0, True, False),
        ([7, 7], 14, 0, False, False),
        ([1, 6], 17, 1, False, False),
    ],
)
def test_hand_values(hand, total, usable, bust, natural):
    assert sum_hand(hand) == total
    assert usable_ace(hand) == usable
    assert is_bust(hand) is bust
    assert score(hand) == (0 if bust else total)
    assert is_natural(hand) is natural


def test_draw_card_makes_ten_four_times_as_likely():
    rng = random.Random(0)
    draws = [draw_card(rng) for _ in range(26_000)]
    assert set(draws) == set(range(1, 11))
    # 4/13 of 26,000 is 8,000 with a standard deviation of about 74.
    assert abs(draws.count(10) - 8_000) < 400
    assert abs(draws.count(1) - 2_000) < 250


def test_state_numbering_round_trips():
    seen = set()
    for player_sum in range(4, 22):
        for dealer in range(1, 11):
            for usable in (0, 1):
                state = state_index(player_sum, dealer, usable)
                assert state_from_index(state) == (player_sum, dealer, usable)
                seen.add(state)
    assert seen == set(range(N_STATES))
    assert sum(map(is_reachable, range(N_STATES))) == N_STATES - 80


@pytest.mark.parametrize("args", [(3, 5, 0), (22, 5, 0), (12, 0, 1), (12, 11, 0)])
def test_state_index_refuses_non_decision_states(args):
    with pytest.raises(ValueError, match="player sum"):
        state_index(*args)


@pytest.mark.parametrize(
    "player, dealer, sab, outcome",
    [
        ([10, 9], [10, 8], False, WIN),
        ([10, 8], [10, 8], False, DRAW),
        ([10, 7], [10, 8], False, LOSS),
        ([10, 7, 8], [10, 8], False, BUST),
        ([10, 7], [10, 6, 9], False, WIN),
        ([1, 10], [10, 5, 6], False, DRAW),  # a natural against a three-card 21
        ([1, 10], [10, 5, 6], True, NATURAL_WIN),  # ... wins under Sutton and Barto's rule
        ([1, 10], [10, 1], True, DRAW),
        ([1, 10], [10, 8], False, NATURAL_WIN),
    ],
)
def test_hand_outcome(player, dealer, sab, outcome):
    assert hand_outcome(player, dealer, sab) == outcome


def test_outcome_rewards_follow_gymnasium_rules():
    assert outcome_rewards() == [-1.0, 0.0, 1.0, 1.0, -1.0]
    assert outcome_rewards(natural=True) == [-1.0, 0.0, 1.0, 1.5, -1.0]
    assert outcome_rewards(natural=True, sab=True) == [-1.0, 0.0, 1.0, 1.0, -1.0]
    assert outcome_rewards(payoffs={"bust": -2})[BUST] == -2.0
    with pytest.raises(ValueError, match="unknown payoff 'push'"):
        outcome_rewards(payoffs={"push": 0})


def play(env, seed, actions):
    """One hand with the given actions (sticking when they run out): the steps."""
    obs, info = env.reset(seed=seed)
    steps = [(obs, info)]
    for action in [*actions, 0]:
        step = env.step(action)
        steps.append(step)
        if step[2]:
            return steps
    raise AssertionError("the hand did not end")


def test_same_seed_same_trajectory():
    first, second = BlackjackEnv(), BlackjackEnv()
    for seed in range(50):
        a, b = play(first, seed, [1, 1]), play(second, seed, [1, 1])
        for step, (x, y) in enumerate(zip(a, b, strict=True)):
            assert x == y, f"seed {seed}, step {step}"


def test_reset_without_seed_continues_the_generator():
    env = BlackjackEnv()
    env.reset(seed=1)
    hands = [env.reset()[0] for _ in range(20)]
    env.reset(seed=1)
    assert hands == [env.reset()[0] for _ in range(20)]


def test_step_results_have_gymnasium_types_and_json_info():
    env = BlackjackEnv(natural=True)
    for seed in range(200):
        for obs, reward, terminated, truncated, info in play(env, seed, [1])[1:]:
            assert isinstance(obs, tuple) and all(type(x) is int for x in obs)
            assert type(reward) is float and truncated is False
            assert info == ({"outcome": info["outcome"]} if terminated else {})
            json.dumps(info)
            assert not terminated or info["outcome"] in OUTCOMES


def test_scripted_cards():
    cards = iter([10, 1, 9, 7, 5, 10])  # dealer 10 and ace (a natural); player 9, 7
    env = BlackjackEnv(draw_card=lambda rng: next(cards))
    assert env.reset(seed=0) == ((16, 10, 0), {})
    assert env.step(1) == ((21, 10, 0), 0.0, False, False, {})
    assert env.step(0) == ((21, 10, 0), 0.0, True, False, {"outcome": "draw"})


def test_a_finished_hand_and_a_bad_action_are_refused():
    env = BlackjackEnv()
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action must be 0"):
        env.step(2)
    env.step(0)
    with pytest.raises(RuntimeError, match="reset"):
        env.step(0)


@given(st.integers(0, 2**32 - 1), st.lists(st.integers(0, 1), max_size=6))
def test_observations_stay_in_the_observation_space(seed, actions):
    env = BlackjackEnv(sab=True)
    steps = play(env, seed, actions)
    assert 4 <= steps[0][0][0] <= 21
    for step in steps[1:]:
        player_sum, dealer, usable = step[0]
        assert 1 <= dealer <= 10 and usable in (0, 1)
        assert player_sum <= 21 or (step[2] and step[1] == -1.0)
