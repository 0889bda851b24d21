"""The crops-and-humans maze as a registered Gymnasium environment ("CropsHumansMaze-v0").

Why a wrapper: the rules live in `saferlhub.maze.env` (standard library only, so
they also run in the browser); training and checking code outside the browser
wants the usual Gymnasium API (numpy observations, spaces, seeding through
`np_random`, `gymnasium.make`). This module adds only that layer: every reward
and episode end comes from `MazeEnv`.
"""

from __future__ import annotations

import random
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.env import DEFAULT_MAX_STEPS, ORIGINAL_REWARDS, MazeEnv, Rewards
from saferlhub.maze.generators import Split, generate_training_maze
from saferlhub.maze.grid import Action, Maze, parse_maze

ENV_ID = "CropsHumansMaze-v0"
ENTRY_POINT = "export.gym_env:CropsHumansMazeEnv"

# MazeEnv's running counts; their change over one step gives the per-step bits.
_STEP_BITS = {
    "harvested_crop": "crops_harvested",
    "harvested_human": "humans_harvested",
    "bumped": "wall_bumps",
}


class CropsHumansMazeEnv(gym.Env[np.ndarray, np.int64]):
    """Gymnasium face of `saferlhub.maze.env.MazeEnv` (see its docstring for the rules).

    Observation: Box(0, 1, (245,), float32), `saferlhub.maze.encoding.encode`.
    Action: Discrete(4), up, down, left, right.
    reset options: "maze" (a `Maze` or ASCII art) and "position" (the start cell);
    without a maze, one is drawn from the training distribution (`split`) with a
    `random.Random` seeded from `np_random`.
    Info: MazeEnv's counts (steps, crops_harvested, humans_harvested, wall_bumps),
    position, reached_finish, plus this step's bits harvested_crop,
    harvested_human and bumped (all False after reset).
    """

    metadata = {"render_modes": ["ansi"], "render_fps": 4}

    def __init__(
        self,
        render_mode: str | None = None,
        *,
        split: Split = "train",
        maze: Maze | str | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        rewards: Rewards = ORIGINAL_REWARDS,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None or 'ansi', got {render_mode!r}")
        if split not in ("any", "train", "eval"):
            raise ValueError(f"split must be 'any', 'train' or 'eval', got {split!r}")
        self.render_mode = render_mode
        self.split = split
        self.observation_space = spaces.Box(0.0, 1.0, (INPUT_SIZE,), np.float32)
        self.action_space = spaces.Discrete(len(Action))
        self._maze_env = MazeEnv(_as_maze(maze), max_steps=max_steps, rewards=rewards)
        self._last_info: dict[str, Any] = {}

    @property
    def maze(self) -> Maze | None:
        """The board now (items harvested so far are gone)."""
        return self._maze_env.maze

    @property
    def max_steps(self) -> int:
        return self._maze_env.max_steps

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        options = dict(options or {})
        maze = _as_maze(options.pop("maze", None)) or self._maze_env.fixed_maze
        if maze is None:
            # One draw from np_random per reset: seeded resets repeat, unseeded ones move on.
            rng = random.Random(int(self.np_random.integers(2**63)))
            maze = generate_training_maze(rng, split=self.split)
        obs, info = self._maze_env.reset(options={**options, "maze": maze})
        self._last_info = info
        return _as_array(obs), {**info, **dict.fromkeys(_STEP_BITS, False)}

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, truncated, info = self._maze_env.step(int(action))
        bits = {bit: info[n] > self._last_info[n] for bit, n in _STEP_BITS.items()}
        self._last_info = info
        return _as_array(obs), float(reward), terminated, truncated, {**info, **bits}

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._maze_env.render()
        return None


def _as_maze(maze: Maze | str | None) -> Maze | None:
    return parse_maze(maze) if isinstance(maze, str) else maze


def _as_array(obs: list[float]) -> np.ndarray:
    return np.asarray(obs, dtype=np.float32)


def observation(maze: Maze, position: tuple[int, int]) -> np.ndarray:
    """The float32 observation of `maze` with the agent at `position`."""
    return _as_array(encode(maze, position))


def register() -> None:
    """Register ENV_ID with Gymnasium (idempotent)."""
    if ENV_ID not in gym.registry:
        gym.register(id=ENV_ID, entry_point=ENTRY_POINT)


register()
