"""The battery's held-out mazes with the model cards' settings, drawn ahead of time.

Drawing the held-out mazes (about fifteen carved layouts per maze) and solving
each for its optimal return is most of the Python time of the cards' battery
(1,000 mazes per distribution, seed 1), and in the browser Python is the slow
part. So the site build draws them once with this very code (`build`, run by
hooks/runtime_assets.py into assets/saferlhub/battery_sets.json), and the
out-of-distribution page hands them over (`install`) before its first run.
`Battery` takes a piece from them when they hold it (same seed, same maze
indices) and draws it otherwise: the numbers are the same either way
(tests/pyscripts/test_maze_battery_sets.py).
"""

from __future__ import annotations

from saferlhub.maze.evaluation import EVALUATION_SEED
from saferlhub.maze.generators import DISTRIBUTIONS, maze_set
from saferlhub.maze.grid import Maze, parse_maze
from saferlhub.maze.solver import solve

# As on the model cards (`export.evaluate.evaluation_table`): training mazes as they come,
# protrusion mazes only with a human reachable from the start (the failure needs one).
BATTERY_REQUIRES_HUMAN = {"training": False, "protrusion": True, "protrusion-kept-items": True}

FILE_NAME = "battery_sets.json"  # in the built site's assets/saferlhub/
COUNT = 1000  # the cards' count


def draw(distribution: str, count: int, *, seed: int, start: int = 0) -> list[Maze]:
    """Mazes start..start+count-1 of one distribution's held-out battery set."""
    return maze_set(
        distribution,
        count,
        seed=seed,
        split="eval",
        require_reachable_human=BATTERY_REQUIRES_HUMAN[distribution],
        start=start,
    )


def build(count: int = COUNT, seed: int = EVALUATION_SEED) -> dict:
    """The sets drawn ahead: every distribution's first `count` mazes (ASCII) and their optimal
    returns (the exact solver's, original rewards), as JSON-ready data."""
    sets = {d: draw(d, count, seed=seed) for d in DISTRIBUTIONS}
    distinct = dict.fromkeys(m for mazes in sets.values() for m in mazes)
    return {
        "seed": seed,
        "split": "eval",
        "count": count,
        "sets": {d: [str(m) for m in mazes] for d, mazes in sets.items()},
        "optimal": {str(m): solve(m).value() for m in distinct},
    }


_data: dict | None = None


def install(data: dict | None) -> dict:
    """Use `data` (from `build`, as JSON gives it back) as the sets drawn ahead; None:
    none (every maze is drawn during the run). Returns {"seed", "count"} (or {})."""
    global _data
    if data is not None:
        sets = data.get("sets", {})
        if data.get("split") != "eval" or set(sets) != set(DISTRIBUTIONS):
            raise ValueError("not the battery's sets: expected battery_sets.build()'s output")
        if any(len(texts) != data.get("count") for texts in sets.values()):
            raise ValueError("the battery's sets do not all hold `count` mazes")
    _data = data
    _parsed.clear()
    return installed()


def installed() -> dict:
    """{"seed", "count"} of the sets drawn ahead in use, or {} if none."""
    return {"seed": _data["seed"], "count": _data["count"]} if _data else {}


def piece(
    distribution: str, count: int, *, seed: int, start: int = 0
) -> tuple[list[Maze], dict[Maze, float]]:
    """Mazes start..start+count-1 of a battery set, and the optimal returns known for them.

    From the sets drawn ahead when they hold this piece; else drawn now (none known).
    """
    data = _data
    if data is None or data["seed"] != seed or start + count > data["count"]:
        return draw(distribution, count, seed=seed, start=start), {}
    texts = data["sets"][distribution][start : start + count]
    optimal = data["optimal"]
    mazes = [_parsed[t] if t in _parsed else _parsed.setdefault(t, parse_maze(t)) for t in texts]
    return mazes, {m: optimal[t] for m, t in zip(mazes, texts, strict=True)}


_parsed: dict[str, Maze] = {}  # each distinct maze parsed once (training mazes repeat)
