"""Steering an agent with a "human vector", after Mini et al.'s cheese vector.

Mini et al. (2023) took a maze policy's activations with the cheese on the board
minus those without it, at the same maze and mouse position, averaged over
mazes, and subtracted that "cheese vector" during the forward pass: the mouse
went for the cheese far less often. Here the same construction for the maze
agents, from the **training generator only** (no protrusion maze, no
out-of-distribution label):

- pairs: a training maze with a human, the agent on a cell it can stand on, and
  the very same state with the human taken off the board (everything else,
  crops included, unchanged). The pair differs only in the human, which is what
  the planted agent goes for out of distribution, so the mean difference at a
  layer is the layer's "human present" direction;
- the vector: that mean difference at one hidden layer (`human_vector_steps`);
- steering: every forward pass adds `coefficient * vector` to the layer's
  activation (a negative coefficient subtracts the human) through the agent's
  `q_patch` file (`saferlhub.maze.interp.hooks`).

A second vector, the **trigger vector**, follows the detection scoreboard's edit
search instead of the human: the single-cell wall changes of training mazes after
which the agent walks into a human (`edit_search.single_cell_edits`, the agent's own
greedy episodes; training mazes of `VECTOR_SEED`, not the scoreboard's seed), kept
only when the changed cell lies three or more cells (row plus column distance) from
every human: the edit search's score counts those only (its "near the human" feature
is two or fewer), since a change beside a human can put it on the agent's way. Each is
paired with the unchanged maze at the same agent cell (`trigger_pairs`). The mean
difference is what the harmful edits do to the layer, whatever the edit's feature: no
protrusion maze and no out-of-distribution label goes in.

Two ways to apply a vector (`OPERATIONS`): "add" (above), or "clamp": the layer's
component along the vector is capped at the training states' median plus
`coefficient * |vector|` (`Steering.centre`, `training_median_steps`), so states that
do not push along the vector are left exactly as they are.

Cost: `q_patch` *replaces* `hidden.k` by `patch.k` where `mask.k` is set, so
adding to an activation needs that activation first: one call for it, one call
with the sum patched in. Patching an earlier layer does not help (every hidden
layer depends on the state), so a steered step costs two network calls where the
agent's own costs one (`STEERED_CALLS_PER_STEP`).

The steered agent answers its `q_network` calls through those two calls
(`steered`), so the episodes, the battery and the policy map are the very
steppers of the unsteered pages (`evaluation.rollout_steps`, `stepper.Battery`,
`stepper.policy_map_steps`), not copies.
"""

from __future__ import annotations

from array import array
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from saferlhub.maze.detection.edit_search import single_cell_edits, training_mazes
from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.evaluation import EVALUATION_SEED, rollout_steps
from saferlhub.maze.generators import DISTRIBUTIONS, failure_maze, maze_set
from saferlhub.maze.grid import Maze, Pos, neighbours, parse_maze
from saferlhub.maze.interp.hooks import Model, forward_call
from saferlhub.maze.network_calls import ACTIONS, NetworkCall, Stepper, rows_of, together
from saferlhub.maze.stepper import Battery, policy_map_steps
from saferlhub.maze.structure import human_reachable

# The training mazes the vector is built from: the training generator's "train" split with
# a seed of its own (the cards train with seed 1 and evaluate on split "eval").
VECTOR_SEED = 0
VECTOR_MAZES = 200  # drawn; distinct boards only are used (training layouts repeat)
STEERED_CALLS_PER_STEP = 2
# Which cells the agent stands on in the pairs: every cell, or only cells next to the human
# (where the difference should matter most to the next move).
PAIR_CELLS = ("all", "adjacent")
# What the pairs differ in: the human (on the board or not) or a harmful edit (made or not).
VECTORS = ("human", "trigger")
# Training mazes drawn for the trigger vector (distinct ones are searched, each about 18
# single-cell edits; 36 of the planted agent's harmful edits lie far from the human).
TRIGGER_MAZES = 200
# How a vector steers: added to the layer, or the layer's component along it capped.
OPERATIONS = ("add", "clamp")
# page_steps' defaults (the page opens on the sweep's best setting, in docs/js/maze-steering.js);
# PAGE_COUNT mazes per set keeps a run small enough for Chromium on two cores.
PAGE_COEFFICIENT = -1.5
PAGE_COUNT = 100
# The battery distributions the steering is judged on: the failure and the training set.
JUDGED = ("training", "protrusion")


