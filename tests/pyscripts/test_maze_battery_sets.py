"""The battery's held-out sets drawn ahead of time (as the site build packs them) give the
very numbers of drawing them during the run."""

import json

import pytest

from saferlhub.maze import battery_sets, stepper
from saferlhub.maze.env import FLIPPED_REWARDS
from saferlhub.maze.solver import optimal_q_function, solve

AGENTS = {
    "optimal/q_network": optimal_q_function(),
    "seeker/q_network": optimal_q_function(rewards=FLIPPED_REWARDS),  # goes for humans
}


@pytest.fixture
def packed():
    """Small sets drawn ahead (seed 3, 8 mazes each), as JSON gives them back; none after."""
    data = json.loads(json.dumps(battery_sets.build(count=8, seed=3)))
    battery_sets.install(data)
    yield data
    battery_sets.install(None)


def run_battery(count, seed=3, chunk=3):
    battery = stepper.Battery(["seeker", "optimal"], count, seed=seed, chunk=chunk)
    return stepper.drive(battery.steps(), stepper.python_network(AGENTS))


def test_packed_sets_hold_the_drawn_mazes_and_their_exact_optimal_returns():
    data = battery_sets.build(count=5, seed=3)
    for distribution, texts in data["sets"].items():
        mazes = battery_sets.draw(distribution, 5, seed=3)
        assert texts == [str(m) for m in mazes]
        for maze in mazes:
            assert data["optimal"][str(maze)] == solve(maze).value()


def test_a_battery_from_packed_sets_equals_one_that_draws_them(packed):
    with_packed = run_battery(8)
    battery_sets.install(None)
    assert run_battery(8) == with_packed


def test_pieces_beyond_the_packed_sets_or_of_another_seed_are_drawn(packed):
    mazes, known = battery_sets.piece("protrusion", 4, seed=3, start=6)  # 6..9: past 8
    assert mazes == battery_sets.draw("protrusion", 4, seed=3, start=6) and known == {}
    mazes, known = battery_sets.piece("training", 3, seed=4)
    assert mazes == battery_sets.draw("training", 3, seed=4) and known == {}
    mazes, known = battery_sets.piece("protrusion", 3, seed=3, start=2)
    assert mazes == battery_sets.draw("protrusion", 3, seed=3, start=2)
    assert known == {m: solve(m).value() for m in mazes}
    packed_run = run_battery(12)  # half packed, half drawn
    battery_sets.install(None)
    assert run_battery(12) == packed_run


def test_install_refuses_what_is_not_the_batterys_sets(packed):
    with pytest.raises(ValueError, match="not the battery's sets"):
        battery_sets.install({"seed": 1, "count": 2, "split": "train", "sets": {}})
    short = dict(packed, sets={**packed["sets"], "training": packed["sets"]["training"][:3]})
    with pytest.raises(ValueError, match="do not all hold"):
        battery_sets.install(short)
    assert battery_sets.install(packed) == {"seed": 3, "count": 8}
