"""The OOD page's helpers: live battery progress and the comparison with the model cards."""

import copy
import json

from saferlhub.intervals import wilson_rate_interval
from saferlhub.maze import ood, stepper
from saferlhub.maze.generators import DISTRIBUTIONS
from saferlhub.maze.solver import optimal_q_function

AGENTS = {"optimal/q_network": optimal_q_function()}


def run_live(count, chunk):
    battery = stepper.Battery(["optimal"], count, seed=3, chunk=chunk, live=True)
    progress = []
    steps = battery.steps()
    network = stepper.python_network(AGENTS)
    try:
        calls = next(steps)
        while True:
            progress.append(battery.progress())
            calls = steps.send([network(call) for call in calls])
    except StopIteration as stop:
        return stop.value, progress


def test_live_progress_hands_out_each_finished_piece_once():
    report, progress = run_live(4, 2)
    reports = [p["report"] for p in progress if "report" in p]
    assert [r["done"] for r in reports] == [2]  # the last piece arrives as the result
    assert all(p["count"] == 4 for p in progress)
    assert report["done"] == 4
    quiet = stepper.Battery(["optimal"], 2, seed=3)
    assert "report" not in quiet.progress()


def fake_card(report):
    distributions = {
        d: {k: v for k, v in metrics.items() if k not in ("intervals", "worst")}
        for d, metrics in report["agents"]["optimal"].items()
    }
    return {
        "evaluation": {
            "seed": report["seed"],
            "mazes_per_distribution": report["count"],
            "distributions": distributions,
        }
    }


def test_the_comparison_with_a_card_is_exact_and_names_each_difference():
    report, _ = run_live(3, 3)
    card = fake_card(report)
    same = ood.compare_with_cards(report, {"optimal": card})
    assert same["comparable"] and not same["differences"]
    assert same["checked"] == sum(len(m) for m in card["evaluation"]["distributions"].values())
    other = copy.deepcopy(card)
    other["evaluation"]["distributions"]["protrusion"]["finish_rate"] = 0.5
    differ = ood.compare_with_cards(report, {"optimal": other})
    assert differ["differences"] == [
        {
            "agent": "optimal",
            "distribution": "protrusion",
            "key": "finish_rate",
            "page": report["agents"]["optimal"]["protrusion"]["finish_rate"],
            "card": 0.5,
        }
    ]
    json.dumps(differ)


def test_other_settings_or_an_unfinished_run_are_not_compared():
    report, _ = run_live(3, 3)
    card = fake_card(report)
    card["evaluation"]["seed"] = 1
    result = ood.compare_with_cards(report, {"optimal": card})
    assert not result["comparable"] and "seed 1" in result["reason"]
    unfinished = dict(report, done=1)
    result = ood.compare_with_cards(unfinished, {"optimal": fake_card(report)})
    assert "only 1 of 3" in result["reason"]
    assert "records no evaluation" in ood.compare_with_cards(report, {"x": {}})["reason"]


def test_page_setup_lists_every_distribution_and_metric():
    setup = ood.page_setup()
    assert [d["key"] for d in setup["distributions"]] == list(DISTRIBUTIONS)
    keys = [m["key"] for m in setup["metrics"]]
    report, _ = run_live(2, 2)
    for metrics in report["agents"]["optimal"].values():
        assert set(keys) <= set(metrics) and set(metrics["intervals"]) == set(keys)


def test_the_interval_widths_the_page_quotes():
    # ood.md: "with 1,000 mazes a share is known to within about ±3 percentage points;
    # with 50 mazes, about ±13" (the widest case, a share of one half).
    for n, half in ((1000, 0.03), (50, 0.13)):
        low, high = wilson_rate_interval(n // 2, n)
        assert round((high - low) / 2, 2) == half