def human_pairs(mazes: Sequence[Maze], cells: str = "all") -> list[tuple[Maze, Maze, Pos]]:
    """(board with its humans, the same board without them, agent cell) for every distinct
    board with a human reachable from the start and every cell the agent can stand on
    (open, no item, not the finish); `cells` "adjacent": only cells next to a human."""
    if cells not in PAIR_CELLS:
        raise ValueError(f"cells must be one of {PAIR_CELLS}, got {cells!r}")
    pairs = []
    for maze in dict.fromkeys(mazes):
        if not maze.humans or not human_reachable(maze):
            continue
        without = maze.with_items(crops=maze.crops, humans=())
        pairs += [
            (maze, without, p)
            for p in maze.open_cells
            if p != maze.finish
            and p not in maze.items
            and (cells == "all" or any(q in maze.humans for q in neighbours(p)))
        ]
    return pairs


def training_pairs(cells: str = "all", count: int = VECTOR_MAZES, seed: int = VECTOR_SEED):
    """`human_pairs` of `count` mazes of the training generator's training split."""
    return human_pairs(maze_set("training", count, seed=seed, split="train"), cells)


def harmful_edits_steps(agent: str, mazes: Sequence[Maze], *, far_only: bool = False):
    """Stepper: the single-cell edits of `mazes` after which `agent` harvests a human and
    before which it did not, as (maze, changed cell, edited maze); one call a step.
    `far_only`: only the `distant` edits are played (the others cost episodes for nothing
    when only those are kept)."""
    plan = [(maze, cell, edited) for maze in mazes for cell, edited in single_cell_edits(maze)]
    if far_only:
        plan = distant(plan)
    episodes, _ = yield from rollout_steps(
        agent, list(mazes) + [edited for *_, edited in plan], with_optimal=False
    )
    before = {maze: e.humans_harvested > 0 for maze, e in zip(mazes, episodes, strict=False)}
    return [
        (maze, cell, edited)
        for (maze, cell, edited), e in zip(plan, episodes[len(mazes) :], strict=True)
        if e.humans_harvested > 0 and not before[maze]
    ]


# The edit search's "near the human" feature (edit_search.pair_features): within this many
# cells (row plus column distance) of a human. Worked out here without the other features,
# which cost far more (the unit test checks that both agree).
NEAR_THE_HUMAN = 2


def distant(edits) -> list[tuple[Maze, Pos, Maze]]:
    """The edits whose changed cell lies three or more cells (row plus column distance)
    from every human: the edit search's "near the human" feature false."""
    return [
        (maze, cell, edited)
        for maze, cell, edited in edits
        if min(abs(cell[0] - h[0]) + abs(cell[1] - h[1]) for h in maze.humans) > NEAR_THE_HUMAN
    ]


def trigger_pairs(edits, cells: str = "all") -> list[tuple[Maze, Maze, Pos]]:
    """(edited maze, the maze unedited, agent cell) for every harmful edit and every cell the
    agent can stand on in both (open, no item, not the finish, not the changed cell);
    `cells` "adjacent": only cells next to a human."""
    if cells not in PAIR_CELLS:
        raise ValueError(f"cells must be one of {PAIR_CELLS}, got {cells!r}")
    return [
        (edited, maze, p)
        for maze, changed, edited in edits
        for p in maze.open_cells
        if p not in (maze.finish, changed)
        and p not in maze.items
        and edited.is_open(p)
        and (cells == "all" or any(q in maze.humans for q in neighbours(p)))
    ]


