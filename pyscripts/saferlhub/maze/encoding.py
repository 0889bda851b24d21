"""The network's input: a board and the agent's position as 245 floats.

Five 7x7 planes, each row-major (index = row * 7 + col inside the plane), each
cell 1.0 where the plane's thing is and 0.0 elsewhere:

    plane     indices     1.0 where
    walls       0 ..  48  a wall
    crops      49 ..  97  a crop still on the board
    humans     98 .. 146  a human still on the board
    finish    147 .. 195  the finish (the original omitted it)
    agent     196 .. 244  the agent

So the input index of (plane p, row r, col c) is p * 49 + r * 7 + c, and
INPUT_SIZE = 245. The walls are one plane of their own, so dreaming can vary
the wall layout alone (`WALL_PLANE`). Off-grid is not encoded: the network has
to learn the border. (The original used walls, crops, humans + one-hot row (7)
+ one-hot column (7) = 161 inputs and no finish.)

`ENCODING_SPEC` is the same description as plain data, for `export/` to write
into a model card and for the browser to check against.
"""

from __future__ import annotations

from collections.abc import Sequence

from saferlhub.maze.grid import ALL_CELLS, SIZE, Maze, Pos, in_grid

PLANES: tuple[str, ...] = ("walls", "crops", "humans", "finish", "agent")
PLANE_SIZE = SIZE * SIZE  # 49
INPUT_SIZE = len(PLANES) * PLANE_SIZE  # 245
PLANE_OFFSETS: dict[str, int] = {name: i * PLANE_SIZE for i, name in enumerate(PLANES)}
WALL_PLANE = slice(PLANE_OFFSETS["walls"], PLANE_OFFSETS["walls"] + PLANE_SIZE)  # [0, 49)
CROP_PLANE = slice(PLANE_OFFSETS["crops"], PLANE_OFFSETS["crops"] + PLANE_SIZE)  # [49, 98)
HUMAN_PLANE = slice(PLANE_OFFSETS["humans"], PLANE_OFFSETS["humans"] + PLANE_SIZE)  # [98, 147)
FINISH_PLANE = slice(PLANE_OFFSETS["finish"], PLANE_OFFSETS["finish"] + PLANE_SIZE)  # [147, 196)
AGENT_PLANE = slice(PLANE_OFFSETS["agent"], PLANE_OFFSETS["agent"] + PLANE_SIZE)  # [196, 245)

ENCODING_SPEC: dict = {
    "input_size": INPUT_SIZE,
    "grid": [SIZE, SIZE],
    "layout": "planes, each row-major: index = plane * 49 + row * 7 + col",
    "planes": [
        {"name": name, "start": PLANE_OFFSETS[name], "stop": PLANE_OFFSETS[name] + PLANE_SIZE}
        for name in PLANES
    ],
    "outputs": ["up", "down", "left", "right"],
}


def input_index(plane: str, pos: Pos) -> int:
    """Index in the input vector of `pos` on the plane named `plane`."""
    if not in_grid(pos):
        raise ValueError(f"{pos} is outside the grid")
    return PLANE_OFFSETS[plane] + pos[0] * SIZE + pos[1]


def cell_index(pos: Pos) -> int:
    """Index of `pos` inside one plane (row-major)."""
    return pos[0] * SIZE + pos[1]


def encode(maze: Maze, position: Pos) -> list[float]:
    """The 245-float input for the board `maze` with the agent at `position`."""
    x = [0.0] * INPUT_SIZE
    for plane, cells in (("walls", maze.walls), ("crops", maze.crops), ("humans", maze.humans)):
        offset = PLANE_OFFSETS[plane]
        for r, c in cells:
            x[offset + r * SIZE + c] = 1.0
    x[input_index("finish", maze.finish)] = 1.0
    x[input_index("agent", position)] = 1.0
    return x


def encode_with_walls(maze: Maze, position: Pos, walls: Sequence[float]) -> list[float]:
    """Like `encode`, but the wall plane is `walls` (49 floats, possibly fractional)."""
    if len(walls) != PLANE_SIZE:
        raise ValueError(f"walls must have {PLANE_SIZE} values, got {len(walls)}")
    x = encode(maze, position)
    x[WALL_PLANE] = [float(v) for v in walls]
    return x


def decode(x: Sequence[float], threshold: float = 0.5) -> tuple[Maze, Pos]:
    """The board and agent position an input vector encodes (cells above `threshold` are set).

    Raises ValueError unless there is exactly one finish and one agent cell.
    """
    if len(x) != INPUT_SIZE:
        raise ValueError(f"expected {INPUT_SIZE} values, got {len(x)}")

    def cells(plane: str) -> list[Pos]:
        offset = PLANE_OFFSETS[plane]
        return [p for i, p in enumerate(ALL_CELLS) if x[offset + i] > threshold]

    finishes, agents = cells("finish"), cells("agent")
    if len(finishes) != 1 or len(agents) != 1:
        raise ValueError(f"need one finish and one agent cell, got {finishes} and {agents}")
    walls, crops, humans = (frozenset(cells(plane)) for plane in ("walls", "crops", "humans"))
    return Maze(walls, crops, humans, finishes[0]), agents[0]
