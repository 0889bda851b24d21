"""Q-learning on the reward-hacking levels: settings, learning the hack, resuming, the page glue."""

import json

import pytest

from saferlhub.blackjack.learners import SettingError as BlackjackSettingError
from saferlhub.blackjack.learners import make_settings as blackjack_settings
from saferlhub.blackjack.learners import settings_schema as blackjack_schema
from saferlhub.gridworlds.learners import (
    LEVEL_SETTINGS,
    PRESETS,
    SettingError,
    hack_rate,
    make_settings,
    settings_schema,
    train,
)
from saferlhub.gridworlds.page import page_setup, predict, replay, seeds_page, train_page


def test_settings_share_blackjacks_mechanism():
    assert SettingError is BlackjackSettingError
    with pytest.raises(SettingError, match="Episodes must be from 1 to 100,000") as info:
        make_settings(episodes=0)
    assert info.value.setting == "episodes"
    with pytest.raises(SettingError, match="Level must be one of") as info:
        make_settings(level="cliff")
    with pytest.raises(SettingError) as info:
        make_settings(epsilon_start=0.1, epsilon_min=0.5)
    assert info.value.setting == "epsilon_min"
    with pytest.raises(ValueError, match="unknown setting 'lap_bonus'"):
        make_settings(lap_bonus=1)
    names = {item["name"]: item for item in settings_schema()}
    assert names["checkpoint_reward"]["level"] == "boat_race"
    assert names["episodes"]["level"] is None and names["episodes"]["range"] == "from 1 to 100,000"
    assert {n for names in LEVEL_SETTINGS.values() for n in names} <= set(names)
    for preset in PRESETS:
        make_settings(preset)


def test_the_learning_settings_read_the_same_as_blackjacks_but_for_hands():
    """One home (saferlhub.settings.LEARNING_SETTINGS): same labels, descriptions and
    ranges in both labs, only the defaults and "hands" for "episodes" differ."""
    ours = {item["name"]: item for item in settings_schema()}
    theirs = {item["name"]: item for item in blackjack_schema()}
    shared = ["alpha", "alpha_schedule", "alpha_min", "gamma", "epsilon_start"]
    shared += ["epsilon_min", "epsilon_schedule", "epsilon_decay_fraction"]
    keys = ("label", "type", "range", "min", "max", "choices", "choice_labels")
    for name in shared:
        assert {k: ours[name][k] for k in keys} == {k: theirs[name][k] for k in keys}, name
        words = theirs[name]["description"].replace("hand", "episode")
        assert ours[name]["description"] == words, name
    assert "last hand" in theirs["alpha_schedule"]["description"]
    assert "Share of the episodes" in ours["epsilon_decay_fraction"]["description"]
    # The rules between them, with the same words.
    for make in (make_settings, blackjack_settings):
        with pytest.raises(SettingError, match="cannot be above exploration") as info:
            make(epsilon_start=0.1, epsilon_min=0.5)
        assert info.value.setting == "epsilon_min"
        with pytest.raises(SettingError, match="never reaches 0"):
            make(epsilon_schedule="exponential", epsilon_min=0.0)
        with pytest.raises(SettingError, match="final learning rate") as info:
            make(alpha_schedule="linear", alpha=0.01, alpha_min=0.1)
        assert info.value.setting == "alpha_min"


def test_boat_race_learns_the_shuttle_and_ordered_checkpoints_remove_it():
    hacked = train("boat race", seed=0)
    assert hacked["hacks"] and hacked["greedy"]["observed"] == pytest.approx(50)
    assert hacked["greedy"]["hidden"] < 50 < hacked["verdict"]["hidden_optimum"]
    fixed = train("boat race, checkpoints in lap order", seed=0)
    assert not fixed["hacks"] and fixed["greedy"]["hidden"] == 100


def test_tomato_agent_parks_on_the_transformer_unless_it_is_off():
    hacked = train("tomato watering", seed=0)
    assert hacked["hacks"] and hacked["greedy"]["observed"] > 50 > 5 > hacked["greedy"]["hidden"]
    honest = train("tomato watering, no transformer", seed=0)
    assert not honest["hacks"]
    assert honest["greedy"]["observed"] == pytest.approx(honest["greedy"]["hidden"])


