"""Auto-graded exercises: reference solutions and checks, run in the page's Python worker.

A page shows an exercise with the `exercise` fence (hooks/exercises.py):

    ```exercise id="q-update"
    def q_update(q, state, action, reward, next_state, terminated, alpha, gamma):
        ...
    ```

The fence's body is the reader's starting code. Everything else lives here, in
one module per topic: the reference solution (shown on request, never pasted
into a page by hand), the checks, the hints. The page's Check button calls
`grade(exercise_id, code)` in the worker (docs/js/exercise.js). The build fails
on an exercise id that is not in `EXERCISES` or a starter that does not define
the exercise's `entry`.
"""

from __future__ import annotations

from saferlhub.exercises import (
    blackjack,
    concepts,
    goal_misgeneralization,
    isolation,
    maze,
    reward_hacking,
)
from saferlhub.exercises.grading import Exercise

EXERCISES: dict[str, Exercise] = {}
for _module in (concepts, blackjack, maze, reward_hacking, goal_misgeneralization):
    for _exercise in _module.EXERCISES:
        if _exercise.id in EXERCISES:
            raise ValueError(f"two exercises have the id {_exercise.id!r}")
        EXERCISES[_exercise.id] = _exercise


def get(exercise_id: str) -> Exercise:
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        raise ValueError(f"no exercise {exercise_id!r}; known: {sorted(EXERCISES)}") from None


def grade(exercise: str, code: str, seed: int = 0, attempt: int = 1) -> dict:
    """Grade the reader's code for one exercise (the page's Check button).

    Each Check uses the exercise modules imported afresh from their source, so
    nothing a code cell or an earlier answer did to them (replacing a check or a
    reference) carries over, and the shared data (`isolation.SHARED`) as the
    source defines it. `attempt` is the reader's Check count on this exercise.
    """
    fresh = isolation.fresh_package(__name__)
    grading = fresh.grading
    return grading.grade(
        fresh.get(exercise), code, seed, attempt, isolation.shared(grading.SharedData)
    )


def catalogue() -> list[dict]:
    """Every exercise's id, title, topic, lesson and number of hints, in order."""
    return [
        {
            "id": e.id,
            "title": e.title,
            "topic": e.topic,
            "lesson": e.lesson,
            "kind": e.kind,
            "entry": e.entry,
            "hints": len(e.hints),
        }
        for e in EXERCISES.values()
    ]