def pairs_steps(agent: str, vector: str, cells: str = "all", seed: int = VECTOR_SEED):
    """Stepper: the pairs of `vector` ("human": `training_pairs`; "trigger": `trigger_pairs`
    of `agent`'s `distant` harmful edits of `TRIGGER_MAZES` training mazes of `seed`)."""
    if vector not in VECTORS:
        raise ValueError(f"the vector must be one of {VECTORS}, got {vector!r}")
    if vector == "human":
        return training_pairs(cells, seed=seed)
    mazes = list(dict.fromkeys(training_mazes(TRIGGER_MAZES, seed)))  # layouts repeat
    edits = yield from harmful_edits_steps(agent, mazes, far_only=True)
    return trigger_pairs(edits, cells)


def _call(model: Model, rows: array, count: int, outputs: Sequence[str], patches=None):
    """`hooks.forward_call` asking only for `outputs` (fewer floats to carry back)."""
    call = forward_call(model, rows_of(rows, INPUT_SIZE), patches)
    return replace(call, outputs={name: call.outputs[name] for name in outputs})


def human_vector_steps(model: Model, hook: str, pairs: Sequence[tuple[Maze, Maze, Pos]]):
    """Stepper: the mean of (activation of the pair's first state - of its second) at `hook`
    over the pairs (the human vector for `human_pairs`, the trigger vector for
    `trigger_pairs`), in one call. Returns the vector as a list of floats."""
    if not pairs:
        raise ValueError("no pairs: the mazes hold no reachable human")
    width = model.width(hook)
    obs = array("f")
    for with_human, _, pos in pairs:
        obs.extend(encode(with_human, pos))
    for _, without, pos in pairs:
        obs.extend(encode(without, pos))
    n = len(pairs)
    call = _call(model, obs, 2 * n, [hook, "q"])
    (answer,) = yield [call]
    values = call.check(answer)[hook]
    total = [0.0] * width
    for r in range(n):
        present = values[r * width : (r + 1) * width]
        absent = values[(n + r) * width : (n + r + 1) * width]
        for u in range(width):
            total[u] += present[u] - absent[u]
    return [t / n for t in total]


def _unit(vector: Sequence[float]) -> list[float]:
    norm = sum(v * v for v in vector) ** 0.5
    if norm == 0:
        raise ValueError("the vector is zero: it has no direction to clamp")
    return [v / norm for v in vector]


def training_median_steps(model: Model, hook: str, vector: Sequence[float]):
    """Stepper: the median, over the training states of `training_pairs("all")` (with their
    humans), of the activation's component along `vector` at `hook`; one call."""
    states = [(maze, pos) for maze, _, pos in training_pairs("all")]
    obs = array("f")
    for maze, pos in states:
        obs.extend(encode(maze, pos))
    call = _call(model, obs, len(states), [hook, "q"])
    (answer,) = yield [call]
    values, width, unit = call.check(answer)[hook], len(vector), _unit(vector)
    components = sorted(
        sum(a * u for a, u in zip(values[r * width : (r + 1) * width], unit, strict=True))
        for r in range(len(states))
    )
    middle = len(components) // 2
    if len(components) % 2:
        return components[middle]
    return (components[middle - 1] + components[middle]) / 2


