"""Tabular learners for Blackjack: settings, learning, progress, resuming, replays."""

import json

import pytest

from saferlhub.blackjack.env import N_STATES, OUTCOMES, state_index
from saferlhub.blackjack.learners import (
    PRESETS,
    REWARD_PRESETS,
    UPDATE_RULES,
    TrainingSettings,
    UpdateRuleError,
    greedy_policy,
    make_settings,
    monte_carlo_update,
    play_hand,
    q_learning_update,
    schedule,
    settings_schema,
    train,
)
from saferlhub.blackjack.solver import optimal_policy, optimal_value, policy_value

SMALL = {"episodes": 5_000, "checkpoints": 10}


def test_same_seed_same_result_and_json_round_trip():
    first = train(SMALL, seed=4)
    assert first == train(SMALL, seed=4)
    assert json.loads(json.dumps(first)) == first
    assert first["q"] != train(SMALL, seed=5)["q"]


@pytest.mark.parametrize("method", list(UPDATE_RULES))
def test_inline_fast_path_is_the_published_update_rule(method):
    # The page shows q_learning_update & co.; the loop runs an inlined copy. Same numbers.
    settings = make_settings(SMALL, method=method, alpha=0.1, gamma=0.9, natural=True)
    assert train(settings)["q"] == train(settings, update=UPDATE_RULES[method])["q"]


