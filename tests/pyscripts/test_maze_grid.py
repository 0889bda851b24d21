"""The maze's grid layer: lookup tables, the Maze value, ASCII parsing and rendering."""

import pytest

from saferlhub.maze.grid import (
    ARROWS,
    FINISH,
    MOVES,
    START,
    Action,
    Cell,
    Maze,
    action_between,
    neighbours,
    parse_maze,
    reachable_cells,
    render_maze,
    step_position,
)

SMALL = """
    ..C#...
    .#.#.#.
    .#...#.
    .####H.
    .......
    ######.
    ......F
"""


def test_actions_are_up_down_left_right_in_the_original_order():
    assert [a.name for a in Action] == ["UP", "DOWN", "LEFT", "RIGHT"]
    assert [int(a) for a in Action] == [0, 1, 2, 3]
    assert MOVES == ((-1, 0), (1, 0), (0, -1), (0, 1))
    assert ARROWS == "^v<>"


def test_moves_and_neighbours():
    assert step_position((3, 3), Action.UP) == (2, 3)
    assert step_position((0, 0), Action.LEFT) == (0, -1)  # off the grid: the rules decide
    assert neighbours((0, 0)) == ((1, 0), (0, 1))
    assert neighbours((3, 3)) == ((2, 3), (4, 3), (3, 2), (3, 4))
    assert action_between((3, 3), (3, 4)) is Action.RIGHT
    with pytest.raises(ValueError):
        action_between((3, 3), (5, 3))


def test_parse_and_render_round_trip():
    maze = parse_maze(SMALL)
    assert maze.crops == {(0, 2)} and maze.humans == {(3, 5)} and maze.finish == FINISH
    assert maze.cell(START) is Cell.EMPTY
    assert maze.cell((0, 3)) is Cell.WALL and maze.cell((-1, 0)) is Cell.WALL
    assert maze.cell(FINISH) is Cell.FINISH
    text = render_maze(maze)
    assert text.splitlines()[0] == "..C#..."
    assert parse_maze(text) == maze
    assert str(maze) == text
    assert render_maze(maze, agent=(2, 2)).splitlines()[2] == ".#A..#."


def test_harvesting_returns_a_new_board_sharing_the_layout():
    maze = parse_maze(SMALL)
    after = maze.harvest((0, 2))
    assert after.crops == frozenset() and maze.crops == {(0, 2)}
    assert after.walls is maze.walls
    assert maze.harvest((4, 4)) is maze  # nothing there


@pytest.mark.parametrize(
    "text, message",
    [
        ("\n".join(["......."] * 6), "expected 7 rows, got 6"),
        (SMALL.replace("..C#...", "..C#.."), "row 0 has 6 cells"),
        (SMALL.replace(".####H.", ".###xH."), "unknown symbol 'x' at row 3, column 4"),
        (SMALL.replace("......F", "......."), "no finish"),
        (SMALL.replace("..C#...", "..C#..F"), "more than one finish"),
        (SMALL.replace("..C#...", "#.C#..."), "start cell (row 0, column 0) must be '.'"),
        (SMALL.replace("..C#...", "C.C#..."), "start cell (row 0, column 0) must be '.'"),
        (SMALL.replace("......F", ".....#F").replace("######.", "#######"), "no path"),
    ],
)
def test_bad_ascii_is_refused_with_a_helpful_message(text, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_maze(text)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"walls": frozenset({(0, 0)})},
        {"walls": frozenset({(6, 6)})},
        {"walls": frozenset({(7, 0)})},
        {"walls": frozenset({(1, 1)}), "crops": frozenset({(1, 1)})},
        {"walls": frozenset(), "crops": frozenset({(2, 2)}), "humans": frozenset({(2, 2)})},
        {"walls": frozenset(), "humans": frozenset({FINISH})},
        {"walls": frozenset(), "finish": START},
    ],
)
def test_inconsistent_boards_are_refused(kwargs):
    with pytest.raises(ValueError):
        Maze(**kwargs)


def test_the_finish_is_reached_but_not_walked_through():
    maze = parse_maze(
        """
        .......
        ######.
        .......
        .######
        .......
        ######.
        C.....F
        """
    )
    reach = reachable_cells(maze)
    assert FINISH in reach and (6, 5) not in reach and (6, 0) not in reach
    assert (6, 0) in reachable_cells(maze, through_finish=True)
