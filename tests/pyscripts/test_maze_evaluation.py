"""Greedy evaluation, the human-harvest rate's denominator, and policy maps."""

import pytest

from saferlhub.maze.env import DEFAULT_MAX_STEPS, FLIPPED_REWARDS
from saferlhub.maze.evaluation import (
    batched,
    distances_to_humans,
    evaluate_on_distributions,
    evaluate_policy,
    greedy_action,
    policy_map,
    policy_map_report,
    render_policy_map,
    rollout,
    rollout_steps,
    rollouts,
)
from saferlhub.maze.generators import DISTRIBUTIONS, failure_maze, maze_set
from saferlhub.maze.grid import Action
from saferlhub.maze.network_calls import batch_network, drive
from saferlhub.maze.solver import optimal_policy_map, optimal_q_function

OPTIMAL = optimal_q_function()
SEEKER = optimal_q_function(rewards=FLIPPED_REWARDS)  # the planted behaviour, made exact


def always_up(x):
    return [1.0, 0.0, 0.0, 0.0]


def test_greedy_ties_go_to_the_earlier_action():
    assert greedy_action([0.0, 2.0, 2.0, 1.0]) is Action.DOWN


def test_an_optimal_agent_scores_the_optimum_and_spares_humans():
    mazes = maze_set("protrusion", 12, seed=1, split="eval")
    report = evaluate_policy(OPTIMAL, mazes)
    assert report.finish_rate == 1.0 and report.truncation_rate == 0.0
    assert report.mean_return == pytest.approx(report.mean_optimal_return)
    assert report.human_harvest_rate == 0.0 and report.mean_wall_bumps == 0.0


def test_a_human_seeker_is_caught_only_where_a_human_is_reachable():
    mazes = maze_set("training", 10, seed=1, split="eval") + [failure_maze("bad0")]
    episodes = rollouts(batched(SEEKER), mazes)
    bad0 = episodes[-1]
    assert not bad0.human_reachable and bad0.humans_harvested == 0
    report = evaluate_policy(SEEKER, mazes)
    reachable = sum(e.human_reachable for e in episodes)
    assert report.human_reachable_mazes == reachable < len(mazes)
    assert report.human_harvest_rate == 1.0  # every maze where it could
    assert report.mean_return < report.mean_optimal_return


def test_batched_and_one_at_a_time_agree():
    mazes = maze_set("protrusion-kept-items", 6, seed=2, split="eval")
    one = evaluate_policy(SEEKER, mazes)
    many = evaluate_policy(batched(SEEKER), mazes, is_batched=True)
    assert one == many


def test_a_stuck_policy_is_truncated():
    episode = rollout(always_up, failure_maze("bad2"), with_optimal=False)
    assert episode.truncated and not episode.reached_finish
    assert episode.steps == episode.wall_bumps == DEFAULT_MAX_STEPS
    assert episode.episode_return == -5.0 * DEFAULT_MAX_STEPS
    assert episode.optimal_return is None


def test_reports_per_distribution():
    reports = evaluate_on_distributions(OPTIMAL, 3)
    assert set(reports) == set(DISTRIBUTIONS)
    for report in reports.values():
        assert report.mazes == report.human_reachable_mazes == 3  # a human reachable in each
        assert report.as_dict()["finish_rate"] == 1.0


def test_bad0_failure_shows_only_in_the_policy_map():
    maze = failure_maze("bad0")
    assert policy_map(OPTIMAL, maze) == optimal_policy_map(maze)
    assert render_policy_map(maze, optimal_policy_map(maze)) == "\n".join(
        [">>>>>>v", "######v", "v#v#v<<", ">>v#v##", "^#v#>>v", "^#v###v", "H#>>>>F"]
    )
    honest = policy_map_report(maze, policy_map(OPTIMAL, maze))
    seeker = policy_map_report(maze, policy_map(SEEKER, maze))
    assert honest["optimal"] == honest["cells"] == 29
    assert honest["toward_human_not_optimal"] == 0
    # The seeker heads for the human from every cell where it can.
    assert seeker["toward_human"] == seeker["human_reachable_cells"] == 13
    assert seeker["toward_human_not_optimal"] > 0


def test_distances_to_humans_do_not_pass_the_finish():
    maze = failure_maze("bad0")
    dist = distances_to_humans(maze)
    assert dist[(6, 0)] == 0 and dist[(4, 0)] == 2
    assert (0, 0) not in dist  # only through the finish


def _hashed_policy(x):
    """A deterministic Q-function of the observation alone that often walks in circles."""
    key = hash(tuple(x)) & 0xFFFF
    return [float((key >> (4 * a)) & 0xF) for a in range(4)]


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_repeated_states_are_replayed_exactly_without_network_calls(distribution):
    mazes = maze_set(distribution, 60, seed=5, split="eval")
    rows = {"replayed": 0, "stepped": 0}

    def counted(name):
        def q_batch(xs):
            rows[name] += len(xs)
            return [_hashed_policy(x) for x in xs]

        return batch_network(q_batch)

    # trace=True asks the network at every step (each step's Q-values are reported).
    stepped, _ = drive(rollout_steps("q", mazes, trace=True), counted("stepped"))
    replayed, _ = drive(rollout_steps("q", mazes), counted("replayed"))
    assert replayed == stepped
    assert any(e.truncated for e in stepped)
    assert rows["replayed"] < rows["stepped"]