def test_a_custom_update_rule_is_called_and_used():
    calls = []

    def frozen(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
        calls.append((state, action, reward, next_state, next_action, terminated))

    result = train(SMALL, update=frozen)
    assert all(row == [0.0, 0.0] for row in result["q"])
    assert len(calls) == sum(map(sum, result["visits"]))
    assert sum(call[5] for call in calls) == SMALL["episodes"]
    assert all(call[3] is None for call in calls if call[5])


def test_q_learning_update_does_not_bootstrap_past_the_end():
    q = [[0.0, 0.0], [5.0, 7.0]]
    q_learning_update(q, 0, 1, 0.0, 1, 0, False, 0.5, 1.0)
    assert q[0] == [0.0, 3.5]
    q_learning_update(q, 0, 0, -1.0, None, None, True, 0.5, 1.0)
    assert q[0] == [-0.5, 3.5]


def test_monte_carlo_update_discounts_the_return():
    q = [[0.0, 0.0], [0.0, 0.0]]
    monte_carlo_update(q, [(0, 1, 0.0), (1, 0, 1.0)], 1.0, 0.5)
    assert q == [[0.0, 0.5], [1.0, 0.0]]


@pytest.mark.parametrize("method", list(UPDATE_RULES))
def test_terminal_targets_are_the_reward_alone(method):
    # With alpha 1 each update copies its target. Sticking always ends the hand, so a
    # learner that bootstrapped past the end would leave values near initial_q = 2.
    result = train(SMALL, method=method, alpha=1.0, alpha_schedule="constant", initial_q=2.0)
    stuck = [row[0] for row, visits in zip(result["q"], result["visits"], strict=True) if visits[0]]
    assert stuck and set(stuck) <= {-1.0, 0.0, 1.0}


def test_progress_events_are_checkpoints_with_exact_values():
    events = []
    result = train(episodes=20_000, progress=events.append)
    assert events == result["curve"] and len(events) == 50
    assert [e["episodes_done"] for e in events] == list(range(400, 20_001, 400))
    best = optimal_value()
    for event in events:
        json.dumps(event)
        assert event["window"] == 400
        assert event["win_rate"] + event["draw_rate"] + event["loss_rate"] == pytest.approx(1)
        assert 0 <= event["bust_rate"] <= event["loss_rate"]
        assert event["optimal_value"] == best
        assert event["gap"] == pytest.approx(best - event["greedy_value"]) and event["gap"] >= 0
    assert events[0]["epsilon"] > events[-1]["epsilon"] == 0.1
    assert result["greedy_value"] == events[-1]["greedy_value"]
    assert result["greedy_value"] == policy_value(result["policy"])
    assert result["policy"] == greedy_policy(result["q"])
    assert len(result["q"]) == len(result["visits"]) == len(result["policy"]) == N_STATES


def test_a_stopped_run_resumes_to_the_same_result():
    whole = train(episodes=6_000, checkpoints=6, method="sarsa", seed=2)
    partial = train(episodes=6_000, checkpoints=6, method="sarsa", seed=2, progress=lambda e: True)
    assert not partial["finished"] and partial["episodes_done"] == 1_000
    resumed = train(partial["settings"], resume=json.loads(json.dumps(partial)))
    assert resumed["finished"] and resumed == whole


def test_learning_gets_close_to_optimal():
    quick = train("quick look")
    default = train("default")
    assert 0 <= default["gap"] < quick["gap"]
    assert default["gap"] < 0.02  # measured 0.012; Gymnasium's tutorial reaches about -0.056
    for method in ("sarsa", "monte_carlo"):
        assert train("default", method=method)["gap"] < 0.02


def test_converge_to_optimal_preset_gets_within_0_002():
    # Measured gaps for seeds 0-9: 0.0003-0.0009. About 3 s in CPython.
    result = train("converge to optimal", checkpoints=5)
    assert result["gap"] < 0.002


def test_a_proxy_reward_teaches_a_worse_game():
    proxy = train("avoid busting (proxy reward)", episodes=20_000)
    honest = train("default", episodes=20_000)
    assert proxy["curve"][-1]["mean_reward"] > 0.9  # the agent thinks it is doing great
    assert proxy["curve"][-1]["bust_rate"] < honest["curve"][-1]["bust_rate"] / 4
    assert proxy["greedy_value"] < -0.15 < -0.1 < honest["greedy_value"]


def test_settings_schema_lists_every_setting_with_valid_defaults():
    schema = settings_schema()
    json.dumps(schema)
    assert [item["name"] for item in schema] == list(TrainingSettings.__dataclass_fields__)
    for item in schema:
        assert item["description"]
        if item["type"] in ("int", "float"):
            assert item["min"] <= item["default"] <= item["max"]
        if item["type"] == "str":
            assert item["default"] in item["choices"]


def test_presets_are_valid():
    for name in PRESETS:
        make_settings(name)
    assert make_settings("default") == TrainingSettings()
    coerced = make_settings(episodes=1_000.0, alpha=1)
    assert type(coerced.episodes) is int and type(coerced.alpha) is float
    with pytest.raises(ValueError, match="resume must be a result of train"):
        train(SMALL, resume={"q": []})
    assert set(REWARD_PRESETS) >= {"game", "avoid busting"}


@pytest.mark.parametrize(
    "changes, setting, message",
    [
        (
            {"episodes": 0},
            "episodes",
            "Hands to play must be from 1 to 10,000,000; 0 is out of range.",
        ),
        (
            {"alpha": 1.5},
            "alpha",
            "Learning rate α must be above 0 and at most 1; 1.5 is out of range.",
        ),
        ({"alpha": 0}, "alpha", "Learning rate α must be above 0 and at most 1; 0 is out"),
        ({"gamma": -0.1}, "gamma", "Discount γ must be from 0 to 1; -0.1 is out of range."),
        (
            {"epsilon_start": 0.05},
            "epsilon_min",
            r"Exploration at the end \(0.1\) cannot be above exploration at the start \(0.05\)",
        ),
        (
            {"epsilon_schedule": "exponential", "epsilon_min": 0.0},
            "epsilon_min",
            "Exploration at the end must be above 0 for an exponential schedule",
        ),
        (
            {"method": "dqn"},
            "method",
            "Learning method must be one of q_learning, sarsa, monte_carlo; 'dqn' is not.",
        ),
        ({"natural": "yes"}, "natural", "Natural pays extra must be on or off"),
        ({"episodes": 2.5}, "episodes", "Hands to play must be a whole number; 2.5 is not."),
        ({"seed": True}, "seed", "Random seed must be a number from 0 to 4,294,967,295."),
        ({"seed": None}, "seed", "Random seed is empty: enter a number from 0 to 4,294,967,295."),
        ({"seed": -1}, "seed", "Random seed must be from 0 to 4,294,967,295; -1 is out"),
        ({"alpha": "0.1"}, "alpha", "Learning rate α must be a number above 0 and at most 1."),
        ({"alpha": float("nan")}, "alpha", "Learning rate α must be a number"),
        (
            {"alpha_schedule": "linear", "alpha_min": 0.5},
            "alpha_min",
            r"The final learning rate \(0.5\) cannot be above the learning rate α \(0.03\)",
        ),
        ({"reward_win": 11}, "reward_win", "Reward for a win must be from -10 to 10; 11 is out"),
        ({"lr": 0.1}, None, "unknown setting 'lr'"),
    ],
)
def test_bad_settings_are_refused_with_the_setting_named(changes, setting, message):
    """Messages are for a reader: the setting's label, its range in words, the value."""
    with pytest.raises(ValueError, match=message) as refused:
        train(**changes)
    assert getattr(refused.value, "setting", None) == setting
    assert "got" not in str(refused.value) and "None" not in str(refused.value)


def test_the_schema_labels_settings_for_a_reader():
    schema = {item["name"]: item for item in settings_schema()}
    assert schema["initial_q"]["label"] == "Initial Q-value"
    assert schema["sab"]["label"] == "Sutton and Barto's rules"
    assert schema["alpha"]["range"] == "above 0 and at most 1"  # 0 is refused: say so
    assert schema["episodes"]["range"] == "from 1 to 10,000,000"
    assert schema["method"]["choice_labels"] == ["Q-learning", "SARSA", "Monte Carlo control"]
    assert len({item["label"] for item in schema.values()}) == len(schema)


def test_the_gymnasium_tutorial_preset_is_the_tutorial_setup():
    """Gymnasium's "Solving Blackjack with Q-Learning": sab=True, discount 0.95, a
    constant learning rate 0.01, epsilon 1.0 -> 0.1 over the first half of 100,000."""
    s = make_settings("Gymnasium tutorial")
    assert (s.sab, s.gamma, s.alpha, s.alpha_schedule) == (True, 0.95, 0.01, "constant")
    assert (s.episodes, s.epsilon_start, s.epsilon_min) == (100_000, 1.0, 0.1)
    assert (s.epsilon_schedule, s.epsilon_decay_fraction, s.initial_q) == ("linear", 0.5, 0.0)


def test_bad_preset_is_refused():
    with pytest.raises(ValueError, match="preset must be one of"):
        make_settings("fast")


def test_schedules():
    for kind in ("linear", "exponential"):
        assert schedule(kind, 1.0, 0.1, 0, 100) == 1.0
        assert schedule(kind, 1.0, 0.1, 100, 100) == 0.1
        assert schedule(kind, 1.0, 0.1, 500, 100) == 0.1
    assert schedule("linear", 1.0, 0.1, 50, 100) == pytest.approx(0.55)
    assert schedule("exponential", 1.0, 0.01, 50, 100) == pytest.approx(0.1)
    assert schedule("constant", 0.3, 0.1, 50, 100) == 0.3


def test_play_hand_replays_the_optimal_policy():
    best = optimal_policy()
    for seed in range(40):
        hand = play_hand(best["q"], seed=seed)
        assert hand == play_hand(best["q"], seed=seed)
        json.dumps(hand)
        assert hand["outcome"] in OUTCOMES and hand["steps"][-1]["terminated"]
        assert hand["reward"] == hand["steps"][-1]["reward"]
        for step in hand["steps"]:
            assert step["state"] == state_index(*step["observation"])
            assert step["action"] == best["policy"][step["state"]] and not step["explored"]
            assert step["q"] == best["q"][step["state"]]
            assert (step["card"] is None) == (step["action"] == 0)
        assert hand["player_cards"][:2] == hand["steps"][0]["player_cards"]
        assert hand["dealer_up"] == hand["dealer_cards"][0]


def test_play_hand_explores_with_epsilon_one():
    q = [[0.0, 1.0]] * N_STATES  # greedy would always hit
    hands = [play_hand(q, seed=seed, epsilon=1.0) for seed in range(30)]
    assert any(step["explored"] and step["action"] == 0 for h in hands for step in h["steps"])
    with pytest.raises(ValueError, match="epsilon must be in"):
        play_hand(q, epsilon=2)


def _edited_rule(target_of):
    def update(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
        target = reward if terminated else reward + gamma * target_of(q, next_state, next_action)
        q[state][action] += alpha * (target - q[state][action])

    return update


@pytest.mark.parametrize(
    "target_of",
    [
        lambda q, s, a: q[s][a],  # "replace max(q[next_state]) with q[next_state][next_action]"
        lambda q, s, a: min(q[s]),  # "replace max with min"
    ],
)
def test_the_edits_train_md_suggests_run(target_of):
    result = train(SMALL, update=_edited_rule(target_of))
    assert result["finished"] and result["gap"] > 0


def test_a_wrong_update_rule_says_what_it_is_given():
    """train.md's example of a mistake: gamma * q[next_state] is a pair, not a number."""
    with pytest.raises(UpdateRuleError, match="TypeError") as refused:
        train(SMALL, update=_edited_rule(lambda q, s, a: q[s]))
    assert "q[s] is a list of two numbers" in str(refused.value)
    assert isinstance(refused.value.__cause__, TypeError)

    def leaves_a_list(q, state, action, reward, next_state, next_action, terminated, alpha, gamma):
        q[state][action] = [reward]

    with pytest.raises(UpdateRuleError, match=r"left q\[\d+\]\[[01]\] = \["):
        train(SMALL, update=leaves_a_list)

    def wrong_monte_carlo(q, episode, alpha, gamma):
        for state, action, reward, extra in episode:  # episode items are triples
            q[state][action] += alpha * (reward + extra)

    with pytest.raises(UpdateRuleError, match=r"update\(q, episode, alpha, gamma\)"):
        train(SMALL, method="monte_carlo", update=wrong_monte_carlo)
