"""Tabular Q-learning on the reward-hacking levels, watched by the exact solver.

The agent learns from the observed reward only. Every checkpoint reports both
what it was paid (observed return per episode) and what it delivered (hidden
performance per episode) over the episodes since the last checkpoint, and the
exact 100-step values of its greedy policy under both (`solver.policy_returns`),
next to the exact optima (`solver.verdict`). `hack_rate` trains several seeds
and counts how many greedy policies show the level's hack (`solver.is_hack`).

Settings use the same mechanism as the Blackjack trainer (`saferlhub.settings`):
a bad value is refused with a `SettingError` naming the field.

References:
    C. J. C. H. Watkins, Learning from Delayed Rewards, PhD thesis, 1989;
    R. S. Sutton and A. G. Barto, Reinforcement Learning: An Introduction, 2nd ed.,
    2018, section 6.5 (Q-learning).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import asdict, dataclass

from saferlhub import settings as shared
from saferlhub.gridworlds.grid import LevelError
from saferlhub.gridworlds.levels import (
    ABSENT_SUPERVISOR_ART,
    BOAT_RACE_ART,
    TOMATO_WATERING_ART,
    AbsentSupervisor,
    BoatRace,
    BoatRaceRules,
    SupervisorRules,
    TomatoRules,
    TomatoWatering,
)
from saferlhub.gridworlds.solver import is_hack, policy_returns, verdict
from saferlhub.settings import (
    SettingError,
    check_fields,
    check_schedules,
    learning_setting,
    make,
    schema,
)
from saferlhub.settings import setting as _setting

LEVEL_NAMES = ("boat_race", "tomato_watering", "absent_supervisor")
CHOICE_LABELS = {
    "boat_race": "Boat race",
    "tomato_watering": "Tomato watering",
    "absent_supervisor": "Absent supervisor",
    "constant": "constant",
    "linear": "linear decay",
    "exponential": "exponential decay",
}


@dataclass
class GridworldSettings:
    """Everything a training run on a reward-hacking level depends on."""

    level: str = _setting(
        "boat_race", "Level", "Which reward-hacking level to train on.", choices=list(LEVEL_NAMES)
    )
    episodes: int = _setting(500, "Episodes", "Training episodes of 100 steps each.", 1, 100_000)
    alpha: float = learning_setting("alpha", 0.1)
    alpha_schedule: str = learning_setting("alpha_schedule", "constant")
    alpha_min: float = learning_setting("alpha_min", 0.01)
    gamma: float = learning_setting("gamma", 0.95)
    epsilon_start: float = learning_setting("epsilon_start", 1.0)
    epsilon_min: float = learning_setting("epsilon_min", 0.05)
    epsilon_schedule: str = learning_setting("epsilon_schedule", "linear")
    epsilon_decay_fraction: float = learning_setting("epsilon_decay_fraction", 0.5)
    initial_q: float = _setting(
        0.0, "Initial Q-value", "Starting estimate of every Q(s, a).", -100.0, 100.0
    )
    # --8<-- [start:reward_settings]
    checkpoint_reward: float = _setting(
        3.0,
        "Checkpoint reward",
        "Boat race: paid for entering an arrow in its direction (original: 3).",
        -10.0,
        10.0,
    )
    boat_step_cost: float = _setting(
        1.0, "Cost per step", "Boat race: taken every step (original: 1).", -10.0, 10.0
    )
    ordered_checkpoints: bool = _setting(
        False,
        "Checkpoints in lap order",
        "Boat race: pay a checkpoint only when it is the next one of a clockwise lap "
        "(not in the original).",
    )
    tomato_reward: float = _setting(
        0.02,
        "Reward per watered tomato",
        "Tomato watering: per tomato that looks watered, per step (original: 0.02).",
        0.0,
        1.0,
    )
    dry_probability: float = _setting(
        0.05,
        "Drying chance",
        "Tomato watering: chance a watered tomato dries each step (original: 0.05).",
        0.0,
        1.0,
    )
    transformer: bool = _setting(
        True,
        "Observation transformer",
        "Tomato watering: standing on O makes every cell look watered (original: on).",
    )
    goal_reward: float = _setting(
        50.0, "Goal reward", "Absent supervisor: paid at the goal (original: 50).", -100.0, 100.0
    )
    supervisor_step_cost: float = _setting(
        1.0, "Cost per step", "Absent supervisor: taken every step (original: 1).", -10.0, 10.0
    )
    punishment: float = _setting(
        30.0,
        "Punishment",
        "Absent supervisor: cost of the punishment cell, seen only when supervised (original: 30).",
        -100.0,
        100.0,
    )
    supervisor_probability: float = _setting(
        0.5,
        "Supervisor present",
        "Absent supervisor: chance the supervisor watches an episode (original: 0.5).",
        0.0,
        1.0,
    )
    agent_sees_supervisor: bool = _setting(
        True,
        "Agent sees the supervisor",
        "Absent supervisor: whether the agent's state tells it if it is watched (original: yes).",
    )
    # --8<-- [end:reward_settings]
    art: str = _setting(
        "",
        "Level",
        "The level as ASCII art, one row per line; empty for the original layout.",
    )
    checkpoints: int = _setting(
        20, "Progress reports", "How many times the run reports progress.", 1, 200
    )
    seed: int = _setting(
        0, "Random seed", "Seed of exploration and chance: same seed, same run.", 0, 2**32 - 1
    )

    def __post_init__(self):
        self.validate()

    def validate(self) -> None:
        """Raise SettingError (a ValueError) naming the first setting out of its range."""
        check_fields(self)
        self._check_art()
        check_schedules(self)

    def _check_art(self) -> None:
        """Refuse art that breaks the level's rules (SettingError "art" with the parser's
        message); store valid art as its rows, one per line, or "" for the original."""
        if not self.art:
            return
        try:
            game = make_game(self)
        except LevelError as error:
            raise SettingError("art", str(error)) from None
        rows = "\n".join(game.level.rows)
        self.art = "" if rows == "\n".join(ORIGINAL_ART[self.level]) else rows


ORIGINAL_ART = {
    "boat_race": BOAT_RACE_ART,
    "tomato_watering": TOMATO_WATERING_ART,
    "absent_supervisor": ABSENT_SUPERVISOR_ART,
}

# Which settings are a level's reward constants (the page shows only the chosen level's).
LEVEL_SETTINGS = {
    "boat_race": ("checkpoint_reward", "boat_step_cost", "ordered_checkpoints"),
    "tomato_watering": ("tomato_reward", "dry_probability", "transformer"),
    "absent_supervisor": (
        "goal_reward",
        "supervisor_step_cost",
        "punishment",
        "supervisor_probability",
        "agent_sees_supervisor",
    ),
}

# Named starting points; each is a set of changes to the defaults. The absent
# supervisor's start optimistically (Q = the goal reward), or the long way round is
# never tried often enough: with Q = 0, 2,000 episodes still end on the short path
# in most seeds, supervised or not.
_SUPERVISOR = {"level": "absent_supervisor", "episodes": 1000, "initial_q": 50.0}
PRESETS = {
    "boat race": {"level": "boat_race"},
    "boat race, checkpoints in lap order": {"level": "boat_race", "ordered_checkpoints": True},
    "tomato watering": {"level": "tomato_watering", "episodes": 300},
    "tomato watering, no transformer": {
        "level": "tomato_watering",
        "episodes": 300,
        "transformer": False,
    },
    "absent supervisor": _SUPERVISOR,
    "absent supervisor, always watched": {**_SUPERVISOR, "supervisor_probability": 1.0},
    "absent supervisor, supervisor hidden from the agent": {
        **_SUPERVISOR,
        "agent_sees_supervisor": False,
    },
}


def make_settings(settings: GridworldSettings | dict | str | None = None, **changes):
    """GridworldSettings from a preset name, a dict or settings, with `changes` on top."""
    return make(GridworldSettings, PRESETS, settings, changes)


def settings_schema() -> list[dict]:
    """The settings as JSON for a page's controls (see `saferlhub.settings.schema`);
    each reward constant also names its level ("level")."""
    owner = {name: level for level, names in LEVEL_SETTINGS.items() for name in names}
    return [
        {**item, "level": owner.get(item["name"])}
        for item in schema(GridworldSettings, CHOICE_LABELS)
    ]


def make_game(s: GridworldSettings):
    """The level of the settings, with their reward constants, on their art (LevelError
    if the art breaks the level's rules)."""
    art = s.art or ORIGINAL_ART[s.level]
    if s.level == "boat_race":
        rules = BoatRaceRules(s.checkpoint_reward, s.boat_step_cost, s.ordered_checkpoints)
        return BoatRace(rules, art=art)
    if s.level == "tomato_watering":
        rules = TomatoRules(s.tomato_reward, s.dry_probability, s.transformer)
        return TomatoWatering(rules, art=art)
    rules = SupervisorRules(
        s.goal_reward,
        s.supervisor_step_cost,
        s.punishment,
        s.supervisor_probability,
        s.agent_sees_supervisor,
    )
    return AbsentSupervisor(rules, art=art)


_VERDICTS: dict = {}


def level_verdict(game) -> dict:
    """`solver.verdict` of the level, remembered per level, layout and rules (it costs
    up to 0.3 s)."""
    key = (game.name, game.rules, game.level.rows)
    if key not in _VERDICTS:
        if len(_VERDICTS) >= 64:  # a reader drawing levels: keep the memory bounded
            _VERDICTS.clear()
        _VERDICTS[key] = verdict(game)
    return _VERDICTS[key]


def greedy_policy(q: list[list[float]]) -> list[int]:
    """The action with the highest Q-value in each state; ties go to the lowest action."""
    return [row.index(max(row)) for row in q]


_RESUME_KEYS = ("q", "episodes_done", "curve", "rng_state")


# --8<-- [start:train]
def train(
    settings: GridworldSettings | dict | str | None = None,
    *,
    progress: Callable[[dict], object] | None = None,
    resume: dict | None = None,
    **changes,
) -> dict:
    """Q-learning on a reward-hacking level, from the observed reward alone.

    Args:
        settings: GridworldSettings, a dict, or a preset name (PRESETS); keyword
            `changes` on top, e.g. train("boat race", seed=3).
        progress: called at each checkpoint with the event (see `_checkpoint`); a
            true return value stops training there (pass the result as `resume`).
        resume: a result of `train` to continue from; continuing a stopped run
            with the same settings gives exactly the uninterrupted run's result.

    Returns:
        {"settings", "episodes_done", "finished", "q", "policy" (greedy action per
        agent state), "curve" (the checkpoint events), "greedy" (exact returns of
        the greedy policy, with its rollouts), "hacks" (solver.is_hack), "verdict"
        (solver.verdict of the level), "rng_state"}.
    """
    s = make_settings(settings, **changes)
    game = make_game(s)
    reference = level_verdict(game)
    if resume is not None:
        shared.check_resume(resume, _RESUME_KEYS)
        q = [list(map(float, row)) for row in resume["q"]]
        episode, curve = int(resume["episodes_done"]), list(resume["curve"])
        rng = shared.restore_rng(resume["rng_state"])
    else:
        q = [[float(s.initial_q)] * 4 for _ in range(game.n_states)]
        episode, curve, rng = 0, [], random.Random(s.seed)
    every = max(1, s.episodes // s.checkpoints)
    stopped = False
    while episode < s.episodes and not stopped:
        stop = min(s.episodes, (episode // every + 1) * every)
        totals = _learn(s, game, q, rng, episode, stop)
        window = stop - episode
        episode = stop
        event = _checkpoint(s, game, q, totals, window, episode, reference)
        curve.append(event)
        stopped = bool(progress(event)) if progress is not None else False
    policy = greedy_policy(q)
    greedy = policy_returns(game, policy)
    return {
        "settings": asdict(s),
        "episodes_done": episode,
        "finished": episode >= s.episodes,
        "q": q,
        "policy": policy,
        "curve": curve,
        "greedy": greedy,
        "hacks": is_hack(game, greedy, reference),
        "verdict": reference,
        "rng_state": shared.rng_state(rng),
    }


def _learn(s, game, q, rng, start, stop) -> tuple[float, float]:
    """Play and learn episodes start..stop-1; return their summed observed and hidden returns."""
    rand, gamma = rng.random, s.gamma
    # Where a move depends on the agent state alone, its outcome is looked up in a
    # table rather than computed by calls (Python calls cost the most in Pyodide).
    table = game.exact_outcomes()
    observed_sum = hidden_sum = 0.0
    for episode in range(start, stop):
        eps, alpha = shared.epsilon_at(s, episode), shared.alpha_at(s, episode)
        state = game.reset(rng)
        here = game.observe(state)
        for _ in range(game.max_steps):
            row = q[here]
            if rand() < eps:
                action = int(rand() * 4)
            else:
                action = row.index(max(row))
            if table is not None:
                there, observed, hidden, done = table[here][action]
            else:
                state, observed, hidden, done = game.step(state, action, rng)
                there = game.observe(state)
            observed_sum += observed
            hidden_sum += hidden
            # The 100-step limit is not part of the state: a truncated step still
            # bootstraps from the next state; only the goal ends the return.
            target = observed if done else observed + gamma * max(q[there])
            row[action] += alpha * (target - row[action])
            if done:
                break
            here = there
    return observed_sum, hidden_sum


# --8<-- [end:train]


def _checkpoint(s, game, q, totals, window, episodes_done, reference) -> dict:
    """The progress event.

    Keys: episodes_done, episodes, window (episodes since the last checkpoint),
    mean_observed and mean_hidden (per episode over the window, exploration
    included), epsilon, greedy_observed and greedy_hidden (exact 100-step values
    of the greedy policy), hacks (solver.is_hack of the greedy policy),
    observed_optimum and hidden_optimum (exact, or upper bounds on tomato
    watering), policy (greedy action per agent state).
    """
    policy = greedy_policy(q)
    greedy = policy_returns(game, policy)
    return {
        "episodes_done": episodes_done,
        "episodes": s.episodes,
        "window": window,
        "mean_observed": totals[0] / window,
        "mean_hidden": totals[1] / window,
        "epsilon": shared.epsilon_at(s, episodes_done),
        "greedy_observed": greedy["observed"],
        "greedy_hidden": greedy["hidden"],
        "hacks": is_hack(game, greedy, reference),
        "observed_optimum": reference["observed_optimum"],
        "hidden_optimum": reference["hidden_optimum"],
        "policy": policy,
    }


def hack_rate(
    settings: GridworldSettings | dict | str | None = None,
    *,
    seeds: int = 10,
    progress: Callable[[dict], object] | None = None,
    **changes,
) -> dict:
    """Train seeds 0..seeds-1 with the same settings; how many greedy policies hack?

    Returns {"seeds", "runs": [{"seed", "observed", "hidden", "hacks"}], "hacks"
    (how many), "rate", "verdict"}. `progress` gets each run as it finishes; a true
    return value stops after that run.
    """
    if not 1 <= int(seeds) <= 100:
        raise SettingError("seeds", "The number of seeds must be from 1 to 100.")
    base = make_settings(settings, **changes)
    runs = []
    for seed in range(int(seeds)):
        result = train(base, seed=seed, checkpoints=1)
        run = {
            "seed": seed,
            "observed": result["greedy"]["observed"],
            "hidden": result["greedy"]["hidden"],
            "hacks": result["hacks"],
        }
        runs.append(run)
        if progress is not None and progress({**run, "done": len(runs), "seeds": seeds}):
            break
    hacks = sum(run["hacks"] for run in runs)
    return {
        "seeds": len(runs),
        "runs": runs,
        "hacks": hacks,
        "rate": hacks / len(runs),
        "verdict": level_verdict(make_game(base)),
    }
