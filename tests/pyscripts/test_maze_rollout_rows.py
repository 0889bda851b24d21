"""The rollout's board rows (set cell by cell, for speed in Pyodide) are `encode`'s input."""

from array import array

from saferlhub.maze import evaluation
from saferlhub.maze.encoding import encode
from saferlhub.maze.generators import DISTRIBUTIONS, FAILURE_MAZES, failure_maze, maze_set
from saferlhub.maze.grid import ALL_CELLS, START


def test_board_rows_are_the_encoding_with_the_agent_plane_empty():
    boards = [failure_maze(name) for name in FAILURE_MAZES]
    boards += [m for d in DISTRIBUTIONS for m in maze_set(d, 10, seed=5, split="eval")]
    for board in boards:
        for position in (START, ALL_CELLS[-2]):
            expected = array("f", encode(board, position))
            row = evaluation._board_row(board)
            row[evaluation._AGENT_INDEX[position]] = 1.0
            assert row == expected
