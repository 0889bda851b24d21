"""The maze editor's rules: what a reader may change on the "Play and edit" page, and why not.

The page holds a maze as seven ASCII rows (see `grid`). Every change goes
through here, so the editor refuses exactly what the maze code refuses: the
start and the finish are fixed, the finish must stay reachable from the start,
and items never sit on the start or the finish. Each answer carries the facts
the page shows beside the maze (the exact optimal return and route, whether a
human can be reached, the one-block protrusions). Cells are (row, column),
counted from 0 at the top left, in every message, as everywhere on the site.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from saferlhub.maze.generators import (
    FAILURE_MAZES,
    failure_maze,
    generate_protrusion_maze,
    generate_training_maze,
)
from saferlhub.maze.grid import (
    CELL_BY_SYMBOL,
    SIZE,
    START,
    Cell,
    Maze,
    in_grid,
    parse_maze,
    reachable_cells,
    render_maze,
)
from saferlhub.maze.solver import TooManyItems, solve
from saferlhub.maze.structure import (
    human_reachable,
    is_tree,
    items_behind_finish,
    single_block_protrusions,
)

# What a click does to a cell: wall -> empty -> crop -> human -> wall.
CYCLE = (Cell.WALL, Cell.EMPTY, Cell.CROP, Cell.HUMAN)
NAMES = {Cell.WALL: "a wall", Cell.EMPTY: "empty", Cell.CROP: "a crop", Cell.HUMAN: "a human"}


def _text(rows: str | Sequence[str]) -> str:
    return rows if isinstance(rows, str) else "\n".join(rows)


def describe(maze: Maze) -> dict:
    """The maze as rows, with the facts the page shows beside it."""
    solution = solve(maze)
    route, value = solution.route()
    return {
        "maze": render_maze(maze).split("\n"),
        "optimal_return": value,
        "optimal_route": "".join("UDLR"[a] for a in route),
        "human_reachable": human_reachable(maze),
        "humans": len(maze.humans),
        "crops": len(maze.crops),
        "unreachable_items": sorted([list(p) for p in items_behind_finish(maze)]),
        "protrusions": [list(p) for p in single_block_protrusions(maze)],
        "is_tree": is_tree(maze),
    }


def load(maze: str | Sequence[str]) -> dict:
    """Check a pasted or stored maze: {"ok": True, ...describe} or {"ok": False, "error"}.

    The error is the parser's or the solver's (too many items) message.
    """
    try:
        return {"ok": True, **describe(parse_maze(_text(maze)))}
    except ValueError as error:
        return {"ok": False, "error": str(error)}


def from_link(text: str) -> dict:
    """Check the maze of a shared link (`?maze=`): 49 symbols row by row, or rows split by '/'.

    Returns `load`'s answer; a failure also carries "text", the link's maze as the
    page's text box shows it, so the reader can fix it there.
    """
    if "/" in text or "\n" in text:
        rows = text.replace("/", "\n").split("\n")
    elif len(text) == SIZE * SIZE:
        rows = [text[SIZE * r : SIZE * (r + 1)] for r in range(SIZE)]
    else:
        return {
            "ok": False,
            "error": f"it has {len(text)} symbols; a maze needs {SIZE * SIZE}, "
            f"{SIZE} rows of {SIZE} from the top row down",
            "text": text,
        }
    result = load(rows)
    return result if result["ok"] else {**result, "text": "\n".join(rows)}


def _described(board: Maze, pos: tuple[int, int], cell: Cell) -> tuple[dict | None, str | None]:
    """(describe of the edited board, None), or (None, why `pos` may not become `cell`)."""
    reason = why_not(board, pos, cell)
    if reason:
        return None, reason
    try:
        return describe(_with(board, pos, cell)), None
    except TooManyItems as error:
        return None, str(error)


def why_not(maze: Maze, pos: tuple[int, int], cell: Cell) -> str | None:
    """Why `pos` may not become `cell` on `maze` (None if it may)."""
    if pos == START:
        return "the start (top left) is fixed: the agent always starts there"
    if pos == maze.finish:
        return "the finish is fixed"
    walls = set(maze.walls) - {pos}
    if cell is Cell.WALL:
        walls.add(pos)
    candidate = Maze(frozenset(walls), frozenset(), frozenset(), maze.finish)
    if not candidate.open_neighbours(START):
        return "a wall there would wall the start in"
    if maze.finish not in reachable_cells(candidate):
        return "a wall there would cut the finish off from the start"
    return None


def _with(maze: Maze, pos: tuple[int, int], cell: Cell) -> Maze:
    walls = set(maze.walls) - {pos}
    crops, humans = set(maze.crops) - {pos}, set(maze.humans) - {pos}
    {Cell.WALL: walls, Cell.CROP: crops, Cell.HUMAN: humans}.get(cell, set()).add(pos)
    return Maze(frozenset(walls), frozenset(crops), frozenset(humans), maze.finish)


def edit(maze: str | Sequence[str], row: int, col: int, to: str | None = None) -> dict:
    """Change one cell: to the symbol `to` ('#', '.', 'C', 'H'), or the next allowed one in CYCLE.

    Returns {"ok": True, "message": ..., ...describe} with the new maze, or
    {"ok": False, "error": why} with the maze unchanged. Cycling skips what is
    forbidden and says so.
    """
    board = parse_maze(_text(maze))
    pos = (int(row), int(col))
    if not in_grid(pos):
        return {"ok": False, "error": f"({row}, {col}) is outside the {SIZE}x{SIZE} grid"}
    if to is not None:
        cell = CELL_BY_SYMBOL.get(to)
        if cell not in CYCLE:
            return {"ok": False, "error": f"a cell can be one of # . C H, not {to!r}"}
        facts, reason = _described(board, pos, cell)
        if reason:
            return {"ok": False, "error": f"Cannot make ({row}, {col}) {NAMES[cell]}: {reason}."}
        return {"ok": True, "message": None, **facts}
    current = board.cell(pos)
    if pos in (START, board.finish):
        return {
            "ok": False,
            "error": f"Cannot change ({row}, {col}): {why_not(board, pos, current)}.",
        }
    start = CYCLE.index(current) if current in CYCLE else 0
    skipped = []
    for step in range(1, len(CYCLE)):
        cell = CYCLE[(start + step) % len(CYCLE)]
        facts, reason = _described(board, pos, cell)
        if reason is None:
            message = None
            if skipped:
                message = "; ".join(f"skipped {NAMES[c]}: {r}" for c, r in skipped)
                message = message[0].upper() + message[1:] + "."
            return {"ok": True, "message": message, **facts}
        skipped.append((cell, reason))
    return {"ok": False, "error": f"Cannot change ({row}, {col}): {skipped[0][1]}."}


def fresh(kind: str, seed: int | None = None) -> dict:
    """A maze to start from: "training", "protrusion" (a one-block jag, a reachable human),
    or a failure maze ("bad0", "bad1", "bad2"). `seed` makes a fresh one repeatable."""
    rng = random.Random(seed)
    if kind == "training":
        maze = generate_training_maze(rng)
    elif kind == "protrusion":
        maze = generate_protrusion_maze(rng, require_reachable_human=True)
    elif kind in FAILURE_MAZES:
        maze = failure_maze(kind)
    else:
        raise ValueError(f"unknown maze kind {kind!r}")
    return {"ok": True, "seed": seed, **describe(maze)}
