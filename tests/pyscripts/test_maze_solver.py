"""The exact solver: the research notes' numbers, Bellman consistency, every training maze."""

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from saferlhub.maze.encoding import encode
from saferlhub.maze.env import (
    DEFAULT_MAX_STEPS,
    FLIPPED_REWARDS,
    ORIGINAL_REWARDS,
    Rewards,
    transition,
)
from saferlhub.maze.generators import (
    all_training_mazes,
    failure_maze,
    generate_protrusion_maze,
    generate_training_maze,
)
from saferlhub.maze.grid import ARROWS, Action, Cell, parse_maze
from saferlhub.maze.solver import (
    MAX_ITEMS,
    TooManyItems,
    optimal_policy_map,
    optimal_q_function,
    optimal_return,
    solve,
)
from saferlhub.maze.structure import human_reachable

CORRIDOR = parse_maze(
    """
    .......
    ######.
    .......
    .######
    .......
    ######.
    ......F
    """
)


def moves(actions):
    return "".join(ARROWS[a] for a in actions)


def test_bad2_best_route_through_the_human_versus_straight_to_the_exit():
    # Research notes: -8.75 through the human vs +6.25 straight to the exit (undiscounted).
    maze = failure_maze("bad2")
    assert optimal_return(maze) == 6.25
    assert optimal_return(maze, must_harvest_human=True) == -8.75
    actions, total = solve(maze).route()
    assert (moves(actions), total) == ("vvvvvv>>>>^^>>vv", 6.25)
    detour, through_human = solve(maze, must_harvest_human=True).route()
    assert through_human == -8.75 and len(detour) == 42  # it takes the crop on the way too


def test_bad0_and_bad1():
    bad0, bad1 = failure_maze("bad0"), failure_maze("bad1")
    assert optimal_return(bad0) == 6.25
    assert optimal_return(bad0, must_harvest_human=True) == -math.inf  # behind the finish
    assert optimal_return(bad1) == 5.75
    assert optimal_return(bad1, must_harvest_human=True) == -6.0


def test_a_corridor_by_hand():
    # 24 moves: 23 empty cells then the finish.
    assert optimal_return(CORRIDOR) == 10 - 23 * 0.25
    discounted = sum(-0.25 * 0.9**t for t in range(23)) + 10 * 0.9**23
    assert optimal_return(CORRIDOR, gamma=0.9) == pytest.approx(discounted, abs=1e-9)


def assert_bellman_consistent(maze, gamma, rewards=ORIGINAL_REWARDS):
    solution = solve(maze, gamma=gamma, rewards=rewards)
    boards = [maze] + [maze.harvest(p) for p in sorted(maze.items)]
    for board in boards:
        for pos in board.open_cells:
            if pos == maze.finish:
                continue
            expected = []
            for action in Action:
                step = transition(board, pos, action, rewards)
                after = 0.0 if step.terminated else solution.value(step.position, step.maze)
                expected.append(step.reward + gamma * after)
            assert solution.q_values(pos, board) == pytest.approx(expected, abs=1e-9), pos
            assert solution.value(pos, board) == pytest.approx(max(expected), abs=1e-9), pos


@settings(max_examples=20, derandomize=True, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), protrusion=st.booleans())
def test_values_satisfy_the_bellman_equation_under_the_real_rules(seed, protrusion):
    rng = random.Random(seed)
    maze = generate_protrusion_maze(rng) if protrusion else generate_training_maze(rng)
    assert_bellman_consistent(maze, 1.0)
    assert_bellman_consistent(maze, 0.95)


@pytest.mark.parametrize("name", ["bad0", "bad1", "bad2"])
def test_failure_mazes_are_bellman_consistent_with_flipped_rewards_too(name):
    assert_bellman_consistent(failure_maze(name), 1.0)
    assert_bellman_consistent(failure_maze(name), 1.0, FLIPPED_REWARDS)


def test_every_training_maze_straight_to_the_exit_beats_any_human():
    # Over all 1,336 training mazes: optimal routes fit the step limit with room to
    # spare (the longest is 36 moves, crop detours included), and wherever a human
    # is reachable, the best route through one is at least 11.75 worse.
    longest, smallest_gap = 0, math.inf
    for maze, _ in all_training_mazes():
        actions, total = solve(maze).route()
        longest = max(longest, len(actions))
        if human_reachable(maze):
            through = optimal_return(maze, must_harvest_human=True)
            smallest_gap = min(smallest_gap, total - through)
    assert longest == 36 < DEFAULT_MAX_STEPS
    assert smallest_gap == 11.75


def test_optimal_q_function_and_policy_map():
    maze = failure_maze("bad0")
    q = optimal_q_function()
    assert q(encode(maze, (0, 0))) == solve(maze).q_values((0, 0))
    policy = optimal_policy_map(maze)
    assert policy[(0, 0)] is Action.RIGHT
    assert (6, 0) not in policy and (6, 6) not in policy  # item cells and the finish
    # Behind the finish the optimal move is back to the finish, away from the human.
    assert policy[(5, 0)] is Action.UP
    seeker = optimal_q_function(rewards=FLIPPED_REWARDS)
    assert Action(max(range(4), key=seeker(encode(maze, (5, 0))).__getitem__)) is Action.DOWN


