"""JSON glue for the "Train your own agent" page: settings, training, policies as grids.

The page's JavaScript only renders what these functions return. Training runs
checkpoint by checkpoint through `train(..., resume=...)`, which gives exactly the
result of an uninterrupted run, so that every progress event can carry the greedy
policy of that checkpoint: a reader who stops a run keeps the last one.

The final result also carries the Q-table and its value grids; the page keeps the
Q-table as plain data and sends it back to `replay_hand`, so a replay needs no state
in the worker (which Stop terminates).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from saferlhub.blackjack.env import N_STATES, state_index, sum_hand
from saferlhub.blackjack.learners import (
    PRESETS,
    make_settings,
    play_hand,
    settings_schema,
    train,
)
from saferlhub.blackjack.solver import optimal_policy

# Every player sum at which a decision is taken: 4-21 without a usable ace (2 + 2 is
# the lowest hand), 12-21 with one (ace + ace). Below 12 a hit can never bust, but an
# agent may still learn to stick there: the grids show those rows too.
HARD_SUMS = list(range(4, 22))
USABLE_SUMS = list(range(12, 22))
PLAYER_SUMS = {"hard": HARD_SUMS, "usable": USABLE_SUMS}
DEALER_CARDS = list(range(1, 11))


def page_setup() -> dict:
    """The controls' schema, the presets (each as complete settings) and the grids'
    row sums ("player_sums": {"hard": 4-21, "usable": 12-21})."""
    return {
        "schema": settings_schema(),
        "player_sums": PLAYER_SUMS,
        "presets": {name: asdict(make_settings(name)) for name in PRESETS},
    }


def policy_grids(policy: list[int]) -> dict:
    """A policy as {"hard": rows, "usable": rows}: rows by player sum (4-21 without a
    usable ace, 12-21 with one, lowest first), columns by dealer card 1-10, 1 = hit and
    0 = stick."""
    return {
        key: [
            [policy[state_index(total, up, usable)] for up in DEALER_CARDS]
            for total in PLAYER_SUMS[key]
        ]
        for key, usable in (("hard", 0), ("usable", 1))
    }


def value_grids(q: list[list[float]], visits: list[list[int]] | None = None) -> dict:
    """A Q-table as grids laid out like `policy_grids` (rows by player sum, 4-21 or
    12-21; columns by dealer card 1-10), each {"hard": rows, "usable": rows}:

    "stick" and "hit" (the Q-values), "value" (V(s) = max_a Q(s, a)), "advantage"
    (Q(hit) - Q(stick): positive where the agent prefers to hit) and, if `visits` is
    given, "visits" (how many updates the state received, both actions together).
    """

    def grid(of_state) -> dict:
        return {
            key: [
                [of_state(state_index(total, up, usable)) for up in DEALER_CARDS]
                for total in PLAYER_SUMS[key]
            ]
            for key, usable in (("hard", 0), ("usable", 1))
        }

    grids = {
        "stick": grid(lambda s: float(q[s][0])),
        "hit": grid(lambda s: float(q[s][1])),
        "value": grid(lambda s: float(max(q[s]))),
        "advantage": grid(lambda s: float(q[s][1] - q[s][0])),
    }
    if visits is not None:
        grids["visits"] = grid(lambda s: int(sum(visits[s])))
    return grids


def _q_table(q) -> list[list[float]]:
    """`q` as a Q-table, checked: the page sends back what `train_for_page` returned."""
    if not isinstance(q, list) or len(q) != N_STATES:
        raise ValueError(f"q must be a list of {N_STATES} [Q(stick), Q(hit)] pairs")
    table = []
    for row in q:
        if not isinstance(row, list | tuple) or len(row) != 2:
            raise ValueError("each row of q must be a pair [Q(stick), Q(hit)]")
        table.append([float(row[0]), float(row[1])])
    return table


def replay_hand(
    q: list[list[float]], seed: int = 0, natural: bool = False, sab: bool = False
) -> dict:
    """One hand played greedily (ties: stick) by the agent whose Q-table is `q`.

    `play_hand`'s result (the steps with Q(stick), Q(hit) and the action taken, the
    cards, the outcome and the reward under the game's real payoffs), plus
    "player_sum" and "dealer_sum": the final totals (a usable ace counted as 11).
    """
    hand = play_hand(_q_table(q), seed=int(seed), natural=bool(natural), sab=bool(sab))
    return {
        **hand,
        "player_sum": sum_hand(hand["player_cards"]),
        "dealer_sum": sum_hand(hand["dealer_cards"]),
    }


def _invalid(error: ValueError) -> dict:
    return {"ok": False, "error": str(error), "setting": getattr(error, "setting", None)}


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
    "policy" (grids), "optimal_policy" (grids, for the same rules and true payoffs),
    "q" (the final Q-table, for `replay_hand`), "values" (`value_grids` of it)}.
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
        "q": result["q"],
        "values": value_grids(result["q"], result["visits"]),
    }
