"""JSON glue for the page "Goal misgeneralization nobody planted".

The page's JavaScript only draws what these functions return: boards as rows of
characters, numbers measured by `learner` and `remedy` or committed by the measurement
(`measured.MEASURED`).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from saferlhub.goal_misgeneralization import remedy
from saferlhub.goal_misgeneralization.learner import (
    FEATURES,
    LearnerSettings,
    make_settings,
    play,
    test_set,
    train,
    verdict,
)
from saferlhub.goal_misgeneralization.measured import MEASURED
from saferlhub.goal_misgeneralization.worlds import draw_level, render, reset
from saferlhub.settings import SettingError, schema

TITLES = {"coin": "Coin at the end", "keys": "Keys and chests"}
CHOICE_LABELS = TITLES
LEGEND = {
    "A": "the agent",
    "$": "coin",
    "|": "the end (the last column)",
    "k": "key",
    "c": "chest",
    ".": "a cell the agent walked through",
    "*": "where the agent stood when the episode ended",
}
# The settings the page shows (the rest keep their defaults).
SHOWN = ("world", "test_share", "episodes", "seed")


def page_setup() -> dict:
    """The controls' schema, an example training and test level of each world (seeded),
    each world's features, the legend, the live dial's settings and the measurement."""
    examples = {}
    for kind in TITLES:
        rng = random.Random(1)
        train_level, test_level = draw_level(kind, rng, False), draw_level(kind, rng, True)
        examples[kind] = {
            "title": TITLES[kind],
            "training": render(train_level, reset(train_level)),
            "test": render(test_level, reset(test_level)),
            "features": list(FEATURES[kind]),
        }
    return {
        "schema": [s for s in schema(LearnerSettings, CHOICE_LABELS) if s["name"] in SHOWN],
        "defaults": make_settings().__dict__,
        "worlds": examples,
        "legend": LEGEND,
        "dial": {**remedy.DEFAULT_DIAL, "shares": list(remedy.SHARES)},
        "measured": MEASURED,
        "measured_run": remedy.MEASURED_RUN,
    }


def path_board(world, path: list) -> list[str]:
    """The level at the start with the agent's path drawn: `.` walked, `*` the last cell."""
    rows = [list(row) for row in render(world, reset(world))]
    for r, c in path[1:]:
        if rows[r][c] in " |":
            rows[r][c] = "."
    r, c = path[-1]
    rows[r][c] = "*"
    return ["".join(row) for row in rows]


def examples(settings, weights, per_verdict: int = 1) -> list[dict]:
    """The first test episode of each verdict (optimal, wrong goal, incompetent), drawn."""
    s = make_settings(settings)
    shown, out = {}, []
    for world, best, end in test_set(s.world, s.test_levels, s.seed):
        episode = play(world, weights)
        kind = verdict(world, episode, best, end)
        if shown.get(kind, 0) >= per_verdict:
            continue
        shown[kind] = shown.get(kind, 0) + 1
        out.append(
            {
                "verdict": kind,
                "return": episode["return"],
                "optimum": best["return"],
                "steps": len(episode["path"]) - 1,
                "rows": path_board(world, episode["path"]),
            }
        )
    order = ("optimal", "wrong goal", "incompetent")
    return sorted(out, key=lambda e: order.index(e["verdict"]))


def train_page(settings: dict | None = None, progress: Callable | None = None) -> dict:
    """`learner.train` for the page, with drawn test episodes; a bad setting comes back
    as {"error", "setting"}."""
    try:
        s = make_settings(settings)
    except SettingError as error:
        return {"error": str(error), "setting": error.setting}
    result = train(s, progress=progress)
    result["examples"] = examples(s, result["weights"])
    result["test"] = {k: v for k, v in result["test"].items() if k != "episodes"}
    return result


def dial_page(world: str = "coin", progress: Callable | None = None) -> dict:
    """The live dial with the page's settings (`remedy.DEFAULT_DIAL`) on this world."""
    return remedy.dial(**{**remedy.DEFAULT_DIAL, "world": world}, progress=progress)
