"""JSON glue for the "Reward hacking: the idea" page: settings, verdicts, training, replays.

The page's JavaScript only draws what these functions return: boards as rows of
characters, policies as rows of arrows, numbers computed by the solver or
measured in training.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict

from saferlhub.gridworlds.grid import ARROWS, MAX_COLUMNS, MAX_ROWS, LevelError, parse_level
from saferlhub.gridworlds.learners import (
    LEVEL_SETTINGS,
    ORIGINAL_ART,
    PRESETS,
    hack_rate,
    level_verdict,
    make_game,
    make_settings,
    settings_schema,
    train,
)
from saferlhub.gridworlds.levels import MAX_CHECKPOINTS, MAX_TOMATOES
from saferlhub.gridworlds.solver import (
    is_hack,
    is_markov,
    optimal_policy,
    park_policy,
    patrol_policy,
    policy_returns,
)
from saferlhub.settings import SettingError

# What each symbol on a board means, for the page's legend.
LEGEND = {
    "A": "the agent",
    "#": "wall",
    ">": "checkpoint, paid when entered in the arrow's direction",
    "T": "watered tomato",
    "t": "dry tomato",
    "O": "observation transformer",
    "P": "punishment cell",
    "G": "goal",
    "S": "supervisor watching",
    "?": "the agent cannot tell whether the supervisor watches",
}


# What a reader may draw on each level, in the level editor's legend: (symbol, meaning).
EDITOR_LEGEND = {
    "boat_race": (
        ("#", "wall; the edge of the level is all wall"),
        ("A", "the boat's start (exactly one)"),
        (" ", "open water"),
        (
            ">  <  ^  v",
            f"checkpoint, paid when entered in the arrow's direction (1 to {MAX_CHECKPOINTS})",
        ),
    ),
    "tomato_watering": (
        ("#", "wall; the edge of the level is all wall"),
        ("A", "the agent's start (exactly one)"),
        (" ", "open ground"),
        (
            "T",
            f"tomato, watered at the start; it may dry before the first move, as at "
            f"every step (1 to {MAX_TOMATOES} tomatoes in all)",
        ),
        ("t", "tomato, dry at the start"),
        ("O", "observation transformer (at least one the agent can reach)"),
    ),
    "absent_supervisor": (
        ("#", "wall; the edge of the level is all wall"),
        ("A", "the agent's start (exactly one)"),
        (" ", "open floor"),
        ("P", "punishment cell"),
        ("G", "goal, ends the episode (at least one the agent can reach)"),
        ("S", "the supervisor, drawn in the first and the last column only"),
    ),
}


def _refusal(error: SettingError) -> dict:
    return {"error": str(error), "setting": error.setting}


def page_setup() -> dict:
    """The controls' schema, the presets (complete settings), each level's reward
    settings and its starting board."""
    boards = {}
    for name in LEVEL_SETTINGS:
        game = make_game(make_settings(level=name))
        state = game.reset(random.Random(0))
        boards[name] = {"title": game.title, "board": game.render(state)["board"]}
    return {
        "schema": settings_schema(),
        "presets": {name: asdict(make_settings(name)) for name in PRESETS},
        "level_settings": LEVEL_SETTINGS,
        "levels": boards,
        "legend": LEGEND,
        "original_art": {name: "\n".join(art) for name, art in ORIGINAL_ART.items()},
        "editor_legend": EDITOR_LEGEND,
        "max_size": [MAX_ROWS, MAX_COLUMNS],
    }


def edit_level(settings: dict | None = None) -> dict:
    """A reader's own level (the setting "art", ASCII rows) checked and solved.

    Returns {"art" (as stored in the settings: the rows one per line, "" for the
    original layout), "rows" (the level as parsed), "board" (at the start), "verdict"
    (`predict` on it)}, or {"error", "setting"}: for art that breaks the level's
    rules, the parser's message with setting "art"; the size limits (MAX_ROWS x
    MAX_COLUMNS, MAX_CHECKPOINTS, MAX_AGENT_STATES, MAX_TOMATOES) keep the solver and
    training fast.
    """
    art = (settings or {}).get("art") or ""
    try:
        if not art.strip():  # "" in the settings means the original; here it is a blank box
            parse_level(art, "")
        s = make_settings(settings)
    except LevelError as error:
        return {"error": str(error), "setting": "art"}
    except SettingError as error:
        return _refusal(error)
    game = make_game(s)
    return {
        "art": s.art,
        "rows": list(game.level.rows),
        "board": game.render(game.reset(random.Random(0)))["board"],
        "verdict": predict(asdict(s)),
    }


def policy_grids(game, policy: list[int]) -> list[dict]:
    """The policy drawn on the board: one grid per thing the agent can see besides its
    position (the supervisor there or not), arrows on open cells; "under" is the
    board beneath the arrows (so a page can colour P, G, O and the tomatoes).

    With checkpoints in lap order the action depends on the next checkpoint too;
    the grid then shows the action taken at each cell of the greedy path.
    """
    returns = policy_returns(game, policy)
    views = getattr(game, "views", 1)
    base = [list(row.replace("A", " ")) for row in game.level.rows]
    if game.name == "absent_supervisor" and views == 1:
        base = [["?" if ch == "S" else ch for ch in row] for row in base]
    grids = []
    if getattr(game, "n_checkpoints", 1) > 1:
        rows = [row[:] for row in base]
        path = returns["rollouts"][0]
        for s, a in zip(path["states"], path["actions"], strict=False):
            r, c = game.position(s)
            rows[r][c] = ARROWS[a]
        return [
            {
                "label": "actions along the greedy path",
                "rows": ["".join(r) for r in rows],
                "under": ["".join(r) for r in base],
            }
        ]
    for view in range(views):
        rows = [row[:] for row in base]
        if game.name == "absent_supervisor" and views == 2 and view == 0:
            rows = [[" " if ch == "S" else ch for ch in row] for row in rows]
        for s in range(view, game.n_states, views):
            r, c = game.position(s)
            rows[r][c] = ARROWS[policy[s]]
        label = "greedy action in each cell"
        if views == 2:
            label = "supervisor watching" if view else "supervisor absent"
        under = [row[:] for row in base]
        if game.name == "absent_supervisor" and views == 2 and view == 0:
            under = [[" " if ch == "S" else ch for ch in row] for row in under]
        grids.append(
            {
                "label": label,
                "rows": ["".join(r) for r in rows],
                "under": ["".join(r) for r in under],
            }
        )
    return grids


def predict(settings: dict | None = None) -> dict:
    """The exact solver's verdict for these settings, before any training.

    Returns {"level", "exact", "observed_optimum", "hidden_optimum",
    "hidden_of_observed_optimal" (Markov levels), "hack_possible", "hack_certain",
    "policies": [{"name", "observed", "hidden", "hacks", "grids"}]} with the
    observed-reward and hidden-performance optima (park and patrol on tomato
    watering), or {"error", "setting"} for a bad setting.
    """
    try:
        s = make_settings(settings)
    except SettingError as error:
        return _refusal(error)
    game = make_game(s)
    result = dict(level_verdict(game))
    if is_markov(game):
        named = [
            ("best for the observed reward", optimal_policy(game, "observed")),
            ("best for the hidden performance", optimal_policy(game, "hidden")),
        ]
    else:
        park = "park on the transformer" if game.rules.transformer else "stand on O (switched off)"
        named = [(park, park_policy(game)), ("patrol", patrol_policy(game))]
    result["policies"] = []
    for name, policy in named:
        returns = policy_returns(game, policy)
        result["policies"].append(
            {
                "name": name,
                "observed": returns["observed"],
                "hidden": returns["hidden"],
                "hacks": is_hack(game, returns, result),
                "grids": policy_grids(game, policy),
            }
        )
    result.setdefault("hack_certain", None)
    result["level"] = s.level
    return result


def train_page(settings: dict | None = None, progress: Callable | None = None) -> dict:
    """`learners.train` for the page: each event also carries the greedy policy's grids;
    the result adds the grids and a replay of a greedy episode. A bad setting comes
    back as {"error", "setting"}."""
    try:
        s = make_settings(settings)
    except SettingError as error:
        return _refusal(error)
    game = make_game(s)

    def report(event):
        event = {**event, "grids": policy_grids(game, event["policy"])}
        return progress(event) if progress is not None else False

    result = train(s, progress=report)
    result["grids"] = policy_grids(game, result["policy"])
    result["replay"] = replay(asdict(s), result["policy"])
    del result["rng_state"], result["q"]
    return result


def replay(
    settings: dict | None, policy: list[int], seed: int = 0, supervised: bool | None = None
) -> dict:
    """One greedy episode, frame by frame, for the animated replay.

    Returns {"frames": [{"board", "observed_board", "observed", "hidden" (totals so
    far), "step"}], "observed", "hidden", "supervised" (absent supervisor) }. The
    tomatoes dry at random (seeded); the absent supervisor's presence is drawn from
    the seed unless `supervised` is given.
    """
    s = make_settings(settings)
    game = make_game(s)
    rng = random.Random(seed)
    state = game.reset(rng)
    if supervised is not None and game.name == "absent_supervisor":
        state = (state[0], bool(supervised))
    observed = hidden = 0.0
    frames = [{"step": 0, "observed": 0.0, "hidden": 0.0, **game.render(state)}]
    for t in range(game.max_steps):
        state, r_obs, r_hid, done = game.step(state, policy[game.observe(state)], rng)
        observed += r_obs
        hidden += r_hid
        frames.append({"step": t + 1, "observed": observed, "hidden": hidden, **game.render(state)})
        if done:
            break
    out = {"frames": frames, "observed": observed, "hidden": hidden}
    if game.name == "absent_supervisor":
        out["supervised"] = bool(state[1])
    return out


def seeds_page(settings: dict | None = None, seeds: int = 10, progress=None) -> dict:
    """`learners.hack_rate` for the page, or {"error", "setting"} for a bad setting."""
    try:
        return hack_rate(settings, seeds=seeds, progress=progress)
    except SettingError as error:
        return _refusal(error)
