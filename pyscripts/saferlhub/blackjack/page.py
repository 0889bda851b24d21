"""JSON glue for the "Train your own agent" page: settings, training, policies as grids.

The page's JavaScript only renders what these functions return. Training runs
checkpoint by checkpoint through `train(..., resume=...)`, which gives exactly the
result of an uninterrupted run, so that every progress event can carry the greedy
policy of that checkpoint: a reader who stops a run keeps the last one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, fields

from saferlhub.blackjack.env import state_index
from saferlhub.blackjack.learners import (
    PRESETS,
    TrainingSettings,
    make_settings,
    settings_schema,
    train,
)
from saferlhub.blackjack.solver import optimal_policy

PLAYER_SUMS = list(range(12, 22))  # below 12 hitting can never bust: always hit
DEALER_CARDS = list(range(1, 11))


def page_setup() -> dict:
    """The controls' schema and the presets, each preset as complete settings."""
    return {
        "schema": settings_schema(),
        "presets": {name: asdict(make_settings(name)) for name in PRESETS},
    }


def policy_grids(policy: list[int]) -> dict:
    """A policy as {"hard": rows, "usable": rows}: rows by player sum 12-21, columns by
    dealer card 1-10, 1 = hit and 0 = stick."""
    return {
        key: [
            [policy[state_index(total, up, usable)] for up in DEALER_CARDS] for total in PLAYER_SUMS
        ]
        for key, usable in (("hard", 0), ("usable", 1))
    }


def _invalid(error: ValueError) -> dict:
    message = str(error)
    names = [spec.name for spec in fields(TrainingSettings)]
    first = message.split(" ", 1)[0].strip("'")
    return {"ok": False, "error": message, "setting": first if first in names else None}


def check_settings(settings: dict) -> dict:
    """{"ok": True} or {"ok": False, "error": the ValueError's message, "setting": its name}."""
    try:
        make_settings(settings)
    except ValueError as error:
        return _invalid(error)
    return {"ok": True}


def train_for_page(settings: dict, progress: Callable[[dict], object] | None = None) -> dict:
    """Train with `settings`; each progress event is `train`'s checkpoint event plus
    "policy" (grids of that checkpoint's greedy policy) and "optimal_policy" (grids).

    Returns {"ok": False, "error", "setting"} for settings out of range, otherwise
    {"ok": True, "settings", "curve", "greedy_value", "optimal_value", "gap",
    "policy" (grids), "optimal_policy" (grids, for the same rules and true payoffs)}.
    """
    try:
        s = make_settings(settings)
    except ValueError as error:
        return _invalid(error)
    best = optimal_policy(s.natural, s.sab)
    optimal = policy_grids(best["policy"])
    result = None
    while result is None or not result["finished"]:
        # Stop at the next checkpoint, then continue from it: the same run, in pieces.
        result = train(s, progress=lambda event: True, resume=result)
        if progress is not None:
            grids = policy_grids(result["policy"])
            progress({**result["curve"][-1], "policy": grids, "optimal_policy": optimal})
    return {
        "ok": True,
        "settings": result["settings"],
        "curve": result["curve"],
        "greedy_value": result["greedy_value"],
        "optimal_value": result["optimal_value"],
        "gap": result["gap"],
        "policy": policy_grids(result["policy"]),
        "optimal_policy": optimal,
    }
