"""Which input cells matter: saliency and integrated gradients, per plane.

Both read the agent's `q_gradient` file, which answers q and
d(sum_a weights[a] * q[a]) / d obs for each row (an explicit backward pass,
checked against torch.autograd when exported). The objective is a weighting
of the four Q-values: one action (`objective("down")`), or the difference of two
(`objective("left", minus="right")`: "toward the human minus toward the exit").

* Saliency: the gradient itself at the state (Simonyan et al. 2014): how Q would
  change for an infinitesimal change of each input.
* Integrated gradients (Sundararajan, Taly and Yan 2017): (x - x') times the
  gradient averaged along the straight path from a baseline x' to x. Its
  completeness axiom says the attributions add up to F(x) - F(x'); with a finite
  number of steps (the midpoint rule here) they do only approximately, so
  every result reports that error and the number of steps.

Baselines: "empty" (the same finish and agent, no walls, crops or humans),
"zeros" (all inputs 0), "training_average" (the mean input over training
states), or any 245 floats.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from functools import lru_cache

from saferlhub.maze.encoding import (
    AGENT_PLANE,
    FINISH_PLANE,
    INPUT_SIZE,
    PLANE_OFFSETS,
    PLANE_SIZE,
    encode,
)
from saferlhub.maze.grid import SIZE
from saferlhub.maze.interp.hooks import Model
from saferlhub.maze.network_calls import ACTIONS, NetworkCall, rows_of

ACTION_NAMES = ("up", "down", "left", "right")
BASELINES = ("empty", "zeros", "training_average")
# Midpoint steps: on 20 training states of the planted agent ("left" minus "right", empty
# baseline) the completeness error was at most 1.19 with 8 steps, 0.29 with 32, 0.063 with
# 128 and 0.011 with 512 (tests/export/test_interp.py).
IG_STEPS = 128


def objective(action: str | int, minus: str | int | None = None) -> list[float]:
    """Weights on the four Q-values: Q(action), or Q(action) - Q(minus)."""

    def index(a: str | int) -> int:
        return ACTION_NAMES.index(a) if isinstance(a, str) else int(a)

    weights = [0.0] * ACTIONS
    weights[index(action)] += 1.0
    if minus is not None:
        weights[index(minus)] -= 1.0
    return weights


def per_plane(values: Sequence[float]) -> dict[str, list[list[float]]]:
    """245 values as {plane name: 7 rows of 7}."""
    return {
        name: [[values[offset + r * SIZE + c] for c in range(SIZE)] for r in range(SIZE)]
        for name, offset in PLANE_OFFSETS.items()
    }


def plane_totals(values: Sequence[float]) -> dict[str, float]:
    """The sum of `values` over each plane."""
    return {name: sum(values[o : o + PLANE_SIZE]) for name, o in PLANE_OFFSETS.items()}


@lru_cache(maxsize=1)
def training_average(count: int = 200, seed: int = 0) -> tuple[float, ...]:
    """The mean input over `count` training-distribution mazes ("train" split), the agent
    on every open cell without an item that is not the finish."""
    from saferlhub.maze.generators import maze_set  # only this baseline needs the generators

    total = [0.0] * INPUT_SIZE
    n = 0
    for maze in maze_set("training", count, seed=seed, split="train"):
        for pos in maze.open_cells:
            if pos != maze.finish and pos not in maze.items:
                for i, v in enumerate(encode(maze, pos)):
                    if v:
                        total[i] += v
                n += 1
    return tuple(v / n for v in total)


def baseline_for(state: Sequence[float], baseline: str | Sequence[float]) -> list[float]:
    """The baseline input for `state` (see the module docstring)."""
    if not isinstance(baseline, str):
        if len(baseline) != INPUT_SIZE:
            raise ValueError(f"a baseline has {INPUT_SIZE} values, got {len(baseline)}")
        return [float(v) for v in baseline]
    if baseline == "zeros":
        return [0.0] * INPUT_SIZE
    if baseline == "empty":
        row = [0.0] * INPUT_SIZE
        for plane in (FINISH_PLANE, AGENT_PLANE):
            row[plane] = [float(v) for v in state[plane]]
        return row
    if baseline == "training_average":
        return list(training_average())
    raise ValueError(f"unknown baseline {baseline!r}; choose from {BASELINES} or give 245 values")


def gradient_call(model: Model, rows: Sequence[Sequence[float]], weights: Sequence[float]):
    obs, w = array("f"), array("f")
    for row in rows:
        obs.extend(row)
        w.extend(weights)
    return NetworkCall(
        model.with_file("q_gradient").name,
        len(rows),
        {"obs": obs, "weights": w},
        {"obs": INPUT_SIZE, "weights": ACTIONS},
        outputs={"q": ACTIONS, "grad": INPUT_SIZE},
    )


def saliency(model: Model, states: Sequence[Sequence[float]], weights: Sequence[float]):
    """Stepper: [{"q", "value" (weights . q), "gradient" (245)}] per state, one call."""
    call = gradient_call(model, states, weights)
    (answer,) = yield [call]
    out = call.check(answer)
    q_rows, grads = rows_of(out["q"], ACTIONS), rows_of(out["grad"], INPUT_SIZE)
    return [
        {"q": q, "value": _dot(weights, q), "gradient": g}
        for q, g in zip(q_rows, grads, strict=True)
    ]


def _dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def integrated_gradients(
    model: Model,
    states: Sequence[Sequence[float]],
    weights: Sequence[float],
    *,
    baseline: str | Sequence[float] = "empty",
    steps: int = IG_STEPS,
):
    """Stepper: integrated gradients of weights . q for each state, one call of
    states x (steps + 2) rows (the midpoint of each step, the state and the baseline).

    Returns per state {"attributions" (245), "value" F(x), "baseline_value" F(x'),
    "sum" (of the attributions), "completeness_error" (sum - (F(x) - F(x'))),
    "steps", "baseline"}.
    """
    if steps < 1:
        raise ValueError("steps must be at least 1")
    alphas = [(k + 0.5) / steps for k in range(steps)]
    rows, bases = [], []
    for state in states:
        base = baseline_for(state, baseline)
        bases.append(base)
        delta = [x - b for x, b in zip(state, base, strict=True)]
        for alpha in alphas:
            rows.append([b + alpha * d for b, d in zip(base, delta, strict=True)])
        rows.append(list(state))
        rows.append(base)
    call = gradient_call(model, rows, weights)
    (answer,) = yield [call]
    out = call.check(answer)
    q_rows, grads = rows_of(out["q"], ACTIONS), rows_of(out["grad"], INPUT_SIZE)
    per_state = steps + 2
    results = []
    for s, (state, base) in enumerate(zip(states, bases, strict=True)):
        first = s * per_state
        mean = [0.0] * INPUT_SIZE
        for g in grads[first : first + steps]:
            mean = [m + v for m, v in zip(mean, g, strict=True)]
        attributions = [(x - b) * m / steps for x, b, m in zip(state, base, mean, strict=True)]
        value = _dot(weights, q_rows[first + steps])
        baseline_value = _dot(weights, q_rows[first + steps + 1])
        total = sum(attributions)
        results.append(
            {
                "attributions": attributions,
                "value": value,
                "baseline_value": baseline_value,
                "sum": total,
                "completeness_error": total - (value - baseline_value),
                "steps": steps,
                "baseline": baseline if isinstance(baseline, str) else "custom",
            }
        )
    return results
