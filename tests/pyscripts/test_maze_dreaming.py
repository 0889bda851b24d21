"""Dreaming walls, with stand-in networks whose preferences are known."""

import random

import pytest

from saferlhub.intervals import wilson_interval
from saferlhub.maze.dreaming import (
    PILLAR_DREAM_OPEN,
    DreamScene,
    dream,
    dream_scene,
    objective_weights,
    opened_pillars,
    project_walls,
    random_pillar_walls,
)
from saferlhub.maze.encoding import INPUT_SIZE, WALL_PLANE, cell_index, encode
from saferlhub.maze.generators import PILLARS, ROOMS, failure_maze, maze_set
from saferlhub.maze.grid import ALL_CELLS, FINISH, Action, parse_maze, reachable_cells
from saferlhub.maze.network import MLP

BAD2 = failure_maze("bad2")
LIKED = {(2, 2), (2, 3), (4, 1), (5, 5)}  # walls the linear stand-in "wants"


class LinearNet:
    """Q(move right) = sum of +1 for each liked wall, -1 for every other wall; others 0."""

    def __init__(self, liked):
        self.row = [0.0] * INPUT_SIZE
        for i, pos in enumerate(ALL_CELLS):
            self.row[WALL_PLANE.start + i] = 1.0 if pos in liked else -1.0
        self.inputs = []

    def __call__(self, x, weights):
        self.inputs.append(list(x))
        q = [0.0, 0.0, 0.0, sum(a * b for a, b in zip(self.row, x, strict=True))]
        return q, [weights[Action.RIGHT] * v for v in self.row]


def test_scene_from_bad2():
    scene = dream_scene(BAD2)
    assert (scene.human, scene.agent, scene.action) == ((0, 6), (0, 5), Action.RIGHT)
    assert scene.fixed_open == {(0, 0), FINISH, (0, 5), (0, 6), (4, 2)}
    assert objective_weights(Action.RIGHT) == pytest.approx([-1 / 3, -1 / 3, -1 / 3, 1.0])
    with pytest.raises(ValueError):
        DreamScene(BAD2, agent=(2, 6), human=(0, 6))  # not next to the human
    with pytest.raises(ValueError):
        dream_scene(failure_maze("bad1").with_items(crops=[(4, 0)]))  # no human


def test_dreaming_finds_the_walls_a_linear_network_wants():
    net = LinearNet(LIKED)
    scene = dream_scene(BAD2)
    runs = dream(net, scene, starts=("scene", "training", "random", "empty"), steps=120, seed=3)
    assert [r.start for r in runs] == ["scene", "training", "random", "empty"]
    for run in runs:
        # A linear objective can only rise when every logit moves along its gradient.
        assert all(b >= a - 1e-12 for a, b in zip(run.objective, run.objective[1:], strict=False))
        assert run.projection.maze.walls == LIKED, run.start
        assert run.projection.opened == () and run.projection.forced_open == ()
        assert run.discrete_objective == pytest.approx(len(LIKED))
        assert len(run.walls) == 121 and len(run.q_values) == 121
    # Only the wall plane ever changed, and the fixed cells stayed open.
    rest = encode(BAD2, scene.agent)[WALL_PLANE.stop :]
    assert all(x[WALL_PLANE.stop :] == rest for x in net.inputs)
    fixed = [cell_index(p) for p in scene.fixed_open]
    assert all(x[i] == 0.0 for x in net.inputs for i in fixed)


def test_dreaming_is_seeded_and_records_sparsely():
    net = MLP.random([INPUT_SIZE, 8, 4], random.Random(0))
    scene = dream_scene(BAD2)
    first = dream(net.q_and_input_gradient, scene, steps=10, seed=1, record_every=4)
    again = dream(net.q_and_input_gradient, scene, steps=10, seed=1, record_every=4)
    other = dream(net.q_and_input_gradient, scene, steps=10, seed=2, record_every=4)
    assert first == again and first[2].walls[0] != other[2].walls[0]
    assert len(first[0].objective) == 4  # steps 0, 4, 8 and the last, 10


def test_gradient_ascent_raises_an_mlps_objective():
    net = MLP.random([INPUT_SIZE, 32, 32, 4], random.Random(3))
    runs = dream(net.q_and_input_gradient, dream_scene(BAD2), steps=30, seed=0)
    for run in runs:
        assert run.objective[-1] > run.objective[0], run.start
        maze = run.projection.maze
        assert FINISH in reachable_cells(maze) and (0, 5) in reachable_cells(maze)
        assert run.protrusions == sorted(run.protrusions)


def test_projection_opens_the_cheapest_way_and_reports_it():
    scene = dream_scene(BAD2)
    values = [0.0] * 49
    for c in range(7):
        values[cell_index((3, c))] = 0.9  # a full barrier across row 3
    values[cell_index((3, 4))] = 0.6  # its weakest point
    values[cell_index((0, 0))] = 0.8  # the start cannot be a wall
    projection = project_walls(values, scene)
    assert projection.forced_open == ((0, 0),)
    assert projection.opened == ((3, 4),)
    assert projection.maze.walls == {(3, c) for c in range(7) if c != 4}
    with pytest.raises(ValueError):
        project_walls([0.0] * 48, scene)


def test_projection_also_connects_the_agent():
    maze = parse_maze(".....#.\n.....#H\n.......\n.......\n.......\n.......\n......F")
    scene = dream_scene(maze)
    assert scene.agent == (0, 6)
    values = [0.0] * 49
    values[cell_index((1, 6))] = 0.0
    values[cell_index((0, 5))] = 0.7
    values[cell_index((1, 5))] = 0.9
    values[cell_index((2, 6))] = 0.95
    projection = project_walls(values, scene)
    assert projection.opened == ((0, 5),)
    assert scene.agent in reachable_cells(projection.maze)


def test_pillar_dreams_keep_the_rooms_open_and_open_only_liked_pillars():
    """hold_open=PILLAR_DREAM_OPEN: rooms stay open; the dream may still open pillars."""
    liked = {(1, 2), (3, 4), (2, 2)}  # two connectors and a room: the room must stay open
    net = LinearNet(liked)
    scene = dream_scene(BAD2)
    runs = dream(net, scene, starts=("scene", "training"), steps=120, seed=3, hold_open=ROOMS)
    assert PILLAR_DREAM_OPEN == ROOMS
    for run in runs:
        maze = run.projection.maze
        assert not maze.walls & set(ROOMS)
        assert maze.walls == {(1, 2), (3, 4)}  # every pillar disliked: all opened
        assert opened_pillars(maze) == list(PILLARS)
        assert all(run.walls[-1][cell_index(p)] == 0.0 for p in ROOMS)


def test_opened_pillars_of_training_and_failure_mazes():
    for maze in maze_set("training", 20, seed=5, split="train"):
        assert opened_pillars(maze) == []
    assert opened_pillars(BAD2) == [(1, 3)]
    assert opened_pillars(failure_maze("bad0")) == [(3, 1)]


def test_random_pillar_walls_keep_rooms_and_the_scene_open():
    scene = dream_scene(BAD2)
    rng = random.Random(4)
    for _ in range(10):
        projection = random_pillar_walls(scene, rng)
        maze = projection.maze
        assert not maze.walls & (set(ROOMS) | scene.fixed_open)
        assert FINISH in reachable_cells(maze) and scene.agent in reachable_cells(maze)


def test_wilson_interval():
    low, high = wilson_interval(5, 30)
    assert low == pytest.approx(0.0734, abs=1e-4) and high == pytest.approx(0.3356, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == pytest.approx(1.0)
    assert wilson_interval(0, 0) == (0.0, 1.0)
