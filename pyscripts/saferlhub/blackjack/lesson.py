"""JSON glue for the "RL under the hood" page: a replayed hand, worked updates, a contrast.

Nothing here learns anything new: it trains with `learners.train`, replays a hand
with `learners.play_hand`, and computes each step's Q-learning update with
`learners.q_learning_update` itself, so the numbers the page shows are those of the
code that trains. The trained Q-table stays in the worker (`_TRAINED`), so the page
can deal many hands without sending 360 rows back and forth.

References:
    R. S. Sutton and A. G. Barto, Reinforcement Learning: An Introduction, 2nd ed.,
    2018, chapter 3 (the agent-environment interface, Bellman equations) and
    section 6.5 (Q-learning).
    Gymnasium, Blackjack-v1: https://gymnasium.farama.org/environments/toy_text/blackjack/
"""

from __future__ import annotations

from collections.abc import Callable

from saferlhub.blackjack.env import is_reachable
from saferlhub.blackjack.learners import (
    make_settings,
    play_hand,
    q_learning_update,
    train,
)
from saferlhub.blackjack.solver import optimal_policy, optimal_value

# Trained results kept in the worker, by (preset, seed).
_TRAINED: dict[tuple[str, int], dict] = {}


def _trained(preset: str, seed: int) -> dict:
    key = (preset, int(seed))
    if key not in _TRAINED:
        _TRAINED[key] = train(preset, seed=int(seed))
    return _TRAINED[key]


# --8<-- [start:worked_update]
def worked_update(q, step, next_step, alpha, gamma) -> dict:
    """One step of a hand as a Q-learning update, with every number of the formula.

    target = r + gamma * max_a' Q(s', a'), or r alone when the hand ended;
    new Q(s, a) = Q(s, a) + alpha * (target - Q(s, a)), computed by
    `q_learning_update` on a copy of the two rows involved.
    """
    state, action, reward = step["state"], step["action"], float(step["reward"])
    terminated = bool(step["terminated"])
    rows = {state: list(q[state])}
    next_state = None
    if not terminated:
        next_state = next_step["state"]
        rows.setdefault(next_state, list(q[next_state]))
    q_old = rows[state][action]
    next_q = None if terminated else list(rows[next_state])
    max_next = None if terminated else max(next_q)
    target = reward if terminated else reward + gamma * max_next
    q_learning_update(rows, state, action, reward, next_state, None, terminated, alpha, gamma)
    return {
        "state": state,
        "observation": list(step["observation"]),
        "action": action,
        "action_name": step["action_name"],
        "reward": reward,
        "terminated": terminated,
        "next_observation": None if terminated else list(next_step["observation"]),
        "next_q": next_q,
        "max_next_q": max_next,
        "gamma": gamma,
        "alpha": alpha,
        "q_old": q_old,
        "target": target,
        "td_error": target - q_old,
        "q_new": rows[state][action],
    }


# --8<-- [end:worked_update]


def replay_hand(
    preset: str = "quick look",
    seed: int = 0,
    hand_seed: int = 0,
    progress: Callable[[dict], object] | None = None,
) -> dict:
    """Train (once per preset and seed) and replay one hand greedily, step by step.

    Returns {"preset", "seed", "episodes", "gap", "alpha" (the learning rate at the
    end of training, used for the worked updates), "gamma", "hand" (`play_hand`'s
    result, each step with an extra "update": `worked_update`'s numbers)}.
    """
    if (preset, int(seed)) not in _TRAINED and progress is not None:
        progress({"stage": "training", "preset": preset})
    result = _trained(preset, seed)
    s = make_settings(result["settings"])
    q = result["q"]
    alpha = result["curve"][-1]["alpha"]
    hand = play_hand(q, seed=int(hand_seed), natural=s.natural, sab=s.sab)
    steps = hand["steps"]
    for i, step in enumerate(steps):
        following = steps[i + 1] if i + 1 < len(steps) else None
        step["update"] = worked_update(q, step, following, alpha, s.gamma)
    return {
        "preset": preset,
        "seed": int(seed),
        "episodes": result["episodes_done"],
        "gap": result["gap"],
        "alpha": alpha,
        "gamma": s.gamma,
        "hand": hand,
    }


