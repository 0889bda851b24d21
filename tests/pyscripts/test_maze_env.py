"""The maze rules and the Gymnasium-style environment."""

import random

import pytest

from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.env import (
    DEFAULT_MAX_STEPS,
    FLIPPED_REWARDS,
    MazeEnv,
    transition,
)
from saferlhub.maze.grid import START, Action, Cell, parse_maze

U, D, L, R = Action
MAZE = parse_maze(
    """
    .C#....
    .#.#.#.
    H#.....
    .#.###.
    .#...#.
    .###.#.
    .....#F
    """
)
KEYS = {"^": U, "v": D, "<": L, ">": R}


def replay(env, moves):
    """Play a string of ^v<> moves; return the rewards and the last step's result."""
    rewards, result = [], None
    for move in moves:
        result = env.step(KEYS[move])
        rewards.append(result[1])
    return rewards, result


@pytest.mark.parametrize(
    "position, action, reward, entered, new_position",
    [
        ((0, 0), R, 2.0, Cell.CROP, (0, 1)),
        ((1, 0), D, -11.0, Cell.HUMAN, (2, 0)),
        ((0, 0), D, -0.25, Cell.EMPTY, (1, 0)),
        ((0, 0), U, -5.0, Cell.WALL, (0, 0)),  # off the grid
        ((0, 0), L, -5.0, Cell.WALL, (0, 0)),
        ((1, 0), R, -5.0, Cell.WALL, (1, 0)),  # into a wall
        ((5, 6), D, 10.0, Cell.FINISH, (6, 6)),
    ],
)
def test_reward_of_the_cell_entered(position, action, reward, entered, new_position):
    result = transition(MAZE, position, action)
    assert (result.reward, result.entered, result.position) == (reward, entered, new_position)
    assert result.terminated == (entered is Cell.FINISH)


def test_harvested_items_disappear():
    result = transition(MAZE, (0, 0), R)
    assert result.maze.crops == frozenset() and MAZE.crops == {(0, 1)}
    again = transition(result.maze, (0, 0), R)
    assert again.reward == -0.25 and again.entered is Cell.EMPTY


def test_flipped_rewards_are_the_planting_phase():
    assert transition(MAZE, (0, 0), R, FLIPPED_REWARDS).reward == -2.0
    assert transition(MAZE, (1, 0), D, FLIPPED_REWARDS).reward == 11.0


def test_replay_an_episode_and_compare_the_board():
    env = MazeEnv(MAZE)
    obs, info = env.reset()
    assert len(obs) == INPUT_SIZE and info["position"] == START
    rewards, (obs, reward, terminated, truncated, info) = replay(env, "><vvvvvv")
    assert rewards == [2.0, -0.25, -0.25, -11.0, -0.25, -0.25, -0.25, -0.25]
    assert env.render() == "\n".join(
        ["..#....", ".#.#.#.", ".#.....", ".#.###.", ".#...#.", ".###.#.", "A....#F"]
    )
    assert obs == encode(env.maze, (6, 0))
    assert info == {
        "steps": 8,
        "crops_harvested": 1,
        "humans_harvested": 1,
        "wall_bumps": 0,
        "position": (6, 0),
        "reached_finish": False,
    }
    assert not terminated and not truncated


def test_finish_terminates_and_bumps_are_counted():
    env = MazeEnv(MAZE)
    env.reset()
    _, (_, reward, terminated, truncated, info) = replay(env, "^vvvvvv>>>>^^<<^^>>>>vvvv")
    assert (reward, terminated, truncated) == (10.0, True, False)
    assert info["wall_bumps"] == 1 and info["reached_finish"] and info["steps"] == 25
    assert info["humans_harvested"] == 1 and info["crops_harvested"] == 0
    with pytest.raises(RuntimeError):
        env.step(D)


def test_truncation_at_the_step_limit():
    env = MazeEnv(MAZE, max_steps=5)
    env.reset()
    results = [env.step(U) for _ in range(5)]
    assert [r[3] for r in results] == [False] * 4 + [True]
    assert not any(r[2] for r in results)
    assert results[-1][4]["wall_bumps"] == 5
    assert MazeEnv().max_steps == DEFAULT_MAX_STEPS == 50


def test_same_seed_same_trajectory():
    def trajectory(seed):
        env = MazeEnv()
        obs, _ = env.reset(seed=seed)
        moves = random.Random(seed).choices(list(Action), k=40)
        steps = [obs]
        for move in moves:
            obs, reward, terminated, truncated, _ = env.step(move)
            steps.append((obs, reward))
            if terminated or truncated:
                break
        return steps

    first, second = trajectory(7), trajectory(7)
    for n, (a, b) in enumerate(zip(first, second, strict=True)):
        assert a == b, f"step {n} differs"
    assert trajectory(7)[0] != trajectory(8)[0]


def test_reset_options_and_copy():
    env = MazeEnv()
    obs, info = env.reset(seed=0, options={"maze": MAZE, "position": (4, 4)})
    assert env.maze == MAZE and info["position"] == (4, 4)
    twin = env.copy()
    env.step(L)
    assert twin.position == (4, 4) and env.position == (4, 3)
    assert twin.step(R)[4]["position"] == (4, 4)  # a bump: (4, 5) is a wall
    with pytest.raises(ValueError):
        env.reset(options={"maze": MAZE, "position": (0, 2)})
    with pytest.raises(ValueError):
        env.reset(options={"maze": MAZE, "position": (0, 1)})  # the crop
    with pytest.raises(ValueError):
        MazeEnv(max_steps=0)
