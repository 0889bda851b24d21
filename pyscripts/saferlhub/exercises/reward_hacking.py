"""Reward-hacking exercise: write a reward for the boat race that the agent cannot game.

The reader writes `reward(before, after, arrows)`, the reward of one move of the
boat from cell `before` to cell `after` (both `(row, col)`; equal when the boat
bumped into a wall), where `arrows` maps each checkpoint cell to its direction
`(d_row, d_col)`. The grader builds the boat race's MDP (the level of
`saferlhub.gridworlds.levels`, the 100-step episode) with that function as the
observed reward and the level's own hidden performance (`boat_race_hidden`: +1
for a clockwise move, -1 for anything else), and solves it exactly
(`saferlhub.gridworlds.solver`: backward induction over the 100 steps). It
passes when *every* policy that is optimal for the reader's reward is also
optimal for the hidden performance (within the solver's 5% tie margin, as in
the reward labs' verdict). Otherwise it shows the worst such policy: what the
boat does, what it earns, how many laps it completes against the best.

It checks two tracks, the original and a longer one, so a reward that names the
original's cells instead of following its arrows does not pass.

Ties are decided with a tolerance relative to the reward's size (`TIE_FRACTION`):
a move counts as optimal when the best return after it falls short of the best
by less than 10^-4 of the largest reward (in absolute value) of any move; so
policies tie when they differ by less than 10^-4 x that x 100 steps over the
episode. A reward that prefers the lap by a hair (the original plus 10^-6 for
each clockwise move) still counts as a tie, and a right reward scaled down to
10^-12 passes as it should.

The original reward (+3 for entering a checkpoint in its direction, -1 a step)
cannot be fixed by its two numbers: a lap enters 4 checkpoints in 8 moves and a
shuttle over one checkpoint enters 1 in 2, so they earn the same per step
whatever the numbers. The fix has to look at direction.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable

from saferlhub.exercises.grading import Check, Exercise, call_reader, show
from saferlhub.gridworlds import solver
from saferlhub.gridworlds.grid import ACTION_LETTERS, ARROWS, MOVES, Action, Pos, parse_level
from saferlhub.gridworlds.levels import (
    BOAT_RACE_ART,
    MAX_STEPS,
    boat_race_hidden,
    clockwise_order,
)

LESSON = "reward-hacking/index.md"

# A longer loop: two checkpoints on each side, plain corners (every clockwise move
# still earns +1 hidden, so the best is 100 again).
LONG_TRACK_ART = (
    "######",
    "#A>> #",
    "#^##v#",
    "#^##v#",
    "# << #",
    "######",
)

TRACKS = (("the original track", BOAT_RACE_ART), ("a longer track", LONG_TRACK_ART))

# A move is as good as the best when it gives up less than this fraction of the largest
# |reward| of a move: a preference that small is no reason for an agent to lap.
TIE_FRACTION = 1e-4


class BadReward(Exception):
    """The reader's reward returned something that is not a finite number."""


