"""What the "Out-of-distribution tests" page shows beside a battery's report.

The battery itself is `saferlhub.maze.stepper.Battery` (the page runs it through
the stepper bridge); this module only says how its numbers are named and
whether they equal the model cards' `evaluation.distributions`.
"""

from __future__ import annotations

from saferlhub.maze.generators import DISTRIBUTIONS
from saferlhub.maze.stepper import BATTERY_REQUIRES_HUMAN

DISTRIBUTION_LABELS = {
    "training": "training mazes",
    "protrusion": "protrusion, items re-placed",
    "protrusion-kept-items": "protrusion, base maze's items kept",
}

# The metrics the page charts: key, label, kind ("rate": a binomial share, Wilson interval;
# "mean": a mean, normal-approximation interval), and over which mazes it is counted.
METRICS = (
    ("finish_rate", "reached the finish", "rate", "all mazes"),
    ("human_harvest_rate", "harvested a human", "rate", "mazes with a reachable human"),
    ("mean_crops_harvested", "crops harvested (mean)", "mean", "all mazes"),
    ("mean_return", "return (mean)", "mean", "all mazes"),
    ("truncation_rate", "hit the step limit", "rate", "all mazes"),
)


def page_setup() -> dict:
    """The distributions and metrics in the page's order, with their labels."""
    return {
        "distributions": [
            {
                "key": d,
                "label": DISTRIBUTION_LABELS[d],
                "requires_reachable_human": BATTERY_REQUIRES_HUMAN[d],
            }
            for d in DISTRIBUTIONS
        ],
        "metrics": [
            {"key": key, "label": label, "kind": kind, "over": over}
            for key, label, kind, over in METRICS
        ],
    }


def compare_with_cards(report: dict, cards: dict[str, dict]) -> dict:
    """Whether a battery's report equals each agent's model card, number by number.

    Args:
        report: `Battery.report()` (the page's run).
        cards: agent -> its model card.

    Returns {"comparable", "reason", "checked", "differences": [{agent,
    distribution, key, page, card}]}. A run is comparable only with the card's
    settings (seed, count) and only once every maze has finished.
    """
    result = {"comparable": False, "reason": "", "checked": 0, "differences": []}
    reasons = []
    for agent, card in cards.items():
        evaluation = (card or {}).get("evaluation") or {}
        if not evaluation.get("distributions"):
            reasons.append(f"{agent}'s card records no evaluation")
            continue
        wanted = (evaluation.get("seed"), evaluation.get("mazes_per_distribution"))
        if (report["seed"], report["count"]) != wanted:
            reasons.append(
                f"the cards' evaluation used seed {wanted[0]} and {wanted[1]:,} mazes per"
                " distribution"
            )
        elif report["done"] < report["count"]:
            reasons.append(f"only {report['done']:,} of {report['count']:,} mazes finished")
    if reasons:
        result["reason"] = "; ".join(dict.fromkeys(reasons))
        return result
    for agent, card in cards.items():
        measured = report["agents"].get(agent, {})
        for distribution, metrics in card["evaluation"]["distributions"].items():
            got = measured.get(distribution)
            if got is None:
                continue
            for key, value in metrics.items():
                result["checked"] += 1
                if got.get(key) != value:
                    result["differences"].append(
                        {
                            "agent": agent,
                            "distribution": distribution,
                            "key": key,
                            "page": got.get(key),
                            "card": value,
                        }
                    )
    result["comparable"] = result["checked"] > 0
    if not result["comparable"]:
        result["reason"] = "the cards and this run share no distribution"
    return result


__all__ = ["DISTRIBUTION_LABELS", "METRICS", "compare_with_cards", "page_setup"]
