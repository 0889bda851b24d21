"""95% intervals for the site's rates and means, in one place.

Two Wilson functions compute the same interval with the floating-point operations in
a different order, so their results differ in the last bits: each is the one that
wrote figures the site commits (model cards, the scoreboard, measured dials), and
the tests compare those figures exactly. Use `wilson_interval` in new code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959964  # the standard normal's 97.5th percentile


def wilson_interval(successes: int, trials: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of a binomial rate (95% by default); (0, 1) without trials."""
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    centre = p + z * z / (2 * trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    denominator = 1 + z * z / trials
    return max(0.0, (centre - spread) / denominator), min(1.0, (centre + spread) / denominator)


def wilson_rate_interval(successes: int, trials: int, z: float = Z95) -> list[float] | None:
    """The Wilson score interval as the maze battery reports it: a list, None without
    trials (the battery's and the dial's committed figures were computed this way)."""
    if trials == 0:
        return None
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return [max(0.0, centre - half), min(1.0, centre + half)]


def mean_interval(values: Sequence[float], z: float = Z95) -> list[float] | None:
    """Normal-approximation 95% interval of a mean (None for fewer than 2 values)."""
    n = len(values)
    if n < 2:
        return None
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    return [mean - z * sd / math.sqrt(n), mean + z * sd / math.sqrt(n)]
