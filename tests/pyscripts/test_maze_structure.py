"""Structural helpers, above all the single-block protrusion detector."""

import pytest

from saferlhub.maze.grid import parse_maze
from saferlhub.maze.structure import (
    dead_ends,
    distances,
    has_open_square,
    has_single_block_protrusion,
    human_reachable,
    is_tree,
    items_behind_finish,
    single_block_protrusions,
    wall_degree,
)


def board(*rows: str):
    return parse_maze("\n".join(rows))


@pytest.mark.parametrize(
    "rows, expected",
    [
        # A one-cell spur off a wall body (its anchor has 3 wall sides): a protrusion.
        ((".......", ".......", ".#####.", "...#...", ".......", ".......", "......F"), [(3, 3)]),
        # A T of one-cell arms: each arm sticks out by one block.
        (
            (".......", ".......", "..###..", "...#...", ".......", ".......", "......F"),
            [(2, 2), (2, 4), (3, 3)],
        ),
        # A one-cell stub on the border: a protrusion.
        (("...#...", ".......", ".......", ".......", ".......", ".......", "......F"), [(0, 3)]),
        # A two-cell arm (the only kind training mazes make): not one.
        ((".......", ".#####.", "...#...", "...#...", ".......", ".......", "......F"), []),
        # A straight wall ending one block past a bend (a hook): not one.
        ((".......", ".###...", "...#...", ".......", ".......", ".......", "......F"), []),
        # An isolated block sticks out of nothing: not one.
        ((".......", ".......", ".......", "...#...", ".......", ".......", "......F"), []),
        # A two-cell stub from the border: not one.
        (("...#...", "...#...", ".......", ".......", ".......", ".......", "......F"), []),
    ],
)
def test_single_block_protrusion_cases(rows, expected):
    maze = board(*rows)
    assert single_block_protrusions(maze) == expected
    assert has_single_block_protrusion(maze) == bool(expected)


def test_the_border_counts_as_wall():
    maze = board("...#...", *(["......."] * 5), "......F")
    assert wall_degree(maze, (0, 3)) == 1
    assert wall_degree(maze, (0, 0)) == 2


def test_dead_ends_trees_and_squares():
    maze = board(".#.....", ".#.###.", ".#...#.", ".###.#.", ".....#.", "####.#.", "......F")
    assert dead_ends(maze) == [(0, 0), (6, 0)]
    assert not is_tree(maze) and not has_open_square(maze)  # a loop needs no open square
    assert is_tree(maze.with_walls(maze.walls | {(2, 3)}))
    open_square = board(*(["......."] * 6), "......F")
    assert has_open_square(open_square) and not is_tree(open_square)


def test_human_behind_the_finish_is_unreachable():
    maze = board(".......", "######.", ".......", ".######", ".......", "######.", "H.....F")
    assert not human_reachable(maze)
    assert items_behind_finish(maze) == {(6, 0)}
    assert distances(maze, (0, 0))[(6, 6)] == 24
    assert (6, 0) not in distances(maze, (0, 0))
    assert distances(maze, (0, 0), through_finish=True)[(6, 0)] == 30