def _summary(result: dict, best_policy: list[int]) -> dict:
    visits = result["visits"]
    reachable = [state for state in range(len(visits)) if is_reachable(state)]
    never_tried = sum(1 for state in reachable for n in visits[state] if n == 0)
    differs = sum(1 for state in reachable if result["policy"][state] != best_policy[state])
    return {
        "greedy_value": result["greedy_value"],
        "gap": result["gap"],
        "never_tried": never_tried,
        "policy_differs": differs,
    }


# --8<-- [start:exploration_contrast]
# The runs of the exploration contrast: (name, changes to the preset). Q starts at 0 in
# the preset, which is *optimistic* in Blackjack (nearly every true value is negative),
# so a greedy agent still tries both actions; a pessimistic start (-1, the worst payoff)
# shows what happens without any exploration, and +1 shows optimism as exploration.
CONTRAST_RUNS = (
    ("explore", {}),
    ("greedy_pessimistic", {"epsilon_start": 0.0, "epsilon_min": 0.0, "initial_q": -1.0}),
    ("explore_pessimistic", {"initial_q": -1.0}),
    ("greedy_zero", {"epsilon_start": 0.0, "epsilon_min": 0.0, "initial_q": 0.0}),
    ("greedy_optimistic", {"epsilon_start": 0.0, "epsilon_min": 0.0, "initial_q": 1.0}),
)


def exploration_contrast(
    preset: str = "default",
    seeds: list[int] | tuple[int, ...] = (0, 1, 2, 3, 4),
    progress: Callable[[dict], object] | None = None,
) -> dict:
    """The preset's run with and without exploration, from three initial Q-values, per seed.

    Returns {"preset", "seeds", "optimal_value", "pairs" (reachable state-action
    pairs), "runs": [{"name", "epsilon_start", "epsilon_min", "initial_q",
    "per_seed": [{"seed", "greedy_value", "gap", "never_tried" (pairs never
    updated), "policy_differs" (reachable states whose greedy action differs from
    the optimal one)}], "gap_mean", "gap_min", "gap_max", "never_tried_mean",
    "policy_differs_mean"}]}.
    """
    seeds = [int(seed) for seed in seeds]
    if not seeds:
        raise ValueError("seeds must name at least one seed")
    s = make_settings(preset)
    best = optimal_policy(s.natural, s.sab)["policy"]
    runs, done, total = [], 0, len(CONTRAST_RUNS) * len(seeds)
    for name, changes in CONTRAST_RUNS:
        settings = make_settings(preset, checkpoints=1, **changes)
        per_seed = []
        for seed in seeds:
            if progress is not None:
                progress({"stage": name, "seed": seed, "done": done, "total": total})
            result = train(settings, seed=seed)
            per_seed.append({"seed": seed, **_summary(result, best)})
            done += 1
        gaps = [r["gap"] for r in per_seed]
        runs.append(
            {
                "name": name,
                "epsilon_start": settings.epsilon_start,
                "epsilon_min": settings.epsilon_min,
                "initial_q": settings.initial_q,
                "per_seed": per_seed,
                "gap_mean": sum(gaps) / len(gaps),
                "gap_min": min(gaps),
                "gap_max": max(gaps),
                "never_tried_mean": sum(r["never_tried"] for r in per_seed) / len(seeds),
                "policy_differs_mean": sum(r["policy_differs"] for r in per_seed) / len(seeds),
            }
        )
    pairs = 2 * sum(1 for state in range(len(best)) if is_reachable(state))
    return {
        "preset": preset,
        "seeds": seeds,
        "optimal_value": optimal_value(s.natural, s.sab),
        "pairs": pairs,
        "runs": runs,
    }


# --8<-- [end:exploration_contrast]
