"""The JSON glue of the "Train your own agent" page."""

import json

import pytest

from saferlhub.blackjack.env import N_STATES, state_index
from saferlhub.blackjack.learners import train
from saferlhub.blackjack.page import (
    check_settings,
    page_setup,
    replay_hand,
    train_for_page,
    value_grids,
)


def test_setup_is_json_and_lists_the_presets():
    setup = json.loads(json.dumps(page_setup()))
    assert setup  # the page builds its controls from it


def test_bad_settings_come_back_as_a_message_naming_the_setting():
    result = check_settings({"episodes": 0})
    assert result["ok"] is False and result["setting"] == "episodes"
    assert result["error"] == "Hands to play must be from 1 to 10,000,000; 0 is out of range."
    assert train_for_page({"alpha": 5})["setting"] == "alpha"


def test_training_in_pieces_equals_one_run_and_streams_every_checkpoint():
    settings = {"episodes": 3000, "checkpoints": 5, "seed": 4}
    events = []
    result = train_for_page(settings, events.append)
    whole = train(dict(settings))
    assert result["ok"] and result["curve"] == whole["curve"]
    assert result["gap"] == whole["gap"] == result["optimal_value"] - result["greedy_value"]
    assert [e["episodes_done"] for e in events] == [c["episodes_done"] for c in whole["curve"]]
    grids = events[-1]["policy"]
    assert len(grids["hard"]) == 18 and len(grids["usable"]) == 10
    json.dumps(result)  # reaches the browser as JSON


@pytest.fixture(scope="module")
def trained():
    return train_for_page({"episodes": 3000, "checkpoints": 2, "seed": 1})


def test_the_result_keeps_the_q_table_and_its_value_grids(trained):
    q = trained["q"]
    assert len(q) == N_STATES and all(len(row) == 2 for row in q)
    values = trained["values"]
    for name in ("stick", "hit", "value", "advantage", "visits"):
        for key, rows in (("hard", 18), ("usable", 10)):
            assert len(values[name][key]) == rows
            assert all(len(row) == 10 for row in values[name][key])
    # Row 0 is the lowest sum (4 hard, 12 usable), column 0 the dealer's ace.
    s = state_index(4, 1, 0)
    assert values["stick"]["hard"][0][0] == q[s][0]
    s = state_index(12, 1, 0)
    assert values["stick"]["hard"][8][0] == q[s][0]
    s = state_index(20, 10, 1)
    assert values["value"]["usable"][8][9] == max(q[s])
    assert values["advantage"]["usable"][8][9] == q[s][1] - q[s][0]
    # The advantage's sign is the policy: hit exactly where Q(hit) > Q(stick).
    for key in ("hard", "usable"):
        signs = [[int(a > 0) for a in row] for row in values["advantage"][key]]
        assert signs == trained["policy"][key]
    json.dumps(trained)


def test_value_grids_of_a_hand_made_table():
    q = [[0.0, 0.0] for _ in range(N_STATES)]
    q[state_index(16, 10, 0)] = [-0.5, -0.3]
    grids = value_grids(q)
    assert "visits" not in grids
    assert grids["value"]["hard"][12][9] == -0.3
    assert grids["advantage"]["hard"][12][9] == pytest.approx(0.2)


def test_a_replayed_hand_is_greedy_and_ends_with_the_outcome(trained):
    for seed in range(20):
        hand = replay_hand(trained["q"], seed=seed)
        assert hand["steps"] and hand["steps"][-1]["terminated"]
        for step in hand["steps"]:
            stick, hit = step["q"]
            assert step["q"] == trained["q"][step["state"]]
            assert step["action"] == int(hit > stick) and not step["explored"]
        assert hand["outcome"] in ("win", "draw", "loss", "bust", "natural_win")
        assert hand["reward"] == {"win": 1, "draw": 0, "loss": -1, "bust": -1}.get(
            hand["outcome"], hand["reward"]
        )
        assert (hand["player_sum"] > 21) == (hand["outcome"] == "bust")
        json.dumps(hand)
    # The same seed deals the same hand.
    assert replay_hand(trained["q"], seed=3) == replay_hand(trained["q"], seed=3)


def test_replay_refuses_something_that_is_not_a_q_table():
    with pytest.raises(ValueError, match="q must be a list"):
        replay_hand([[0.0, 0.0]], seed=0)
    with pytest.raises(ValueError, match="pair"):
        replay_hand([[0.0]] * N_STATES, seed=0)


def test_the_grids_show_every_reachable_decision_so_no_mistake_hides():
    """A wrong decision below 12 (sticking on 7, say) must show on the grids, and the
    trainer's count of wrong decisions must equal the one "RL under the hood" reports."""
    from saferlhub.blackjack.env import is_reachable
    from saferlhub.blackjack.lesson import _summary
    from saferlhub.blackjack.page import PLAYER_SUMS, policy_grids
    from saferlhub.blackjack.solver import optimal_policy

    best = optimal_policy()["policy"]
    policy = list(best)
    policy[state_index(7, 5, 0)] = 1 - policy[state_index(7, 5, 0)]  # stick on a hard 7
    policy[state_index(13, 2, 1)] = 1 - policy[state_index(13, 2, 1)]
    grids, optimal = policy_grids(policy), policy_grids(best)
    cells = sum(len(grids[key]) * 10 for key in grids)
    assert cells == sum(is_reachable(s) for s in range(N_STATES)) == 280
    wrong = sum(
        a != b
        for key in grids
        for row, best_row in zip(grids[key], optimal[key], strict=True)
        for a, b in zip(row, best_row, strict=True)
    )
    assert wrong == 2
    assert grids["hard"][PLAYER_SUMS["hard"].index(7)][4] != optimal["hard"][3][4]
    visits = [[1, 1] for _ in range(N_STATES)]
    result = {"visits": visits, "policy": policy, "greedy_value": 0.0, "gap": 0.0}
    assert _summary(result, best)["policy_differs"] == wrong
