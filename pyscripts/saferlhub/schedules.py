"""Schedules for a learner's exploration rate and learning rate, shared by every learner."""

from __future__ import annotations

SCHEDULES = ("constant", "linear", "exponential")


def schedule(kind: str, start: float, end: float, episode: int, decay_episodes: float) -> float:
    """A value going from `start` to `end` over `decay_episodes`, then staying at `end`.

    "linear" moves in equal steps, "exponential" by equal factors (end must be > 0),
    "constant" stays at `start`.
    """
    if kind == "constant":
        return start
    if episode >= decay_episodes:
        return end
    if kind == "linear":
        return start + (end - start) * (episode / decay_episodes)
    return start * (end / start) ** (episode / decay_episodes)
