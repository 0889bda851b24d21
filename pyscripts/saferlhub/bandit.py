"""The k-armed bandit testbed (Sutton and Barto, 2nd ed., section 2.3).

The smallest reinforcement-learning problem: one state, k actions ("arms"),
each paying a noisy reward around a hidden mean. An epsilon-greedy learner
keeps a running average of each arm's rewards and usually pulls the best-looking
arm, exploring at random with probability epsilon.
"""

from __future__ import annotations

import random
from collections.abc import Callable


def greedy_arm(estimates: list[float], rng: random.Random) -> int:
    """The arm with the highest estimate, ties broken at random."""
    best = max(estimates)
    return rng.choice([arm for arm, value in enumerate(estimates) if value == best])


# --8<-- [start:run_testbed]
def run_testbed(
    arms: int = 10,
    steps: int = 1000,
    runs: int = 200,
    epsilon: float = 0.1,
    initial_estimate: float = 0.0,
    seed: int = 0,
    progress: Callable[[dict], None] | None = None,
) -> dict:
    """Average epsilon-greedy learning curves over `runs` independent bandit problems.

    Each problem draws true arm values from N(0, 1); a pull of arm a pays N(q*(a), 1).
    Estimates are sample averages started at `initial_estimate`.

    Returns {"mean_reward": [per step], "optimal_action": [fraction per step]}.
    `progress`, if given, receives {"runs_done", "runs"} about every 5% of the runs.
    """
    if arms < 2 or steps < 1 or runs < 1:
        raise ValueError("need at least 2 arms, 1 step and 1 run")
    if not 0.0 <= epsilon <= 1.0:
        raise ValueError(f"epsilon must be in [0, 1], got {epsilon}")
    rng = random.Random(seed)
    reward_sum = [0.0] * steps
    optimal_count = [0] * steps
    report_every = max(1, runs // 20)
    for run in range(runs):
        true_values = [rng.gauss(0.0, 1.0) for _ in range(arms)]
        best_arm = max(range(arms), key=true_values.__getitem__)
        estimates = [initial_estimate] * arms
        pulls = [0] * arms
        for t in range(steps):
            if rng.random() < epsilon:
                arm = rng.randrange(arms)
            else:
                arm = greedy_arm(estimates, rng)
            reward = rng.gauss(true_values[arm], 1.0)
            pulls[arm] += 1
            estimates[arm] += (reward - estimates[arm]) / pulls[arm]
            reward_sum[t] += reward
            optimal_count[t] += arm == best_arm
        if progress is not None and ((run + 1) % report_every == 0 or run + 1 == runs):
            progress({"runs_done": run + 1, "runs": runs})
    return {
        "mean_reward": [total / runs for total in reward_sum],
        "optimal_action": [count / runs for count in optimal_count],
    }


# --8<-- [end:run_testbed]