@pytest.mark.parametrize(
    "kwargs", [{"gamma": 0.0}, {"gamma": 1.5}, {"rewards": Rewards(empty=0.5)}]
)
def test_bad_solver_settings(kwargs):
    with pytest.raises(ValueError):
        solve(CORRIDOR, **kwargs)


def test_boards_must_come_from_the_solved_maze():
    solution = solve(failure_maze("bad2"))
    with pytest.raises(ValueError):
        solution.value((0, 0), failure_maze("bad1"))


def open_board_with_items(count, symbol="C"):
    """An open 7x7 board with `count` items on a checkerboard: every set of them can be left."""
    rows = [["."] * 7 for _ in range(7)]
    rows[6][6] = "F"
    cells = [(r, c) for r in range(7) for c in range(7) if (r + c) % 2 == 1]
    for r, c in cells[:count]:
        rows[r][c] = symbol
    return parse_maze("\n".join("".join(row) for row in rows))


def test_the_largest_maze_solved_needs_every_set_of_its_items():
    # The worst case for MAX_ITEMS items: all on one open board, where every set of them
    # can be left, so the solver solves 2**MAX_ITEMS layers (the bound's reason).
    maze = open_board_with_items(MAX_ITEMS)
    solution = solve(maze)
    actions, total = solution.route()
    assert len(solution._layers) == 2**MAX_ITEMS
    board, position, crops = maze, (0, 0), 0
    for action in actions:
        step = transition(board, position, action)
        board, position, crops = step.maze, step.position, crops + (step.entered is Cell.CROP)
    # Every crop (+2 each), 16 empty steps (-0.25 each) and the finish (+10).
    assert crops == MAX_ITEMS
    assert total == solution.value() == 13 * 2 - 16 * 0.25 + 10


@pytest.mark.parametrize("symbol", ["C", "H"])
def test_the_worst_legal_maze_is_refused_at_once_with_a_message(symbol):
    # 47 items: every cell but the start and the finish (2**47 sets).
    maze = parse_maze("\n".join(["." + symbol * 6] + [symbol * 7] * 5 + [symbol * 6 + "F"]))
    with pytest.raises(TooManyItems) as refused:
        solve(maze)
    assert str(refused.value) == (
        "too many items for the exact solver: this maze has 47 crops and humans, and the "
        "solver works through every set of them that could still be on the board "
        "(140,737,488,355,328 sets); it takes at most 13 (8,192 sets) where the open cells "
        "have a loop: remove some items, or close the loops (a maze without loops, like every "
        "training maze, may have any number)"
    )


def test_items_that_cannot_be_taken_do_not_count():
    # A crop whose only open neighbour is the finish can never be taken.
    walled = parse_maze(
        """
        .......
        .......
        .......
        .......
        ......#
        .....#C
        ......F
        """
    )
    assert solve(walled, max_items=0).value() == 10 - 11 * 0.25
    with pytest.raises(TooManyItems):
        solve(open_board_with_items(2), max_items=1)


def filled_tree_maze(seed):
    """A training maze (no loops) with a crop or a human on every free open cell."""
    rng = random.Random(seed)
    maze = generate_training_maze(rng)
    free = [p for p in maze.open_cells if p not in ((0, 0), maze.finish)]
    crops = {p for p in free if rng.random() < 0.7}
    return maze.with_items(crops, set(free) - crops)


def test_a_maze_without_loops_takes_any_number_of_items():
    maze = filled_tree_maze(4)
    assert len(maze.items) > 25
    solution = solve(maze)
    assert solution._tree is not None  # one pass over the tree per layer, no bound
    actions, total = solution.route()
    assert total == solution.value() > -math.inf
    assert_bellman_consistent(maze, 1.0)
    assert_bellman_consistent(maze, 1.0, FLIPPED_REWARDS)


@settings(max_examples=25, derandomize=True, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), share=st.floats(0.1, 0.6))
def test_the_tree_pass_gives_the_layers_values_to_the_bit(seed, share):
    # Thinned to at most 9 items so that the layers' search (the reference) stays quick.
    rng = random.Random(seed)
    full = filled_tree_maze(seed)
    kept = sorted(p for p in full.items if rng.random() < share)[:9]
    maze = full.with_items(full.crops & set(kept), full.humans & set(kept))
    for rewards in (ORIGINAL_REWARDS, FLIPPED_REWARDS):
        tree, layers = solve(maze, rewards=rewards), solve(maze, rewards=rewards)
        assert tree._tree is not None
        layers._tree = None  # the search every maze with loops gets
        for board in [maze] + [maze.harvest(p) for p in sorted(maze.items)]:
            for pos in board.open_cells:
                if pos != maze.finish:
                    assert repr(tree.q_values(pos, board)) == repr(layers.q_values(pos, board))
