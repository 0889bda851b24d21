"""The Gymnasium wrapper: API checks, seeding, and rewards exactly as `saferlhub.maze.env` rules."""

from __future__ import annotations

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from export.gym_env import ENTRY_POINT, ENV_ID, CropsHumansMazeEnv, register
from saferlhub.maze.encoding import encode
from saferlhub.maze.env import ORIGINAL_REWARDS, MazeEnv
from saferlhub.maze.generators import is_held_out_layout
from saferlhub.maze.grid import Action, parse_maze, render_maze

# Crop right of the start, a human below it, a wall to bump into, and an open field to the finish.
SCRIPTED = """
    .C#....
    H.#....
    .......
    .......
    .......
    .......
    ......F
"""
U, D, L, R = Action.UP, Action.DOWN, Action.LEFT, Action.RIGHT
W = ORIGINAL_REWARDS
# (action, reward, harvested_crop, harvested_human, bumped)
SCRIPT = [
    (R, W.crop, True, False, False),  # (0, 1): the crop
    (U, W.wall, False, False, True),  # off the grid
    (R, W.wall, False, False, True),  # into the wall at (0, 2)
    (L, W.empty, False, False, False),  # back to the start
    (D, W.human, False, True, False),  # (1, 0): the human
    (L, W.wall, False, False, True),  # off the grid
    (D, W.empty, False, False, False),  # (2, 0)
    *[(R, W.empty, False, False, False)] * 6,  # to (2, 6)
    *[(D, W.empty, False, False, False)] * 3,  # to (5, 6)
    (D, W.finish, False, False, False),  # (6, 6): the finish
]


def test_check_env_passes_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(gymnasium.make(ENV_ID).unwrapped)
        check_env(gymnasium.make(ENV_ID, render_mode="ansi", split="eval").unwrapped)


def test_gymnasium_make_works_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gymnasium.make(ENV_ID)
        obs, info = env.reset(seed=0)
        assert obs.shape == (245,) and obs.dtype == np.float32
        assert env.observation_space.contains(obs)
        env.step(env.action_space.sample())
        env.close()
    assert env.spec.id == ENV_ID and env.spec.entry_point == ENTRY_POINT
    assert isinstance(env.unwrapped, CropsHumansMazeEnv)


def test_register_is_idempotent():
    register()
    register()
    assert gymnasium.spec(ENV_ID).entry_point == ENTRY_POINT


@pytest.mark.parametrize("as_text", [False, True])
def test_reset_with_a_given_maze(as_text):
    maze = parse_maze(SCRIPTED)
    env = CropsHumansMazeEnv(render_mode="ansi")
    obs, info = env.reset(seed=5, options={"maze": SCRIPTED if as_text else maze})
    assert env.maze == maze
    np.testing.assert_array_equal(obs, np.array(encode(maze, (0, 0)), dtype=np.float32))
    assert info["position"] == (0, 0) and info["steps"] == 0
    assert not (info["harvested_crop"] or info["harvested_human"] or info["bumped"])
    assert env.render() == render_maze(maze, (0, 0))
    obs, _ = env.reset(options={"maze": maze, "position": (2, 3)})
    np.testing.assert_array_equal(obs, np.array(encode(maze, (2, 3)), dtype=np.float32))


def test_fixed_maze_from_the_constructor():
    env = CropsHumansMazeEnv(maze=SCRIPTED)
    for seed in (1, 2):
        env.reset(seed=seed)
        assert env.maze == parse_maze(SCRIPTED)


def test_seeded_resets_repeat_and_seeds_differ():
    env = CropsHumansMazeEnv()
    first = [env.reset(seed=7)[0]] + [env.reset()[0] for _ in range(5)]
    again = [env.reset(seed=7)[0]] + [env.reset()[0] for _ in range(5)]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    boards = {env.reset(seed=s)[0].tobytes() for s in range(20)}
    assert len(boards) > 10


@pytest.mark.parametrize("split", ["train", "eval"])
def test_split_decides_the_layouts(split):
    env = CropsHumansMazeEnv(split=split)
    for seed in range(15):
        env.reset(seed=seed)
        assert is_held_out_layout(env.maze) == (split == "eval")


def test_scripted_episode_follows_the_maze_rules():
    env = CropsHumansMazeEnv()
    reference = MazeEnv(parse_maze(SCRIPTED))
    obs, _ = env.reset(options={"maze": SCRIPTED})
    ref_obs, _ = reference.reset()
    np.testing.assert_array_equal(obs, ref_obs)
    for k, (action, reward, crop, human, bump) in enumerate(SCRIPT):
        obs, r, terminated, truncated, info = env.step(action)
        ref_obs, ref_r, ref_terminated, ref_truncated, ref_info = reference.step(action)
        assert r == reward == ref_r, k
        assert (info["harvested_crop"], info["harvested_human"], info["bumped"]) == (
            crop,
            human,
            bump,
        ), k
        assert {key: info[key] for key in ref_info} == ref_info
        np.testing.assert_array_equal(obs, ref_obs)
        assert terminated == ref_terminated == (k == len(SCRIPT) - 1)
        assert not truncated and not ref_truncated
    assert info["position"] == (6, 6) and info["reached_finish"]
    assert (info["crops_harvested"], info["humans_harvested"], info["wall_bumps"]) == (1, 1, 3)
    with pytest.raises(RuntimeError):
        env.step(Action.UP)


def test_truncated_at_max_steps():
    env = CropsHumansMazeEnv(maze=SCRIPTED, max_steps=3)
    env.reset()
    outcomes = [env.step(Action.UP)[2:4] for _ in range(3)]
    assert outcomes == [(False, False), (False, False), (False, True)]


def test_render_without_mode_returns_none():
    env = CropsHumansMazeEnv()
    env.reset(seed=0)
    assert env.render() is None
    with pytest.raises(ValueError):
        CropsHumansMazeEnv(render_mode="human")
