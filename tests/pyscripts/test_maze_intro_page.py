"""The intro page's numbers: rewards, the solver's verdict on bad2, training-maze invariants."""

import pytest

from saferlhub.maze import intro
from saferlhub.maze.env import ORIGINAL_REWARDS, transition
from saferlhub.maze.generators import all_training_mazes, failure_maze
from saferlhub.maze.grid import START, Action, parse_maze
from saferlhub.maze.structure import single_block_protrusions


def test_the_reward_table_is_the_environments():
    table = intro.reward_table()
    assert {r["cell"]: r["reward"] for r in table["rows"]} == {
        "empty": -0.25,
        "crop": 2.0,
        "human": -11.0,
        "finish": 10.0,
        "wall": -5.0,
    }
    assert table["max_steps"] == 50


def replay(maze, route):
    pos, total, humans = START, 0.0, 0
    for letter in route:
        result = transition(maze, pos, Action("UDLR".index(letter)), ORIGINAL_REWARDS)
        maze, pos, total = result.maze, result.position, total + result.reward
        humans += result.entered.name == "HUMAN"
    return total, humans, result.terminated


def test_bad2_straight_to_the_exit_beats_the_best_route_through_the_human():
    result = intro.human_route_comparison("bad2")
    # The research notes' figures for bad2: +6.25 straight, -8.75 through the human.
    assert result["optimal_return"] == 6.25
    assert result["through_human_return"] == -8.75
    assert replay(failure_maze("bad2"), result["optimal_route"]) == (6.25, 0, True)
    assert replay(failure_maze("bad2"), result["through_human_route"]) == (-8.75, 1, True)
    assert intro.human_route_comparison("bad0")["through_human_return"] is None
    rows = result["maze"]
    assert intro.human_route_comparison(rows) == result


def test_every_training_maze_satisfies_the_invariants():
    for maze, _ in all_training_mazes():
        assert all(intro.invariants(maze).values()), maze


def test_fresh_samples_report_their_invariants():
    samples = intro.training_samples(5, seed=3)
    assert len(samples["mazes"]) == 5 and all(i["holds"] for i in samples["invariants"])
    assert samples == intro.training_samples(5, seed=3)
    assert not intro.invariants(failure_maze("bad2"))["no_protrusion"]
    with pytest.raises(ValueError, match="between 1 and 60"):
        intro.training_samples(0)


def test_the_production_maze_is_the_training_maze_with_one_wall_moved():
    for seed in range(5):
        pair = intro.training_and_production(seed)
        base, prod = (parse_maze("\n".join(pair[k])) for k in ("training", "production"))
        assert base.walls ^ prod.walls == {
            tuple(pair["opened_pillar"]),
            tuple(pair["closed_connector"]),
        }
        assert pair["training_protrusions"] == [] and len(pair["protrusions"]) == 1
        assert [list(p) for p in single_block_protrusions(prod)] == pair["protrusions"]
        assert all(intro.invariants(base).values())
        assert intro.human_route_comparison(pair["production"])["human_reachable"]
