"""The "RL under the hood" page's glue: replayed hands, worked updates, the contrast."""

from __future__ import annotations

import json
import math

import pytest

from saferlhub.blackjack import lesson
from saferlhub.blackjack.env import N_STATES, state_index
from saferlhub.blackjack.learners import q_learning_update, train


def _table():
    return [[0.01 * (i % 7) - 0.03, 0.02 * (i % 5) - 0.04] for i in range(N_STATES)]


def test_worked_update_matches_the_formula_for_a_hit():
    q = _table()
    s, s2 = state_index(13, 10, 0), state_index(18, 10, 0)
    step = {
        "state": s,
        "observation": [13, 10, 0],
        "action": 1,
        "action_name": "hit",
        "reward": 0.0,
        "terminated": False,
    }
    nxt = {"state": s2, "observation": [18, 10, 0]}
    w = lesson.worked_update(q, step, nxt, alpha=0.1, gamma=0.9)
    assert w["max_next_q"] == max(q[s2])
    assert math.isclose(w["target"], 0.0 + 0.9 * max(q[s2]))
    assert math.isclose(w["q_new"], q[s][1] + 0.1 * (w["target"] - q[s][1]))
    assert w["q_old"] == q[s][1] and w["next_observation"] == [18, 10, 0]
    # The table itself is untouched, and the numbers are those of q_learning_update.
    copy = [list(row) for row in q]
    q_learning_update(copy, s, 1, 0.0, s2, None, False, 0.1, 0.9)
    assert copy[s][1] == w["q_new"] and q == _table()


def test_worked_update_at_the_end_of_a_hand_targets_the_reward():
    q = _table()
    s = state_index(20, 6, 0)
    step = {
        "state": s,
        "observation": [20, 6, 0],
        "action": 0,
        "action_name": "stick",
        "reward": 1.0,
        "terminated": True,
    }
    w = lesson.worked_update(q, step, None, alpha=0.5, gamma=1.0)
    assert w["target"] == 1.0 and w["next_q"] is None and w["max_next_q"] is None
    assert math.isclose(w["q_new"], q[s][0] + 0.5 * (1.0 - q[s][0]))


def test_a_replayed_hand_carries_an_update_per_step_and_is_json():
    result = lesson.replay_hand("quick look", seed=0, hand_seed=3)
    json.dumps(result)
    hand = result["hand"]
    assert result["episodes"] == 10_000 and 0 <= result["gap"] < 0.1
    assert result["gamma"] == 1.0 and 0 < result["alpha"] <= 0.03
    steps = hand["steps"]
    assert steps and steps[-1]["terminated"] and steps[-1]["reward"] == hand["reward"]
    for i, step in enumerate(steps):
        w = step["update"]
        assert w["q_old"] == step["q"][step["action"]]
        expected = w["reward"] + (0 if w["terminated"] else w["gamma"] * max(w["next_q"]))
        assert math.isclose(w["target"], expected)
        if not w["terminated"]:
            assert w["next_q"] == steps[i + 1]["q"]
        # Greedy: the action is the higher Q (ties stick).
        assert step["action"] == int(step["q"][1] > step["q"][0])


def test_hands_differ_by_seed_and_training_is_reused():
    a = lesson.replay_hand("quick look", seed=0, hand_seed=1)
    trained = lesson._TRAINED[("quick look", 0)]
    b = lesson.replay_hand("quick look", seed=0, hand_seed=2)
    assert lesson._TRAINED[("quick look", 0)] is trained
    hands = [lesson.replay_hand("quick look", seed=0, hand_seed=n)["hand"] for n in range(6)]
    assert len({json.dumps(h["player_cards"] + h["dealer_cards"]) for h in hands}) > 1
    assert a["gap"] == b["gap"]


def test_the_exploration_contrast_over_seeds():
    events = []
    result = lesson.exploration_contrast("quick look", seeds=[0, 1], progress=events.append)
    json.dumps(result)
    names = [name for name, _ in lesson.CONTRAST_RUNS]
    assert [run["name"] for run in result["runs"]] == names
    assert [(e["stage"], e["seed"]) for e in events] == [(n, s) for n in names for s in (0, 1)]
    assert [e["done"] for e in events] == list(range(10)) and events[0]["total"] == 10
    assert result["pairs"] == 2 * (N_STATES - 80)
    runs = {run["name"]: run for run in result["runs"]}
    for run in result["runs"]:
        gaps = [r["gap"] for r in run["per_seed"]]
        assert run["gap_min"] == min(gaps) and run["gap_max"] == max(gaps)
        assert math.isclose(run["gap_mean"], sum(gaps) / 2)
        for r in run["per_seed"]:
            assert math.isclose(r["gap"], result["optimal_value"] - r["greedy_value"])
    assert runs["greedy_pessimistic"]["initial_q"] == -1.0
    assert runs["greedy_pessimistic"]["epsilon_start"] == 0.0
    # Pessimistic and greedy: it never hits, so it plays "always stick" on every seed.
    assert math.isclose(runs["greedy_pessimistic"]["gap_mean"], 0.18637 - 0.04656, abs_tol=2e-4)
    assert runs["greedy_pessimistic"]["never_tried_mean"] > 280 / 2
    assert runs["explore"]["never_tried_mean"] < runs["greedy_zero"]["never_tried_mean"]
    assert runs["greedy_optimistic"]["never_tried_mean"] < 5
    worst = runs["greedy_pessimistic"]["gap_min"]
    assert all(
        run["gap_max"] < worst for run in result["runs"] if run["name"] != "greedy_pessimistic"
    )


def test_a_pessimistic_greedy_agent_never_hits():
    result = train("quick look", epsilon_start=0.0, epsilon_min=0.0, initial_q=-1.0)
    assert sum(hit for _, hit in result["visits"]) == 0
    assert result["policy"] == [0] * N_STATES


def test_unknown_preset_is_refused():
    with pytest.raises(ValueError, match="preset"):
        lesson.exploration_contrast("no such preset")
