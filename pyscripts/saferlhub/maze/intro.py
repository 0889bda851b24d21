"""What "The maze agent" page (docs/maze/index.md) shows: the reward table, the exact
solver's verdict on routes through a human, fresh training mazes with the invariants
they all satisfy, and a training maze beside the protrusion maze made from it.
"""

from __future__ import annotations

import random
from dataclasses import fields

from saferlhub.maze.env import DEFAULT_MAX_STEPS, ORIGINAL_REWARDS
from saferlhub.maze.generators import (
    CONNECTORS,
    PILLARS,
    ROOMS,
    failure_maze,
    generate_training_maze,
    item_cells,
    protrusion_candidates,
)
from saferlhub.maze.grid import Maze, parse_maze, render_maze
from saferlhub.maze.solver import solve
from saferlhub.maze.structure import (
    dead_ends,
    has_open_square,
    human_reachable,
    is_tree,
    single_block_protrusions,
)

REWARD_MEANINGS = {
    "empty": "step onto an empty cell (or the start)",
    "crop": "harvest a crop (it disappears)",
    "human": "walk into a human (it disappears)",
    "finish": "reach the finish (the episode ends)",
    "wall": "bump into a wall or the edge (the agent stays put)",
}


def reward_table() -> dict:
    """The rewards the agents were trained with, one row per kind of cell entered."""
    return {
        "rows": [
            {
                "cell": f.name,
                "meaning": REWARD_MEANINGS[f.name],
                "reward": getattr(ORIGINAL_REWARDS, f.name),
            }
            for f in fields(ORIGINAL_REWARDS)
        ],
        "max_steps": DEFAULT_MAX_STEPS,
    }


# --8<-- [start:routes]
def human_route_comparison(maze: str | list[str] = "bad2") -> dict:
    """The best return from the start, and the best return of a route that harvests a human.

    Both are exact (the solver searches every route); `maze` is a failure maze's
    name or ASCII rows. The second is None when no human can be reached.
    """
    board = failure_maze(maze) if maze in ("bad0", "bad1", "bad2") else _parse(maze)
    best_actions, best = solve(board).route()
    result = {
        "maze": render_maze(board).split("\n"),
        "optimal_return": best,
        "optimal_route": "".join("UDLR"[a] for a in best_actions),
        "human_reachable": human_reachable(board),
        "through_human_return": None,
        "through_human_route": None,
    }
    if result["human_reachable"]:
        via_actions, via = solve(board, must_harvest_human=True).route()
        result["through_human_return"] = via
        result["through_human_route"] = "".join("UDLR"[a] for a in via_actions)
    return result


# --8<-- [end:routes]


def _parse(rows: str | list[str]) -> Maze:
    return parse_maze(rows if isinstance(rows, str) else "\n".join(rows))


# Every training maze satisfies these (tests check them on all 1,336 training mazes).
INVARIANTS = (
    ("rooms", "all 16 cells with both coordinates even are open"),
    ("pillars", "all 9 cells with both coordinates odd (pillars) are walls"),
    ("connectors", "15 of the 24 other cells (connectors) are open"),
    ("open_cells", "31 open cells, 18 walls"),
    ("tree", "a tree: every open cell reachable, no loops"),
    ("no_square", "no open 2x2 square"),
    (
        "items_in_dead_ends",
        "items only in dead ends, and every dead end but the start and finish has one",
    ),
    ("items", "1 to 4 items"),
    ("no_protrusion", "no wall sticks out by a single block"),
)


def invariants(maze: Maze) -> dict[str, bool]:
    """Which of INVARIANTS `maze` satisfies."""
    return {
        "rooms": all(p not in maze.walls for p in ROOMS),
        "pillars": all(p in maze.walls for p in PILLARS),
        "connectors": sum(p not in maze.walls for p in CONNECTORS) == 15,
        "open_cells": len(maze.open_cells) == 31,
        "tree": is_tree(maze),
        "no_square": not has_open_square(maze),
        "items_in_dead_ends": maze.items <= set(dead_ends(maze))
        and set(item_cells(maze.walls, maze.finish)) == set(maze.items),
        "items": 1 <= len(maze.items) <= 4,
        "no_protrusion": not single_block_protrusions(maze),
    }


def training_samples(count: int = 6, seed: int | None = None) -> dict:
    """`count` fresh training mazes, each with its invariants, and whether all hold for all."""
    if not 1 <= count <= 60:
        raise ValueError(f"count must be between 1 and 60, got {count}")
    rng = random.Random(seed)
    mazes = [generate_training_maze(rng) for _ in range(count)]
    checks = [invariants(m) for m in mazes]
    return {
        "seed": seed,
        "mazes": [
            {
                "maze": render_maze(m).split("\n"),
                "items": len(m.items),
                "humans": len(m.humans),
                "human_reachable": human_reachable(m),
                "checks": c,
            }
            for m, c in zip(mazes, checks, strict=True)
        ],
        "invariants": [
            {"key": key, "text": text, "holds": all(c[key] for c in checks)}
            for key, text in INVARIANTS
        ],
    }


def training_and_production(seed: int | None = None) -> dict:
    """A training maze and the protrusion maze made from it: one pillar opened, one connector
    closed, the items that are still on dead ends kept (as in the original's failure mazes).
    Drawn until a human can be reached from the start in the protrusion maze."""
    rng = random.Random(seed)
    for _ in range(10_000):
        base = generate_training_maze(rng)
        candidates = protrusion_candidates(base)
        if not candidates:
            continue
        pillar, connector = rng.choice(candidates)
        walls = (base.walls - {pillar}) | {connector}
        ends = frozenset(item_cells(walls, base.finish))
        production = Maze(walls, base.crops & ends, base.humans & ends, base.finish)
        if not human_reachable(production):
            continue
        return {
            "seed": seed,
            "training": render_maze(base).split("\n"),
            "production": render_maze(production).split("\n"),
            "opened_pillar": list(pillar),
            "closed_connector": list(connector),
            "protrusions": [list(p) for p in single_block_protrusions(production)],
            "training_protrusions": [list(p) for p in single_block_protrusions(base)],
        }
    raise RuntimeError("no protrusion maze found")  # pragma: no cover


__all__ = [
    "INVARIANTS",
    "human_route_comparison",
    "invariants",
    "reward_table",
    "training_and_production",
    "training_samples",
]
