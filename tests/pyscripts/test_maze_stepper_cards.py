"""Model cards are checked against the maze code's encoding before a page uses them."""

import copy
import json
import re
from pathlib import Path

import pytest

from saferlhub.maze.encoding import ENCODING_SPEC
from saferlhub.maze.model_cards import ACTION_ORDER, check_card

MODELS = Path(__file__).resolve().parents[2] / "models"


def good_card():
    return {
        "encoding": copy.deepcopy(ENCODING_SPEC),
        "action_order": list(ACTION_ORDER),
        "files": {
            "q_network": {
                "path": "q_network.onnx",
                "inputs": {"obs": ["batch", 245]},
                "outputs": {"q": ["batch", 4], "hidden.0": ["batch", 128]},
            },
            "q_gradient": {
                "path": "q_gradient.onnx",
                "inputs": {"obs": ["batch", 245], "weights": ["batch", 4]},
                "outputs": {"q": ["batch", 4], "grad": ["batch", 245]},
            },
        },
    }


def test_the_committed_cards_match():
    cards = sorted(MODELS.glob("*/model_card.json"))
    if not cards:  # Pyodide's test run mounts the repository, so this normally runs there too
        pytest.skip("no models/ folder")
    for path in cards:
        assert check_card(json.loads(path.read_text())) == {"ok": True, "problems": []}, path


def test_a_good_card_passes():
    assert check_card(good_card())["ok"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["encoding"]["planes"].reverse(), "encoding 'planes'"),
        (lambda c: c["encoding"].update(input_size=161), "encoding 'input_size' is 161"),
        (lambda c: c.update(action_order=["up", "down", "right", "left"]), "action order"),
        (lambda c: c["files"]["q_network"]["outputs"].pop("q"), "q_network outputs: no 'q'"),
        (
            lambda c: c["files"]["q_gradient"]["inputs"].update(weights=["batch", 5]),
            r"'weights' has shape \['batch', 5\]",
        ),
        (lambda c: c["files"].pop("q_gradient"), "no 'q_gradient' file"),
        (lambda c: c.pop("encoding"), "no 'encoding'"),
    ],
)
def test_a_mismatch_is_refused_with_a_clear_message(change, message):
    card = good_card()
    change(card)
    result = check_card(card)
    assert not result["ok"]
    assert any(re.search(message, p) for p in result["problems"]), result


def test_not_a_card():
    assert check_card([1, 2]) == {"ok": False, "problems": ["the model card is not a JSON object"]}