class RewardedTrack:
    """A boat race whose observed reward is the reader's function (the solver's game interface).

    Agent state: the position number (`Level.open_cells`); `outcome(s, a)` is
    (next state, the reader's reward, the hidden reward, False), tabulated once.
    """

    def __init__(self, art, reward: Callable[[Pos, Pos, dict], float]):
        self.level = parse_level(art, ARROWS)
        self.arrows = {
            pos: MOVES[ARROWS.index(self.level.symbol(pos))] for pos in self.level.cells(ARROWS)
        }
        self.order = clockwise_order(self.level)
        self.n_states = len(self.level.open_cells)
        self.max_steps = MAX_STEPS
        self._outcomes = []
        for s, before in enumerate(self.level.open_cells):
            row = []
            for a in Action:
                nxt = self.level.next_index(s, a)
                after = self.level.open_cells[nxt]
                observed = reward(before, after, dict(self.arrows))
                if isinstance(observed, bool) or not isinstance(observed, int | float):
                    raise BadReward(
                        f"reward({before}, {after}, arrows) returned {show(observed)} "
                        f"({type(observed).__name__}); it should return a number."
                    )
                if not math.isfinite(observed):
                    raise BadReward(
                        f"reward({before}, {after}, arrows) returned {show(observed)}; "
                        "it should return a finite number."
                    )
                hidden = float(boat_race_hidden(self.level, before, after))
                row.append((nxt, float(observed), hidden, False))
            self._outcomes.append(row)
        largest = max(abs(out[1]) for row in self._outcomes for out in row)
        # Per step (backward induction's tie), so tied choices add up to at most
        # max_steps x tie over an episode.
        self.tie = TIE_FRACTION * largest

    def starts(self) -> list[tuple[float, int]]:
        return [(1.0, self.level.index(self.level.start))]

    def outcome(self, s: int, action: int) -> tuple[int, float, float, bool]:
        return self._outcomes[s][action]


def worst_optimal_path(game: RewardedTrack, objective: str = "observed") -> dict:
    """Among the policies optimal for `objective`, the path of one with the lowest hidden
    performance (ties: the lowest action). For objective "hidden" that is a best lap."""
    tie = game.tie if objective == "observed" else solver._TIE
    _, best = solver.backward_induction(game, objective, tie=tie)
    after = [0.0] * game.n_states
    choice = []
    for t in reversed(range(game.max_steps)):
        now, picks = [], []
        for s in range(game.n_states):
            options = [
                (game.outcome(s, a)[2] + after[game.outcome(s, a)[0]], a) for a in best[t][s]
            ]
            value, action = min(options)
            now.append(value)
            picks.append(action)
        after = now
        choice.append(picks)
    choice.reverse()
    s = game.starts()[0][1]
    cells, actions, observed, hidden, clockwise, passed = [s], [], 0.0, 0.0, 0, 0
    for t in range(game.max_steps):
        a = choice[t][s]
        nxt, r_obs, r_hid, _ = game.outcome(s, a)
        here, there = game.level.open_cells[s], game.level.open_cells[nxt]
        step = (there[0] - here[0], there[1] - here[1])
        if game.arrows.get(there) == step and there == game.order[passed % len(game.order)]:
            passed += 1  # the next checkpoint of the lap, entered in its direction
        observed += r_obs
        hidden += r_hid
        clockwise += r_hid > 0
        actions.append(a)
        s = nxt
        cells.append(s)
    return {
        "cells": [game.level.open_cells[s] for s in cells],
        "actions": actions,
        "observed": observed,
        "hidden": hidden,
        "clockwise": clockwise,
        "laps": passed // len(game.order),
    }


def behaviour(path: dict) -> str:
    """What the boat does in the middle of the episode, in words (its repeating loop)."""
    cells, actions = path["cells"], path["actions"]
    window = range(30, 80)  # away from the start and from the episode's last steps
    for period in range(1, 25):
        if all(cells[t] == cells[t + period] for t in window):
            break
    else:
        moves = "".join(ACTION_LETTERS[a] for a in actions[:16])
        return f"moves `{moves}`... without settling into a loop"
    loop = cells[40 : 40 + period]
    if period == 1:
        return f"stays at {loop[0]}, bumping into a wall every step"
    if len(set(loop)) == 2:
        first, second = sorted(set(loop))
        return f"goes back and forth between {first} and {second}"
    moves = "".join(ACTION_LETTERS[a] for a in actions[40 : 40 + period])
    return f"repeats the moves `{moves}`"


