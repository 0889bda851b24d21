"""Proxy rewards in Blackjack: what an agent learns from a reward that sounds right.

The Blackjack trainer offers two proxy rewards (`blackjack.learners.REWARD_PRESETS`):
"avoid busting" (+1 for every hand finished without busting) and "blame only
busts" (a loss to the dealer costs nothing, only a bust does). Each is a reward
misspecification: a designer's shorthand for "play well" that a perfect optimiser
takes literally. Blackjack is small enough to answer exactly what each proxy
costs: the dynamic-programming solver finds the policy that is best for the
proxy, and the same solver scores it under the game's real payoffs.

Everything here is exact except `train_on_proxy`, which trains the tabular
learner on the proxy and then scores its greedy policy exactly under both.
"""

from __future__ import annotations

from saferlhub.blackjack.learners import REWARD_PRESETS, greedy_policy, train
from saferlhub.blackjack.solver import (
    PolicyEvaluator,
    optimal_policy,
    outcome_probabilities,
)

PROXIES = ("avoid busting", "blame only busts")
# The trainer's presets that train on each proxy (blackjack.learners.PRESETS).
TRAINER_PRESETS = {
    "avoid busting": "avoid busting (proxy reward)",
    "blame only busts": "blame only busts (proxy reward)",
}


def _row(name: str, policy: list[int], natural: bool, sab: bool) -> dict:
    payoffs = REWARD_PRESETS[name]
    probabilities = outcome_probabilities(policy, natural, sab)
    return {
        "reward": name,
        "payoffs": payoffs,
        "proxy_value": PolicyEvaluator(natural, sab, payoffs).value(policy),
        "true_value": PolicyEvaluator(natural, sab).value(policy),
        "win": probabilities["win"] + probabilities["natural_win"],
        "draw": probabilities["draw"],
        "loss": probabilities["loss"],
        "bust": probabilities["bust"],
        "hit_states": sum(policy),
    }


def proxy_report(natural: bool = False, sab: bool = False) -> dict:
    """The policy that is best for each reward (the game's and the two proxies), exactly.

    Returns {"rows": [{"reward", "payoffs", "proxy_value" (expected reward it is
    optimised for), "true_value" (expected game payoff), "win", "draw", "loss",
    "bust" (probabilities; loss excludes busts), "hit_states" (states where it
    hits, of 560 numbered)}], "optimal_value"} with the game's row first.
    """
    rows = []
    for name in ("game", *PROXIES):
        best = optimal_policy(natural, sab, REWARD_PRESETS[name])
        rows.append(_row(name, best["policy"], natural, sab))
    return {"rows": rows, "optimal_value": rows[0]["true_value"]}


def train_on_proxy(name: str, episodes: int = 100_000, seed: int = 0, progress=None) -> dict:
    """Train the trainer's default learner on a proxy; score its greedy policy exactly.

    Returns the `proxy_report` row of the learned greedy policy, plus "episodes",
    "seed" and "mean_proxy_reward" (the proxy reward per hand over the last
    checkpoint's training hands, exploration included).
    """
    if name not in PROXIES:
        raise ValueError(f"proxy must be one of {', '.join(PROXIES)}; got {name!r}")
    result = train(TRAINER_PRESETS[name], episodes=episodes, seed=seed, progress=progress)
    row = _row(name, greedy_policy(result["q"]), False, False)
    row.update(
        episodes=result["episodes_done"],
        seed=seed,
        mean_proxy_reward=result["curve"][-1]["mean_reward"],
    )
    return row