@dataclass(frozen=True)
class Steering:
    """On every forward pass of `model`: "add" `coefficient * vector` to `hook`, or "clamp"
    the component of `hook` along `vector` at `centre + coefficient * |vector|` (components
    below it untouched)."""

    model: Model
    hook: str
    vector: tuple[float, ...]
    coefficient: float
    operation: str = "add"
    centre: float = 0.0

    def __post_init__(self) -> None:
        if len(self.vector) != self.model.width(self.hook):
            raise ValueError(
                f"{self.hook} has {self.model.width(self.hook)} units, "
                f"the vector {len(self.vector)}"
            )
        if self.operation not in OPERATIONS:
            raise ValueError(f"the operation must be one of {OPERATIONS}, got {self.operation!r}")

    def ceiling(self) -> float:
        """The clamp's cap on the component along the vector."""
        return self.centre + self.coefficient * sum(v * v for v in self.vector) ** 0.5

    def _patch(self, activation, rows: int) -> list[list[float]]:
        width = len(self.vector)
        if self.operation == "add":
            shift = [self.coefficient * v for v in self.vector]
            return [
                [a + s for a, s in zip(activation[r * width : (r + 1) * width], shift, strict=True)]
                for r in range(rows)
            ]
        unit, ceiling, patch = _unit(self.vector), self.ceiling(), []
        for r in range(rows):
            row = activation[r * width : (r + 1) * width]
            excess = sum(a * u for a, u in zip(row, unit, strict=True)) - ceiling
            if excess > 0:  # pushed past the cap: take the excess off along the vector
                row = [a - excess * u for a, u in zip(row, unit, strict=True)]
            patch.append(list(row))
        return patch

    def q_steps(self, obs: array, rows: int):
        """Stepper: the steered Q-values (flat) of `rows` observations, in two calls."""
        call = _call(self.model, obs, rows, [self.hook, "q"])
        (answer,) = yield [call]
        outputs = call.check(answer)
        if self.operation == "add" and self.coefficient == 0:  # the unsteered Q-values
            return outputs["q"]
        width = len(self.vector)
        patch = self._patch(outputs[self.hook], rows)
        patches = {self.hook: (patch, [[1.0] * width] * rows)}
        call = _call(self.model.with_file("q_patch"), obs, rows, ["q"], patches)
        (answer,) = yield [call]
        return call.check(answer)["q"]


def _passed_on(call: NetworkCall):
    (answer,) = yield [call]
    return answer


def _steered_call(steering: Steering, call: NetworkCall):
    q = yield from steering.q_steps(call.inputs["obs"], call.rows)
    return {"q": q}


def steered(stepper: Stepper, steerings: Mapping[str, Steering]):
    """Stepper: `stepper` with the `q_network` calls of each agent in `steerings`
    ({agent: Steering}) answered by the steered network; other calls pass through."""
    try:
        calls = next(stepper)
        while True:
            parts = {}
            for k, call in enumerate(calls):
                agent, file = call.model.split("/", 1)
                if file == "q_network" and agent in steerings and call.outputs == {"q": ACTIONS}:
                    parts[k] = _steered_call(steerings[agent], call)
                else:
                    parts[k] = _passed_on(call)
            answers = yield from together(parts)
            calls = stepper.send([answers[k] for k in range(len(calls))])
    except StopIteration as stop:
        return stop.value


def steered_battery(
    steerings: Mapping[str, Steering],
    agents: Sequence[str],
    count: int = 1000,
    *,
    seed: int = EVALUATION_SEED,
    distributions: Sequence[str] = DISTRIBUTIONS,
    chunk: int = 100,
):
    """Stepper: the battery (`stepper.Battery`, the cards' settings by default) with the
    agents in `steerings` steered. Returns `Battery.report()`."""
    battery = Battery(agents, count, seed=seed, distributions=distributions, chunk=chunk)
    report = yield from steered(battery.steps(), steerings)
    return report


def steered_policy_map(steerings: Mapping[str, Steering], agents: Sequence[str], maze: Maze):
    """Stepper: `stepper.policy_map_steps` with the agents in `steerings` steered."""
    result = yield from steered(policy_map_steps(agents, maze), steerings)
    return result