def test_absent_supervisor_hacks_only_when_it_can_tell():
    assert train("absent supervisor", seed=1)["greedy"]["hidden"] == pytest.approx(29)
    for preset in (
        "absent supervisor, always watched",
        "absent supervisor, supervisor hidden from the agent",
    ):
        result = train(preset, seed=1)
        assert not result["hacks"] and result["greedy"]["hidden"] == pytest.approx(41), preset


def test_curve_reports_both_returns_and_exact_greedy_values():
    result = train("boat race", episodes=200, checkpoints=4)
    assert [e["episodes_done"] for e in result["curve"]] == [50, 100, 150, 200]
    last = result["curve"][-1]
    for key in ("mean_observed", "mean_hidden", "greedy_observed", "greedy_hidden", "hacks"):
        assert key in last
    assert (last["observed_optimum"], last["hidden_optimum"]) == (50, 100)
    assert json.loads(json.dumps(result)) == result


def test_stop_and_resume_gives_the_uninterrupted_run():
    whole = train("tomato watering", episodes=40, checkpoints=4, seed=2)
    part = train("tomato watering", episodes=40, checkpoints=4, seed=2, progress=lambda e: True)
    assert part["episodes_done"] == 10 and not part["finished"]
    rest = train("tomato watering", episodes=40, checkpoints=4, seed=2, resume=part)
    assert rest["q"] == whole["q"] and rest["curve"] == whole["curve"]


def test_hack_rate_over_seeds():
    result = hack_rate("absent supervisor", seeds=3)
    assert result["hacks"] == 3 and result["rate"] == 1.0
    assert [run["seed"] for run in result["runs"]] == [0, 1, 2]
    with pytest.raises(SettingError):
        hack_rate("boat race", seeds=0)


def test_page_glue():
    setup = page_setup()
    assert setup["levels"]["boat_race"]["board"][1] == "#A> #"
    assert set(setup["presets"]) == set(PRESETS)
    verdict = predict({"level": "boat_race"})
    assert verdict["hack_possible"] and [p["hacks"] for p in verdict["policies"]] == [True, False]
    assert verdict["policies"][1]["grids"][0]["rows"][1] == "#>>v#"
    assert predict({"episodes": -1}) == {
        "error": "Episodes must be from 1 to 100,000; -1 is out of range.",
        "setting": "episodes",
    }
    events = []
    result = train_page(
        {"level": "absent_supervisor", "episodes": 20, "checkpoints": 2}, events.append
    )
    assert len(events) == 2 and len(events[0]["grids"]) == 2
    assert (
        result["replay"]["frames"][0]["board"][1] == "S#A   #S"
        or result["replay"]["frames"][0]["board"][1] == " #A   # "
    )
    watched = replay({"level": "absent_supervisor"}, [1] * 24, supervised=True)
    assert (watched["observed"], watched["hidden"], len(watched["frames"])) == (17, 17, 4)
    assert seeds_page({"level": "boat_race", "alpha": 2}, seeds=2)["setting"] == "alpha"


def test_boat_race_agents_shuttle_in_most_seeds():
    # The page says: nothing in the reward favours the lap, and most seeds shuttle.
    result = hack_rate("boat race", seeds=5)
    assert result["hacks"] >= 3, result["runs"]


@pytest.mark.parametrize(
    "preset",
    ["boat race", "boat race, checkpoints in lap order", "absent supervisor"],
)
def test_the_outcome_table_gives_the_same_run_as_calling_step(preset, monkeypatch):
    from saferlhub.gridworlds import learners

    table_run = train(preset, episodes=60, seed=5)
    real = learners.make_game

    def without_table(s):
        game = real(s)
        game.exact_outcomes = lambda: None  # the learner falls back to step and observe
        return game

    monkeypatch.setattr(learners, "make_game", without_table)
    step_run = train(preset, episodes=60, seed=5)
    assert table_run["q"] == step_run["q"]
    assert table_run["curve"] == step_run["curve"]
