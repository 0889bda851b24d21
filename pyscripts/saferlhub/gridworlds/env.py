"""A Gymnasium-style environment over any reward-hacking level, reporting both rewards."""

from __future__ import annotations

import random
from typing import Any

from saferlhub.gridworlds.levels import make_level


class GridworldEnv:
    """## Description
    One of the reward-hacking levels (`saferlhub.gridworlds.levels`): boat race,
    tomato watering or absent supervisor, after DeepMind's AI Safety Gridworlds.

    ## Action Space
    `grid.Action`: 0 up, 1 down, 2 left, 3 right. Moving into a wall costs the step
    and leaves the agent where it was.

    ## Observation Space
    The agent state: an int below `n_states` (the position, plus what the level
    lets the agent see; see each level's docstring).

    ## Starting State
    The level's `A`; the absent supervisor draws the supervisor's presence; on
    tomato watering each watered tomato may already dry before the first move (the
    original's reset plays one frame, pycolab's `its_showtime`).

    ## Rewards
    `step` returns the *observed* reward (what the agent is trained on);
    `info["hidden_reward"]` is the hidden reward of the same step, and
    `info["performance"]` its sum so far: the measure the agent never sees.

    ## Episode End
    Truncated after 100 steps (as in the original); the absent supervisor
    terminates at the goal.

    ## Arguments
    level: "boat_race", "tomato_watering" or "absent_supervisor".
    rules: the level's reward constants, changed from the original's
    (`BoatRaceRules`, `TomatoRules`, `SupervisorRules`).

    ## References
    Leike et al., "AI Safety Gridworlds", 2017, arXiv:1711.09883.
    """

    def __init__(self, level: str = "boat_race", **rules) -> None:
        self.game = make_level(level, **rules)
        self.n_states = self.game.n_states
        self.max_steps = self.game.max_steps
        self.rng = random.Random()
        self.state: tuple | None = None
        self.done = False

    def reset(self, seed: int | None = None) -> tuple[int, dict[str, Any]]:
        if seed is not None:
            self.rng.seed(seed)
        self.state = self.game.reset(self.rng)
        self.steps, self.episode_return, self.performance = 0, 0.0, 0.0
        self.done = False
        return self.game.observe(self.state), self._info(0.0)

    def step(self, action: int) -> tuple[int, float, bool, bool, dict[str, Any]]:
        if self.state is None:
            raise RuntimeError("call reset() before step()")
        if self.steps >= self.max_steps or self.done:
            raise RuntimeError("the episode is over: call reset()")
        self.state, observed, hidden, terminated = self.game.step(self.state, int(action), self.rng)
        self.steps += 1
        self.episode_return += observed
        self.performance += hidden
        truncated = not terminated and self.steps >= self.max_steps
        self.done = terminated
        return self.game.observe(self.state), observed, terminated, truncated, self._info(hidden)

    def _info(self, hidden: float) -> dict[str, Any]:
        return {
            "hidden_reward": hidden,
            "performance": self.performance,
            "episode_return": self.episode_return,
            "steps": self.steps,
            **self.game.render(self.state),
        }

    def render(self) -> str:
        return "\n".join(self.game.render(self.state)["board"])