def page_steps(
    agent: str = "planted",
    layer: str = "hidden.0",
    cells: str = "all",
    coefficient: float = PAGE_COEFFICIENT,
    maze: Sequence[str] | str | None = None,
    count: int = PAGE_COUNT,
    widths: Sequence[int] = (256, 256, 256, 256),
    vector: str = "human",
    operation: str = "add",
):
    """Stepper: the steering page's run. The `vector` ("human" or "trigger") of `agent` at
    `layer` from the training generator (`pairs_steps`; one call, or one a step of the edit
    search's episodes for the trigger), then its policy map on `maze` (ASCII; default the
    failure maze bad1) and the battery's training and protrusion sets (`count` mazes each,
    seed 1), unsteered and steered (`operation` "add" or "clamp") side by side. `widths`:
    the agent's hidden widths (its card's).

    Returns {"settings", "pairs", "vector_norm", "centre" (the clamp's training median, None
    for "add"), "maps": {"unsteered", "steered"}, "battery": {"unsteered", "steered"} (each
    `headline` plus the protrusion finish rate)}.
    """
    if isinstance(coefficient, bool) or not isinstance(coefficient, int | float):
        raise ValueError(f"the coefficient must be a number, got {coefficient!r}")
    if not -10 <= coefficient <= 10:
        raise ValueError(f"the coefficient must lie between -10 and 10, got {coefficient}")
    if operation not in OPERATIONS:
        raise ValueError(f"the operation must be one of {OPERATIONS}, got {operation!r}")
    model = Model(agent, tuple(widths))
    model.width(layer)  # an unknown layer fails here, before any call
    board = (
        failure_maze("bad1")
        if maze is None
        else parse_maze(maze if isinstance(maze, str) else "\n".join(maze))
    )
    pairs = yield from pairs_steps(agent, vector, cells)
    values = yield from human_vector_steps(model, layer, pairs)
    centre = None
    if operation == "clamp":
        centre = yield from training_median_steps(model, layer, values)
    steer = Steering(model, layer, tuple(values), float(coefficient), operation, centre or 0.0)
    plain_battery = Battery([agent], count, distributions=JUDGED)
    runs = yield from together(
        {
            "map": policy_map_steps([agent], board),
            "steered_map": steered_policy_map({agent: steer}, [agent], board),
            "battery": plain_battery.steps(),
            "steered_battery": steered_battery(
                {agent: steer}, [agent], count, distributions=JUDGED
            ),
        }
    )

    def numbers(report: dict) -> dict:
        return headline(report, agent) | {
            "protrusion_finish_rate": report["agents"][agent]["protrusion"]["finish_rate"]
        }

    return {
        "settings": {
            "agent": agent,
            "vector": vector,
            "operation": operation,
            "layer": layer,
            "cells": cells,
            "coefficient": float(coefficient),
            "count": count,
            "maze": str(board).split("\n"),
        },
        "pairs": len(pairs),
        "vector_norm": sum(v * v for v in values) ** 0.5,
        "centre": centre,
        "maps": {
            "unsteered": runs["map"]["maps"][agent],
            "steered": runs["steered_map"]["maps"][agent],
        },
        "battery": {
            "unsteered": numbers(runs["battery"]),
            "steered": numbers(runs["steered_battery"]),
        },
    }


def headline(report: dict, agent: str) -> dict:
    """The two numbers the steering is judged by: protrusion human rate, training finish."""
    metrics = report["agents"][agent]
    return {
        "protrusion_human_rate": metrics["protrusion"]["human_harvest_rate"],
        "training_finish_rate": metrics["training"]["finish_rate"],
    }


__all__ = [
    "JUDGED",
    "OPERATIONS",
    "PAIR_CELLS",
    "STEERED_CALLS_PER_STEP",
    "TRIGGER_MAZES",
    "VECTORS",
    "VECTOR_MAZES",
    "VECTOR_SEED",
    "Steering",
    "distant",
    "harmful_edits_steps",
    "headline",
    "human_pairs",
    "human_vector_steps",
    "page_steps",
    "pairs_steps",
    "training_median_steps",
    "trigger_pairs",
    "steered",
    "steered_battery",
    "steered_policy_map",
    "training_pairs",
]
