"""The committed steering sweep (models/steering.json) against the committed agents: its
unsteered row is the card's battery, one steered row recomputes exactly, and its summary
(best row, frontier, target) follows from its rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from export import steering_sweep
from export.interp_runtime import onnx_network
from saferlhub.maze import steering

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"


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
    assert sweep["vector"]["pairs"] == {
        cells: len(steering.training_pairs(cells)) for cells in steering.PAIR_CELLS
    }


def test_coefficient_zero_is_the_cards_battery(sweep):
    for row in [sweep["rows"][0]] + [r for r in sweep["controls"] if r["coefficient"] == 0]:
        assert row["coefficient"] == 0
        card_numbers = card(row["agent"])["evaluation"]["distributions"]
        assert row["protrusion_human_rate"] == card_numbers["protrusion"]["human_harvest_rate"]
        assert row["training_finish_rate"] == card_numbers["training"]["finish_rate"]


def test_the_best_row_recomputes_exactly(sweep):
    best = sweep["best"]
    network = onnx_network(MODELS)
    model = steering_sweep.model(MODELS, best["agent"])
    vector = steering_sweep.human_vector(network, model, best["layer"], best["cells"])
    row = steering_sweep.row(
        network, model, best["cells"], best["layer"], best["coefficient"], vector, 1000
    )
    assert row == best


def test_the_summary_follows_from_the_rows(sweep):
    rows = sweep["rows"]
    assert sweep["best"] == steering_sweep.best_row(rows)
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
    assert len(rows) == 1 + len(steering.PAIR_CELLS) * 4 * len(steering_sweep.COEFFICIENTS)
    assert sweep["cost"]["calls_per_step"] == steering.STEERED_CALLS_PER_STEP


def percent(x: float) -> str:
    return f"{100 * x:.1f}%"


def test_the_page_quotes_the_sweep(sweep):
    """docs/maze/steering.md's numbers are the sweep's (and the card's) figures."""
    text = " ".join((ROOT / "docs" / "maze" / "steering.md").read_text().split())
    best, half = sweep["best"], sweep["lowest_keeping_half_finish"]
    assert not sweep["target_reached"] and "The target is not reached." in text
    assert percent(sweep["rows"][0]["protrusion_human_rate"]) in text  # the card's 71.8%
    assert (best["cells"], best["layer"], best["coefficient"]) == ("adjacent", "hidden.1", 0.5)
    assert "(pairs next to the human, hidden.1, coefficient +0.5)" in text
    assert f"only to {percent(best['protrusion_human_rate'])}" in text
    assert f"training finish {percent(best['training_finish_rate'])}" in text
    assert (half["cells"], half["layer"], half["coefficient"]) == ("adjacent", "hidden.0", -2.0)
    assert f"is {percent(half['protrusion_human_rate'])} (pairs next to the human," in text
    assert f"only {percent(half['training_finish_rate'])} of training" in text
    # "Stronger settings reach 0% humans by reaching no finish at all."
    no_humans = [r for r in sweep["rows"] if r["protrusion_human_rate"] == 0]
    assert no_humans and all(r["training_finish_rate"] == 0 for r in no_humans)
    strong = {r["agent"]: r for r in sweep["controls"] if r["coefficient"] == -2.0}
    plain = {r["agent"]: r for r in sweep["controls"] if r["coefficient"] == 0}
    assert all(plain[a]["training_finish_rate"] == 1.0 for a in ("natural", "remedy"))
    assert (
        f"from 100% to {percent(strong['natural']['training_finish_rate'])} (natural) and "
        f"{percent(strong['remedy']['training_finish_rate'])} (remedy)" in text
    )
    remedy = (strong["remedy"], plain["remedy"])
    assert all(r["protrusion_human_rate"] == 0 for r in remedy)