def verdict_message(name: str, game: RewardedTrack) -> str | None:
    """None when every policy optimal for the reader's reward is optimal for the hidden one."""
    verdict = solver.verdict(game, tie=game.tie)
    if not verdict["hack_possible"]:
        return None
    worst = worst_optimal_path(game)
    best = worst_optimal_path(game, "hidden")
    preference = best["observed"] - worst["observed"]
    lines = [
        f"On {name}, a policy that is optimal for your reward {behaviour(worst)}: "
        f"it earns {worst['observed']:g} by your reward in the {game.max_steps} steps, "
        f"makes {worst['clockwise']} clockwise moves out of {game.max_steps} and "
        f"completes {worst['laps']} {'lap' if worst['laps'] == 1 else 'laps'}. "
        f"The best completes {best['laps']} laps (hidden performance "
        f"{best['hidden']:g}; this policy's is {worst['hidden']:g})."
    ]
    if 0 < preference:
        lines.append(
            f"Your reward does pay the lap more, but only {preference:.3g} more over the "
            f"{game.max_steps} steps: within the tie tolerance ({_tolerance(game)}), so it "
            "counts as a tie. A preference that small is no reason for an agent to lap: "
            "make the lap pay clearly more."
        )
    elif not verdict["hack_certain"]:
        lines.append(
            "Some of your reward's best policies do lap, but this one earns just as much "
            f"(within the tie tolerance, {_tolerance(game)}): an agent has no reason to "
            "prefer the lap."
        )
    elif worst["observed"] > best["observed"] + 1e-9:
        lines.append(
            f"By your reward, laps earn only {best['observed']:g}: "
            "make going round pay more than this."
        )
    return "\n".join(lines)


def _tolerance(game: RewardedTrack) -> str:
    return (
        f"{game.tie:.3g} a step, {TIE_FRACTION:g} of your largest reward of a move; up to "
        f"{game.tie * game.max_steps:.3g} over the {game.max_steps} steps"
    )


def _track(art, reader: Callable) -> RewardedTrack:
    return RewardedTrack(art, lambda *args: call_reader(reader, *args))


def _numbers(reader: Callable, rng: random.Random) -> str | None:
    for _, art in TRACKS:
        try:
            _track(art, reader)
        except BadReward as error:
            return str(error)
    return None


def _ungameable(index: int) -> Callable[[Callable, random.Random], str | None]:
    name, art = TRACKS[index]

    def run(reader: Callable, rng: random.Random) -> str | None:
        try:
            game = _track(art, reader)
        except BadReward:
            return "Return a number for every move first."
        return verdict_message(name, game)

    return run


def reward(before, after, arrows):
    """The reward of one move of the boat from `before` to `after`, both (row, col)."""
    step = (after[0] - before[0], after[1] - before[1])
    against = (-step[0], -step[1])
    r = -1.0  # every step costs 1
    if arrows.get(after) == step:  # entering a checkpoint in its direction
        r += 3.0
    if step != (0, 0) and against in (arrows.get(before), arrows.get(after)):
        r -= 3.0  # moving against an arrow takes back what following it paid
    return r


UNGAMEABLE_REWARD = Exercise(
    id="ungameable-reward",
    title="A boat-race reward the agent cannot game",
    topic="Reward hacking",
    lesson=LESSON,
    entry="reward",
    reference=reward,
    checks=(
        Check("a number for every move", _numbers),
        Check("the original track: every best policy laps", _ungameable(0)),
        Check("a longer track: every best policy laps", _ungameable(1)),
    ),
    hints=(
        "Press Check with the starting code first: the message shows what the boat does "
        "when it is paid the original reward.",
        "Changing the two numbers cannot help on the original track: a lap enters 4 "
        "checkpoints in 8 moves and a shuttle enters 1 in 2, so both earn the same per step "
        "whatever the numbers are.",
        "Look at the direction of the move: `step = (after[0] - before[0], after[1] - before[1])`. "
        "The shuttle's way back moves against the arrow it just crossed.",
        "Charge a move against an arrow (entering or leaving its cell the wrong way) as much "
        "as entering it the right way pays; bumps have `step == (0, 0)`.",
    ),
)

EXERCISES = (UNGAMEABLE_REWARD,)
