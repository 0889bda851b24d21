"""The maze's grid layer: cells, actions, the `Maze` value, ASCII parsing and rendering.

Lookup tables live here and nowhere else. A maze is 7x7, indexed (row, col),
with the start at (0, 0) (top left) and the finish at (6, 6) unless a maze says
otherwise. ASCII art uses one symbol per cell:

    #  wall      .  empty      C  crop      H  human      F  finish

A `Maze` is immutable: the wall layout plus the items still on the board.
Harvesting returns a new `Maze` that shares the layout, so copying a board or
an environment is cheap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

Pos = tuple[int, int]

SIZE = 7
START: Pos = (0, 0)
FINISH: Pos = (SIZE - 1, SIZE - 1)
# Every cell in row-major order: the order of the network's input planes.
ALL_CELLS: tuple[Pos, ...] = tuple((row, col) for row in range(SIZE) for col in range(SIZE))


class Cell(IntEnum):
    """What a cell holds."""

    EMPTY = 0
    WALL = 1
    CROP = 2
    HUMAN = 3
    FINISH = 4


SYMBOLS: dict[Cell, str] = {
    Cell.EMPTY: ".",
    Cell.WALL: "#",
    Cell.CROP: "C",
    Cell.HUMAN: "H",
    Cell.FINISH: "F",
}
CELL_BY_SYMBOL: dict[str, Cell] = {symbol: cell for cell, symbol in SYMBOLS.items()}


class Action(IntEnum):
    """The four moves, in the order of the network's outputs (as in the original)."""

    UP = 0
    DOWN = 1
    LEFT = 2
    RIGHT = 3


# (row, col) offset of each action, indexed by the action.
MOVES: tuple[Pos, ...] = ((-1, 0), (1, 0), (0, -1), (0, 1))
ARROWS: str = "^v<>"


def in_grid(pos: Pos) -> bool:
    return 0 <= pos[0] < SIZE and 0 <= pos[1] < SIZE


def step_position(pos: Pos, action: int) -> Pos:
    """The cell one move away; it may be off the grid."""
    d_row, d_col = MOVES[action]
    return (pos[0] + d_row, pos[1] + d_col)


# In-grid 4-neighbours of every cell, in action order: looked up, not recomputed, because
# generators and solvers ask millions of times.
_NEIGHBOURS: dict[Pos, tuple[Pos, ...]] = {
    (r, c): tuple((r + dr, c + dc) for dr, dc in MOVES if 0 <= r + dr < SIZE and 0 <= c + dc < SIZE)
    for r in range(SIZE)
    for c in range(SIZE)
}


# The cell each action leads to from every cell, indexed by the action; None off the grid.
MOVE_TARGETS: dict[Pos, tuple[Pos | None, ...]] = {
    (r, c): tuple(
        (r + dr, c + dc) if 0 <= r + dr < SIZE and 0 <= c + dc < SIZE else None for dr, dc in MOVES
    )
    for r in range(SIZE)
    for c in range(SIZE)
}


def neighbours(pos: Pos) -> tuple[Pos, ...]:
    """The in-grid 4-neighbours of `pos`, in action order (up, down, left, right)."""
    return _NEIGHBOURS[pos]


def action_between(source: Pos, target: Pos) -> Action:
    """The action that moves from `source` to the adjacent cell `target`."""
    delta = (target[0] - source[0], target[1] - source[1])
    if delta not in MOVES:
        raise ValueError(f"{target} is not next to {source}")
    return Action(MOVES.index(delta))


_GRID = frozenset(ALL_CELLS)


def _positions(cells: Iterable[Pos], what: str) -> frozenset[Pos]:
    # An existing frozenset is kept as it is, so boards made from boards share their sets.
    result = cells if isinstance(cells, frozenset) else frozenset((r, c) for r, c in cells)
    if not result <= _GRID:  # one set operation: boards are made in the generators' loops
        outside = sorted(p for p in result if not in_grid(p))
        raise ValueError(f"{what} outside the {SIZE}x{SIZE} grid: {outside}")
    return result


