"""The grid layer of the reward-hacking levels: actions, ASCII levels, moves.

A level is ASCII art, one character per cell, as in DeepMind's AI Safety
Gridworlds (Leike et al. 2017). `#` is a wall and `A` the agent's start; each
level adds its own symbols (arrows, tomatoes, a goal). A level must be a
rectangle whose edge is all wall (or a level's decoration, such as the
supervisor's `S`), with exactly one `A`: then every move stays on the grid, and
moving into a wall leaves the agent where it was (the move still costs its step).

References:
    J. Leike et al., "AI Safety Gridworlds", 2017, arXiv:1711.09883;
    code: https://github.com/google-deepmind/ai-safety-gridworlds
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

Pos = tuple[int, int]

WALL = "#"
AGENT = "A"
EMPTY = " "

# The largest level a reader may draw: the exact solver and the page's boards stay
# fast (well under a second) and fit a phone's width up to this size.
MAX_ROWS = 10
MAX_COLUMNS = 14


class Action(IntEnum):
    """The four moves, numbered as in the AI Safety Gridworlds (`safety_game.Actions`)."""

    UP = 0
    DOWN = 1
    LEFT = 2
    RIGHT = 3


# (row, col) offset of each action, indexed by the action.
MOVES: tuple[Pos, ...] = ((-1, 0), (1, 0), (0, -1), (0, 1))
# Action strings for replays and tests: "rrddlluu" is right, right, down, down, ...
ACTION_LETTERS = "udlr"
ARROWS = "^v<>"


class LevelError(ValueError):
    """ASCII art that breaks a level's rules; the message says which rule, and where."""


@dataclass(frozen=True)
class Level:
    """A parsed level: its rows, the start, and every cell's symbol (the agent's start is EMPTY)."""

    rows: tuple[str, ...]
    start: Pos
    open_cells: tuple[Pos, ...]  # every cell the agent can stand on, row-major
    blocking: str = WALL  # symbols no one can enter

    @property
    def height(self) -> int:
        return len(self.rows)

    @property
    def width(self) -> int:
        return len(self.rows[0])

    def symbol(self, pos: Pos) -> str:
        """The cell's symbol in the level as drawn, with the agent's start shown as EMPTY."""
        return EMPTY if pos == self.start else self.rows[pos[0]][pos[1]]

    def cells(self, symbols: str) -> tuple[Pos, ...]:
        """The cells drawn with any of `symbols`, row-major."""
        return tuple(
            (r, c)
            for r, row in enumerate(self.rows)
            for c, ch in enumerate(row)
            if ch in symbols and (r, c) != self.start
        )

    def index(self, pos: Pos) -> int:
        """The position's number among open_cells (0, 1, ... row-major)."""
        return self._index[pos]

    def next_index(self, index: int, action: int) -> int:
        """`move` on position numbers: the number of the cell the action leads to."""
        return self._next[index][action]

    def __post_init__(self):
        index = {p: i for i, p in enumerate(self.open_cells)}
        object.__setattr__(self, "_index", index)
        # Looked up, not recomputed: learners ask this at every step.
        nexts = tuple(tuple(index[move(self, p, a)] for a in Action) for p in self.open_cells)
        object.__setattr__(self, "_next", nexts)


def parse_level(art: str | list[str] | tuple[str, ...], symbols: str, blocking: str = "") -> Level:
    """A Level from ASCII art, or LevelError saying which rule it breaks.

    Args:
        art: the rows, as a list or as one string with a row per line.
        symbols: the level's own cell symbols (besides wall, empty and A).
        blocking: symbols the agent cannot enter, like walls (decorations such as S).
    """
    rows = art.split("\n") if isinstance(art, str) else list(art)
    rows = [row.rstrip("\r") for row in rows]
    while rows and not rows[-1].strip():
        rows.pop()
    while rows and not rows[0].strip():
        rows.pop(0)
    if not rows:
        raise LevelError("The level is empty: draw at least a 3 x 3 grid.")
    width = len(rows[0])
    if len(rows) > MAX_ROWS or max(len(row) for row in rows) > MAX_COLUMNS:
        raise LevelError(
            f"The level is {len(rows)} rows by {max(len(row) for row in rows)} columns; "
            f"the largest allowed is {MAX_ROWS} rows by {MAX_COLUMNS} columns "
            "(so the exact solver and training stay fast)."
        )
    allowed = WALL + EMPTY + AGENT + symbols + blocking
    walls = WALL + blocking
    for r, row in enumerate(rows):
        if len(row) != width:
            raise LevelError(
                f"Row {r + 1} has {len(row)} characters and row 1 has {width}: "
                "every row must be as wide as the first."
            )
        for c, ch in enumerate(row):
            if ch not in allowed:
                known = ", ".join(repr(s) for s in allowed)
                raise LevelError(f"Row {r + 1}, column {c + 1}: {ch!r} is not one of {known}.")
            edge = r in (0, len(rows) - 1) or c in (0, width - 1)
            if edge and ch not in walls:
                raise LevelError(
                    f"Row {r + 1}, column {c + 1}: the edge of the level must be wall ('#')."
                )
    starts = [(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == AGENT]
    if len(starts) != 1:
        raise LevelError(f"The level needs exactly one agent 'A'; it has {len(starts)}.")
    open_cells = tuple(
        (r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch not in walls
    )
    return Level(rows=tuple(rows), start=starts[0], open_cells=open_cells, blocking=walls)


def move(level: Level, pos: Pos, action: int) -> Pos:
    """Where the agent ends up: one cell on, or where it was if that cell blocks."""
    d_row, d_col = MOVES[action]
    target = (pos[0] + d_row, pos[1] + d_col)
    if level.rows[target[0]][target[1]] in level.blocking:
        return pos
    return target


def actions_from_string(text: str) -> list[Action]:
    """ "rrddlluu" -> [RIGHT, RIGHT, DOWN, ...]; letters u, d, l, r (case ignored)."""
    actions = []
    for i, ch in enumerate(text.lower()):
        if ch not in ACTION_LETTERS:
            raise ValueError(f"action {i + 1} is {ch!r}; use u, d, l or r")
        actions.append(Action(ACTION_LETTERS.index(ch)))
    return actions
