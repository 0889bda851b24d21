"""The JSON glue of the "Train your own agent" page."""

import json

from saferlhub.blackjack.learners import train
from saferlhub.blackjack.page import check_settings, page_setup, train_for_page


def test_setup_is_json_and_lists_the_presets():
    setup = json.loads(json.dumps(page_setup()))
    assert setup  # the page builds its controls from it


def test_bad_settings_come_back_as_a_message_naming_the_setting():
    result = check_settings({"episodes": 0})
    assert result["ok"] is False and result["setting"] == "episodes"
    assert "episodes must be in" in result["error"]
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
    assert len(grids["hard"]) == len(grids["usable"]) == 10
    json.dumps(result)  # reaches the browser as JSON