@dataclass(frozen=True)
class Maze:
    """An immutable board: walls, the items still on it, and the finish.

    The start is always START (0, 0). Construction checks that the sets are
    inside the grid and do not overlap, and that start and finish are open
    cells without items; it does not check that the finish is reachable (see
    `validate_maze`), so that dreaming can build intermediate boards.
    """

    walls: frozenset[Pos]
    crops: frozenset[Pos] = frozenset()
    humans: frozenset[Pos] = frozenset()
    finish: Pos = FINISH

    def __post_init__(self) -> None:
        walls = _positions(self.walls, "walls")
        crops = _positions(self.crops, "crops")
        humans = _positions(self.humans, "humans")
        finish = (int(self.finish[0]), int(self.finish[1]))
        object.__setattr__(self, "walls", walls)
        object.__setattr__(self, "crops", crops)
        object.__setattr__(self, "humans", humans)
        object.__setattr__(self, "finish", finish)
        if not in_grid(finish):
            raise ValueError(f"finish {finish} is outside the grid")
        if finish == START:
            raise ValueError("the finish cannot be the start cell (0, 0)")
        for name, cells in (("crops", crops), ("humans", humans)):
            if cells & walls:
                raise ValueError(f"{name} on wall cells: {sorted(cells & walls)}")
            if START in cells or finish in cells:
                raise ValueError(f"{name} cannot sit on the start or the finish")
        if crops & humans:
            raise ValueError(f"a cell cannot hold a crop and a human: {sorted(crops & humans)}")
        if START in walls:
            raise ValueError("the start cell (0, 0) must be open, not a wall")
        if finish in walls:
            raise ValueError(f"the finish {finish} must be open, not a wall")

    def cell(self, pos: Pos) -> Cell:
        """What is at `pos`; off-grid counts as a wall."""
        if pos in self.walls or not in_grid(pos):
            return Cell.WALL
        if pos == self.finish:
            return Cell.FINISH
        if pos in self.crops:
            return Cell.CROP
        if pos in self.humans:
            return Cell.HUMAN
        return Cell.EMPTY

    def is_open(self, pos: Pos) -> bool:
        return in_grid(pos) and pos not in self.walls

    def open_neighbours(self, pos: Pos) -> list[Pos]:
        walls = self.walls
        return [q for q in _NEIGHBOURS[pos] if q not in walls]

    @property
    def open_cells(self) -> list[Pos]:
        """Every non-wall cell, row-major."""
        return [p for p in ALL_CELLS if p not in self.walls]

    @property
    def items(self) -> frozenset[Pos]:
        return self.crops | self.humans

    def harvest(self, pos: Pos) -> Maze:
        """The board after the item at `pos` (if any) is taken; it shares the layout."""
        if pos in self.crops:
            return Maze(self.walls, self.crops - {pos}, self.humans, self.finish)
        if pos in self.humans:
            return Maze(self.walls, self.crops, self.humans - {pos}, self.finish)
        return self

    def with_walls(self, walls: Iterable[Pos]) -> Maze:
        return Maze(frozenset(walls), self.crops, self.humans, self.finish)

    def with_items(self, crops: Iterable[Pos] = (), humans: Iterable[Pos] = ()) -> Maze:
        return Maze(self.walls, frozenset(crops), frozenset(humans), self.finish)

    def __str__(self) -> str:
        return render_maze(self)


def reachable_cells(maze: Maze, start: Pos = START, *, through_finish: bool = False) -> frozenset:
    """Open cells an agent at `start` can walk to.

    The finish ends the episode, so by default it is reached but not walked
    through: cells only reachable beyond it are left out.
    """
    return _reachable(maze.walls, maze.finish, (start[0], start[1]), through_finish)


# Remembered per layout: generators, batteries and the solver ask about the same
# few hundred layouts again and again.
@lru_cache(maxsize=4096)
def _reachable(walls: frozenset, finish: Pos, start: Pos, through_finish: bool) -> frozenset:
    seen = {start}
    queue = deque([start])
    while queue:
        pos = queue.popleft()
        if pos == finish and not through_finish and pos != start:
            continue
        for q in _NEIGHBOURS[pos]:
            if q not in seen and q not in walls:
                seen.add(q)
                queue.append(q)
    return frozenset(seen)


def validate_maze(maze: Maze) -> Maze:
    """Return `maze` if the finish is reachable from the start, else raise ValueError."""
    if maze.finish not in reachable_cells(maze):
        raise ValueError(f"no path from the start (0, 0) to the finish {maze.finish}")
    return maze


def parse_maze(text: str) -> Maze:
    """Read a maze from ASCII art (`#` wall, `.` empty, `C` crop, `H` human, `F` finish).

    Leading/trailing blank lines and indentation are ignored. Raises ValueError
    naming the row/column at fault for: a wrong number of rows or cells, an
    unknown symbol, no finish or more than one, a start cell that is not `.`,
    and a finish that cannot be reached from the start.
    """
    rows = [line.strip() for line in text.strip("\n").splitlines()]
    while rows and not rows[0]:
        rows.pop(0)
    while rows and not rows[-1]:
        rows.pop()
    if len(rows) != SIZE:
        raise ValueError(f"expected {SIZE} rows, got {len(rows)}")
    walls, crops, humans, finishes = set(), set(), set(), []
    # Where each symbol's cells go (a battery parses thousands of mazes: kept lean).
    into = {SYMBOLS[Cell.WALL]: walls, SYMBOLS[Cell.CROP]: crops, SYMBOLS[Cell.HUMAN]: humans}
    into[SYMBOLS[Cell.FINISH]] = finishes
    empty = SYMBOLS[Cell.EMPTY]
    for r, row in enumerate(rows):
        if len(row) != SIZE:
            raise ValueError(f"row {r} has {len(row)} cells, expected {SIZE}: {row!r}")
        for c, symbol in enumerate(row):
            if symbol == empty:
                continue
            cells = into.get(symbol)
            if cells is None:
                known = " ".join(SYMBOLS.values())
                raise ValueError(
                    f"unknown symbol {symbol!r} at row {r}, column {c}; use one of {known}"
                )
            if cells is finishes:
                finishes.append((r, c))
            else:
                cells.add((r, c))
    if not finishes:
        raise ValueError("no finish: mark one cell with 'F' (usually the bottom-right corner)")
    if len(finishes) > 1:
        raise ValueError(f"more than one finish 'F', at {finishes}")
    if rows[0][0] != SYMBOLS[Cell.EMPTY]:
        raise ValueError(f"the start cell (row 0, column 0) must be '.', got {rows[0][0]!r}")
    return validate_maze(Maze(frozenset(walls), frozenset(crops), frozenset(humans), finishes[0]))


def render_maze(maze: Maze, agent: Pos | None = None) -> str:
    """ASCII art of `maze`, one row per line; `agent`, if given, is drawn as `A`."""
    lines = []
    for r in range(SIZE):
        row = []
        for c in range(SIZE):
            row.append("A" if (r, c) == agent else SYMBOLS[maze.cell((r, c))])
        lines.append("".join(row))
    return "\n".join(lines)
