"""The remedy as a dial: train with a share of test-like levels, over several seeds.

For each share of training levels drawn from the test distribution, train one agent
per seed with the same settings and score each on the same held-out test levels.
Per share: the mean share of the test optimum the agents reach (with a 95% interval
over seeds) and the share of test episodes lost to the wrong goal and to wandering
(Wilson 95% intervals over all seeds' episodes pooled), and each seed's numbers, so
a reader can see whether seeds change which goal is learned.
"""

from __future__ import annotations

from collections.abc import Callable

from saferlhub.goal_misgeneralization.learner import make_settings, train
from saferlhub.intervals import mean_interval, wilson_rate_interval

SHARES = (0.0, 1.0, 2.0, 5.0, 10.0, 25.0)

# The page's live dial: small enough to run in a few seconds in the browser.
DEFAULT_DIAL = {"world": "coin", "seeds": 3, "episodes": 300, "test_levels": 50}
# The measurement the page cites (benchmarks/goal_misgeneralization_dial.py --write).
MEASURED_RUN = {"seeds": 10, "episodes": 300, "test_levels": 100}


# --8<-- [start:dial]
def dial(
    world: str = "coin",
    shares: list[float] | tuple[float, ...] = SHARES,
    seeds: int = 3,
    episodes: int = 300,
    test_levels: int = 50,
    progress: Callable[[dict], object] | None = None,
) -> dict:
    """Train `seeds` agents (seeds 0, 1, ...) at each share; score each on the same
    test levels (those of seed 0). A true return of `progress` (called after each
    run) stops the dial after that run.

    Returns {"world", "seeds", "episodes", "test_levels", "finished", "rows": one per
    share finished: {"share", "runs": [{"seed", "share_of_optimum", "wrong_goal",
    "incompetent", "optimal"}], "share_of_optimum", "share_of_optimum_interval",
    "wrong_goal_rate", "wrong_goal_interval", "incompetent_rate",
    "incompetent_interval"}, "fixed_at": the smallest share at which no seed's agent
    pursued the wrong goal on more than 5% of test levels (None if none)}.
    """
    if not 1 <= int(seeds) <= 20:
        raise ValueError("seeds must be from 1 to 20")
    rows, finished, total, done = [], True, len(shares) * int(seeds), 0
    for share in shares:
        runs = []
        for seed in range(int(seeds)):
            s = make_settings(
                world=world,
                test_share=share,
                seed=seed,
                episodes=episodes,
                test_levels=test_levels,
                checkpoints=1,
            )
            test = train(s, test_seed=0)["test"]
            runs.append(
                {
                    "seed": seed,
                    "share_of_optimum": test["share_of_optimum"],
                    "wrong_goal": test["wrong_goal"],
                    "incompetent": test["incompetent"],
                    "optimal": test["optimal"],
                }
            )
            done += 1
            if progress is not None and progress(
                {"share": share, "seed": seed, "done": done, "of": total, **runs[-1]}
            ):
                finished = False
                break
        if len(runs) == int(seeds):
            rows.append(_row(share, runs, test_levels))
        if not finished:
            break
    return {
        "world": world,
        "seeds": int(seeds),
        "episodes": episodes,
        "test_levels": test_levels,
        "finished": finished,
        "rows": rows,
        "fixed_at": next(
            (
                r["share"]
                for r in rows
                if max(run["wrong_goal"] for run in r["runs"]) <= 0.05 * test_levels
            ),
            None,
        ),
    }


# --8<-- [end:dial]


def _row(share: float, runs: list[dict], test_levels: int) -> dict:
    n = len(runs) * test_levels
    wrong = sum(r["wrong_goal"] for r in runs)
    lost = sum(r["incompetent"] for r in runs)
    values = [r["share_of_optimum"] for r in runs]
    spread = mean_interval(values)
    return {
        "share": share,
        "runs": runs,
        "share_of_optimum": _rounded(sum(values) / len(values)),
        # A share of the optimum lies in [0, 1]; the normal approximation may not.
        "share_of_optimum_interval": spread
        and [_rounded(max(0.0, spread[0])), _rounded(min(1.0, spread[1]))],
        "wrong_goal_rate": wrong / n,
        "wrong_goal_interval": [_rounded(x) for x in wilson_rate_interval(wrong, n)],
        "incompetent_rate": lost / n,
        "incompetent_interval": [_rounded(x) for x in wilson_rate_interval(lost, n)],
    }


def _rounded(x: float) -> float:
    """Four decimals: enough for a page, and no 2e-19 where the interval starts at 0."""
    return round(x, 4) + 0.0
