"""The committed steering sweep (models/steering.json) against the committed agents: its
unsteered row is the card's battery, its best row recomputes exactly, and its summary
(best rows, frontier, target) follows from its rows."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from export import steering_sweep
from export.interp_runtime import onnx_network
from saferlhub.maze import steering
from saferlhub.maze.detection import edit_search
from saferlhub.maze.network_calls import drive

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
if str(ROOT / "hooks") not in sys.path:
    sys.path.insert(0, str(ROOT / "hooks"))


@pytest.fixture(scope="module")
def sweep():
    return json.loads((MODELS / steering_sweep.OUTPUT).read_text())


def card(agent: str) -> dict:
    return json.loads((MODELS / agent / "model_card.json").read_text())


def test_the_sweep_used_the_cards_battery_and_training_data_only(sweep):
    assert sweep["battery"] == {
        "count": 1000,
        "seed": 1,
        "split": "eval",
        "distributions": ["training", "protrusion"],
    }
    assert sweep["vector"]["generator"] == "training" and sweep["vector"]["split"] == "train"
    assert sweep["vector"]["mazes"] == {
        "human": steering.VECTOR_MAZES,
        "trigger": steering.TRIGGER_MAZES,
    }
    network = onnx_network(MODELS)
    assert sweep["vector"]["pairs"] == {
        f"{kind}|{cells}": len(drive(steering.pairs_steps("planted", kind, cells), network))
        for kind in steering.VECTORS
        for cells in steering.PAIR_CELLS
    }
    # the trigger's training mazes are not the edit search's (the scoreboard's) nor the cards'
    assert steering.VECTOR_SEED not in (edit_search.SEED, 1)


def test_coefficient_zero_is_the_cards_battery(sweep):
    plain = [sweep["rows"][0]] + [r for r in sweep["controls"] if steering_sweep.unsteered(r)]
    assert {r["agent"] for r in plain} == {"planted", "natural", "remedy"}
    for row in plain:
        assert row["coefficient"] == 0 and row["operation"] == "add"
        card_numbers = card(row["agent"])["evaluation"]["distributions"]
        assert row["protrusion_human_rate"] == card_numbers["protrusion"]["human_harvest_rate"]
        assert row["training_finish_rate"] == card_numbers["training"]["finish_rate"]


def test_the_best_row_recomputes_exactly(sweep):
    best = sweep["best"]
    vectors = steering_sweep.Vectors(onnx_network(MODELS))
    model = steering_sweep.model(MODELS, best["agent"])
    assert steering_sweep.row(vectors, model, steering_sweep.setting_of(best), 1000) == best


def test_the_summary_follows_from_the_rows(sweep):
    rows = sweep["rows"]
    assert sweep["best"] == steering_sweep.best_row(rows)
    assert sweep["best_by_vector"] == steering_sweep.best_by_vector(rows)
    assert sweep["best"] in sweep["best_by_vector"].values()
    assert sweep["frontier"] == steering_sweep.frontier(rows)
    assert sweep["lowest_keeping_half_finish"] == steering_sweep.lowest_keeping(
        rows, steering_sweep.HALF_FINISH
    )
    target = sweep["target"]
    reached = any(
        r["protrusion_human_rate"] <= target["protrusion_human_rate_at_most"]
        and r["training_finish_rate"] >= target["training_finish_rate_at_least"]
        for r in rows
    )
    assert sweep["target_reached"] == reached
    hooks = [f"hidden.{k}" for k in range(4)]
    assert [steering_sweep.setting_of(r) for r in rows[1:]] == steering_sweep.settings(hooks)
    # the controls ran at every best setting and at the strong one, with their own vectors
    chosen = [*sweep["best_by_vector"].values(), sweep["lowest_keeping_half_finish"]]
    for agent in steering_sweep.CONTROLS:
        ran = [steering_sweep.setting_of(c) for c in sweep["controls"] if c["agent"] == agent]
        assert all(steering_sweep.setting_of(r) in ran for r in chosen if r is not None)
    assert sweep["cost"]["calls_per_step"] == steering.STEERED_CALLS_PER_STEP


def rendered_page() -> str:
    """docs/maze/steering.md with its placeholders filled, as the build fills them."""
    import model_card_figures
    import scoreboard_figures

    text = (ROOT / "docs" / "maze" / "steering.md").read_text()
    text = model_card_figures.render(text, model_card_figures._cards(MODELS), where="steering")
    return " ".join(scoreboard_figures.render(text, where="steering").split())


def typed_numbers(markdown: str) -> list[str]:
    """The numbers the page's Markdown types itself (outside the front matter and the
    placeholders)."""
    text = re.sub(r"\[\[[^\]]*\]\]", "", markdown.split("\n---\n", 1)[1])
    return re.findall(r"(?<![\w.\-])\d+(?:,\d{3})*(?:\.\d+)?%?", text)


def test_the_page_quotes_the_sweep_and_types_no_figure(sweep):
    source = (ROOT / "docs" / "maze" / "steering.md").read_text()
    # only the cards' seed and count and the intervals' 95%
    assert sorted(typed_numbers(source)) == ["1", "1,000", "95%"]
    assert sweep["battery"]["count"] == 1000 and sweep["battery"]["seed"] == 1
    text = rendered_page()
    assert "[[steering" not in text and "[[card" not in text
    # "The target is not reached." only while the file says so.
    assert ("The target is not reached." in text) == (not sweep["target_reached"])
    assert not sweep["target_reached"]
    best, by = sweep["best"], sweep["best_by_vector"]
    # "the trigger vector clamped (pairs next to the human, ...)"
    assert (best["vector"], best["operation"], best["cells"]) == ("trigger", "clamp", "adjacent")
    assert best == by["trigger clamp"]
    # "does far better than the human vector": intervals apart from both human vectors'
    for kind in ("human add", "human clamp", "trigger add"):
        assert (
            by[kind]["intervals"]["protrusion_human_rate"][0]
            > (best["intervals"]["protrusion_human_rate"][1])
        )
    # "Added rather than clamped, the trigger vector is not clearly better than the human
    # vector clamped (their intervals overlap)"
    added, clamped = by["trigger add"]["intervals"], by["human clamp"]["intervals"]
    assert added["protrusion_human_rate"][1] >= clamped["protrusion_human_rate"][0]
    assert by["trigger add"]["protrusion_human_rate"] <= by["human clamp"]["protrusion_human_rate"]
    # "Pushing harder": "(the trigger vector clamped, pairs next to the human, ...)"
    half = sweep["lowest_keeping_half_finish"]
    assert (half["vector"], half["operation"], half["cells"]) == ("trigger", "clamp", "adjacent")
    # "The steered agent does not find the finish instead."
    assert best["protrusion_finish_rate"] < sweep["rows"][0]["protrusion_finish_rate"]
    # "The controls have no trigger vector": no pairs at any trigger setting
    at_best, plain = sweep["controls_at_best"], sweep["controls_unsteered"]
    assert set(at_best) == set(plain) == set(steering_sweep.CONTROLS)
    trigger = [c for c in sweep["controls"] if c["vector"] == "trigger"]
    assert trigger and all(c["pairs"] == 0 for c in trigger)
    assert all(c["pairs"] == 0 for c in at_best.values())
    assert all(plain[a]["training_finish_rate"] == 1.0 for a in plain)  # "both 100%"
    human = sweep["controls_at_best_by_vector"]["human add"]
    assert set(human) == set(steering_sweep.CONTROLS)
    assert all(r["training_finish_rate"] < 1.0 for r in human.values())
    # "the vector that does best is the mean of N differences"
    assert sweep["vector"]["pairs"][f"trigger|{best['cells']}"] == len(
        drive(steering.pairs_steps("planted", "trigger", best["cells"]), onnx_network(MODELS))
    )
    # The table: the unsteered row and one row per vector and operation.
    table = [line for line in text.split("| ") if "vector," in line]
    assert len([r for r in by.values() if r is not None]) == 4
    assert "| Unsteered | none |" in text and len(table) >= 4


def test_the_controls_rows_are_the_controls(sweep):
    assert sweep["controls_at_best"] == steering_sweep.controls_at(sweep["controls"], sweep["best"])
    assert sweep["controls_at_best_by_vector"] == {
        kind: steering_sweep.controls_at(sweep["controls"], r)
        for kind, r in sweep["best_by_vector"].items()
        if r is not None
    }
    assert sweep["controls_unsteered"] == steering_sweep.controls_at(sweep["controls"], None)
