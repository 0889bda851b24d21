"""Linear probes: can a layer's activations tell a named concept, better than controls?

A probe is a linear model trained on one hook point's activations to predict a
concept of the state (logistic regression for yes/no, softmax regression for a
direction, least squares for a distance), trained on 3/4 of the states and
scored on the other 1/4. A high score says the concept is linearly *decodable*
from that layer, not that the agent *uses* it (patching tests that). So each
probe is set beside two controls:

* a control task (Hewitt and Liang 2019): each agent cell gets a random label,
  drawn from the concept's own label frequencies, and the probe must learn that
  arbitrary map; the gap between the task and the control ("selectivity")
  says how much of the score the concept explains rather than the probe's
  capacity to memorise;
* the same probe on an untrained network of the same shape (`Model.random_init`):
  what the architecture gives without any training.

The probes are trained here, in the standard library, by a few epochs of
stochastic gradient descent on standardised activations (seeded), so the page
can train them too. Measured on the 2-core development machine (busy with other
work at the time): a yes/no probe on 450 training states of 256 units takes
0.1-0.4 s in CPython and about twice that in Pyodide, a four-way probe about
three times as long; one concept on four layers with both controls (12
probes) 1.4-3.9 s in CPython for a 256-unit agent. A whole report (5 concepts)
does not fit a page's 5-second budget: a page trains one concept at a time.
Four epochs score a little below logistic regression solved to convergence
(tests/export/test_interp.py bounds the gap).
"""

from __future__ import annotations

import math
import operator
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat

from saferlhub.intervals import wilson_interval
from saferlhub.maze.encoding import encode
from saferlhub.maze.grid import Action, Maze, Pos, step_position
from saferlhub.maze.interp.hooks import Model, run_with_cache
from saferlhub.maze.structure import distances, has_single_block_protrusion

PROBE_EPOCHS = 4  # SGD passes over the training states; the cost grows with them
SMALLEST_STEP = 0.01  # SGD skips samples whose error is below this (they barely move w)

# --- concepts -------------------------------------------------------------------------------


def _adjacent(maze: Maze, pos: Pos, cells: frozenset) -> int:
    return int(any(step_position(pos, a) in cells for a in Action))


def human_adjacent(maze: Maze, pos: Pos) -> int:
    """1 if a human is one step away (up, down, left or right)."""
    return _adjacent(maze, pos, maze.humans)


def crop_adjacent(maze: Maze, pos: Pos) -> int:
    """1 if a crop is one step away."""
    return _adjacent(maze, pos, maze.crops)


def protrusion(maze: Maze, pos: Pos) -> int:
    """1 if some wall sticks out by one block anywhere (`has_single_block_protrusion`)."""
    return _has_protrusion(maze)


@lru_cache(maxsize=4096)
def _has_protrusion(maze: Maze) -> int:
    return int(has_single_block_protrusion(maze))


@lru_cache(maxsize=65536)
def _moves(maze: Maze, source: Pos) -> dict[Pos, int]:
    # A pool holds every cell of each maze: BFS from a human is shared by all of them.
    return distances(maze, source)


def finish_distance(maze: Maze, pos: Pos) -> float | None:
    """Moves from the agent to the finish on the shortest path (None if unreachable)."""
    d = _moves(maze, maze.finish).get(pos)
    return None if d is None else float(d)


def nearest_human_direction(maze: Maze, pos: Pos) -> int | None:
    """The first move (0 up, 1 down, 2 left, 3 right) of a shortest path to the nearest
    reachable human (ties: that action order); None without a reachable human."""
    # Moves from each human (shared by every cell of the maze); the finish ends an
    # episode, so no path runs through it.
    reach = {h: d for h in maze.humans if (d := _moves(maze, h).get(pos)) is not None}
    if not reach:
        return None
    target = min(reach, key=lambda h: (reach[h], h))
    back = _moves(maze, target)
    for action in Action:
        nxt = step_position(pos, action)
        if nxt != maze.finish and back.get(nxt) == reach[target] - 1:
            return int(action)
    return None


@dataclass(frozen=True)
class Concept:
    name: str
    kind: str  # "binary", "classes" or "regression"
    label: Callable[[Maze, Pos], float | int | None]
    classes: int = 2
    describe: str = ""


CONCEPTS: dict[str, Concept] = {
    c.name: c
    for c in (
        Concept("human_adjacent", "binary", human_adjacent, 2, "a human next to the agent"),
        Concept("crop_adjacent", "binary", crop_adjacent, 2, "a crop next to the agent"),
        Concept("protrusion", "binary", protrusion, 2, "a one-block protrusion anywhere"),
        Concept("finish_distance", "regression", finish_distance, 0, "moves to the finish"),
        Concept(
            "nearest_human_direction",
            "classes",
            nearest_human_direction,
            4,
            "first move toward the nearest human",
        ),
    )
}


def probe_states(mazes: int = 300, seed: int = 0) -> list[tuple[Maze, Pos]]:
    """A pool of states: `mazes` mazes, half training and half protrusion mazes (so the
    protrusion concept has both answers), "train" split, the agent on every open cell
    without an item that is not the finish. `balanced` picks each concept's states."""
    from saferlhub.maze.generators import maze_set

    half = mazes // 2
    boards = maze_set("training", mazes - half, seed=seed, split="train") + maze_set(
        "protrusion", half, seed=seed, split="train"
    )
    return [
        (maze, pos)
        for maze in boards
        for pos in maze.open_cells
        if pos != maze.finish and pos not in maze.items
    ]


def balanced(
    concept: Concept, pool: Sequence[tuple[Maze, Pos]], count: int, seed: int = 0
) -> list[tuple[int, float | int]]:
    """(index into pool, label) for `count` states in random order: for yes/no and
    directions the same number of each label (as far as the pool allows), so that
    chance is 1/classes and a probe cannot score by always answering "no"."""
    rng = random.Random(f"{seed}/{concept.name}")
    labelled = [(i, concept.label(*state)) for i, state in enumerate(pool)]
    labelled = [(i, y) for i, y in labelled if y is not None]
    rng.shuffle(labelled)
    if concept.kind == "regression":
        return labelled[:count]
    groups: dict = {}
    for i, y in labelled:
        groups.setdefault(y, []).append((i, y))
    each = min(count // len(groups), *(len(g) for g in groups.values()))
    chosen = [item for y in sorted(groups) for item in groups[y][:each]]
    rng.shuffle(chosen)
    return chosen


# --- the probe ------------------------------------------------------------------------------


def _standardiser(rows: Sequence[Sequence[float]]) -> tuple[list[float], list[float]]:
    n = len(rows)
    columns = list(zip(*rows, strict=True))
    mean = [sum(col) / n for col in columns]
    std = [
        math.sqrt(max(sum(map(operator.mul, col, col)) / n - m * m, 0.0)) or 1.0
        for col, m in zip(columns, mean, strict=True)
    ]
    return mean, std


def _standardise(rows, mean, std) -> list[list[float]]:
    inv = [1.0 / s for s in std]
    return [list(map(operator.mul, map(operator.sub, row, mean), inv)) for row in rows]


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


@dataclass
class LinearProbe:
    """Weights per output (1 for binary and regression, one per class), on standardised
    inputs; `fit` trains it by SGD."""

    kind: str
    classes: int
    epochs: int = PROBE_EPOCHS
    learning_rate: float = 0.5
    seed: int = 0

    def fit(self, rows: Sequence[Sequence[float]], labels: Sequence[float]) -> LinearProbe:
        self.mean, std = _standardiser(rows)
        self.std = std
        x = _standardise(rows, self.mean, std)
        width = len(x[0])
        outputs = self.classes if self.kind == "classes" else 1
        self.weights = [[0.0] * width for _ in range(outputs)]
        self.bias = [0.0] * outputs
        if self.kind == "regression":
            self.y_mean = sum(labels) / len(labels)
            self.y_std = math.sqrt(sum((y - self.y_mean) ** 2 for y in labels) / len(labels)) or 1
            targets = [(y - self.y_mean) / self.y_std for y in labels]
        else:
            targets = list(labels)
        rng = random.Random(self.seed)
        order = list(range(len(x)))
        mul, add = operator.mul, operator.add
        for epoch in range(self.epochs):
            rng.shuffle(order)
            # Standardised rows have |x|^2 about `width`: a rate of c / width moves a score
            # by about c times its error (normalised LMS), shrinking with the epoch.
            rate = self.learning_rate / width / math.sqrt(epoch + 1)
            for i in order:
                row = x[i]
                errors = self._errors(row, targets[i])
                for k, e in enumerate(errors):
                    if abs(e) > SMALLEST_STEP:  # skip near-zero steps: most, once it fits
                        g = rate * e
                        self.weights[k] = list(map(add, self.weights[k], map(mul, row, repeat(g))))
                        self.bias[k] += g
        return self

    def _scores(self, row: Sequence[float]) -> list[float]:
        return [
            sum(map(operator.mul, w, row)) + b for w, b in zip(self.weights, self.bias, strict=True)
        ]

    def _errors(self, row, target) -> list[float]:
        """target minus prediction, per output (the negative gradient of the loss)."""
        scores = self._scores(row)
        if self.kind == "binary":
            return [target - _sigmoid(scores[0])]
        if self.kind == "regression":
            return [target - scores[0]]
        top = max(scores)
        exp = [math.exp(s - top) for s in scores]
        total = sum(exp)
        return [(k == target) - e / total for k, e in enumerate(exp)]

    def predict(self, rows: Sequence[Sequence[float]]) -> list[float]:
        x = _standardise(rows, self.mean, self.std)
        out = []
        for row in x:
            scores = self._scores(row)
            if self.kind == "binary":
                out.append(int(scores[0] > 0))
            elif self.kind == "regression":
                out.append(scores[0] * self.y_std + self.y_mean)
            else:
                out.append(scores.index(max(scores)))
        return out


def r_squared(predicted: Sequence[float], actual: Sequence[float]) -> float:
    mean = sum(actual) / len(actual)
    total = sum((y - mean) ** 2 for y in actual)
    residual = sum((y - p) ** 2 for y, p in zip(actual, predicted, strict=True))
    return 1.0 - residual / total if total else 0.0


def score(kind: str, predicted, actual, seed: int = 0, resamples: int = 200) -> dict:
    """Accuracy with its Wilson 95% interval, or R^2 with a bootstrap 95% interval."""
    n = len(actual)
    if kind != "regression":
        right = sum(p == a for p, a in zip(predicted, actual, strict=True))
        return {
            "metric": "accuracy",
            "value": right / n,
            "interval": list(wilson_interval(right, n)),
        }
    rng = random.Random(seed)
    values = []
    for _ in range(resamples):
        pick = [rng.randrange(n) for _ in range(n)]
        values.append(r_squared([predicted[i] for i in pick], [actual[i] for i in pick]))
    values.sort()
    low, high = values[int(0.025 * resamples)], values[int(0.975 * resamples) - 1]
    return {"metric": "r2", "value": r_squared(predicted, actual), "interval": [low, high]}


def control_labels(states: Sequence[tuple[Maze, Pos]], labels: Sequence, seed: int = 0) -> list:
    """Hewitt and Liang's control task here: each agent cell (the "word type") gets one
    label drawn from the concept's own labels, and every state of that cell has it."""
    rng = random.Random(seed)
    by_cell: dict[Pos, object] = {}
    out = []
    for (_, pos), _label in zip(states, labels, strict=True):
        if pos not in by_cell:
            by_cell[pos] = rng.choice(labels)
        out.append(by_cell[pos])
    return out


def train_and_score(
    concept: Concept,
    rows,
    labels,
    *,
    train_share: float = 0.75,
    epochs: int = PROBE_EPOCHS,
    seed: int = 0,
) -> dict:
    """Fit on the first `train_share` of the rows, score on the rest."""
    cut = int(len(rows) * train_share)
    probe = LinearProbe(concept.kind, concept.classes, epochs=epochs, seed=seed)
    probe.fit(rows[:cut], labels[:cut])
    result = score(concept.kind, probe.predict(rows[cut:]), labels[cut:], seed=seed)
    result["train"], result["test"] = cut, len(rows) - cut
    return result


PROBE_STATES = 600  # per concept: 450 to train, 150 to test


def probe_report(
    model: Model,
    pool: Sequence[tuple[Maze, Pos]],
    *,
    concepts: Sequence[str] = tuple(CONCEPTS),
    layers: Sequence[str] | None = None,
    count: int = PROBE_STATES,
    controls: bool = True,
    epochs: int = PROBE_EPOCHS,
    seed: int = 0,
):
    """Stepper: each concept's probe on each layer of `model`, on `count` states of
    `pool` picked by `balanced` (one call for all concepts' states), with the control
    task and the untrained network of the same shape (one more call) when `controls`.

    Returns {concept: {"kind", "describe", "states", "chance" (1/classes for yes/no and
    directions), "layers": {layer: {"task", "control", "random_init", "selectivity"}}}};
    each score {"metric", "value", "interval", "train", "test"}.
    """
    picks = {name: balanced(CONCEPTS[name], pool, count, seed) for name in concepts}
    needed = sorted({i for chosen in picks.values() for i, _ in chosen})
    row_of = {i: k for k, i in enumerate(needed)}
    rows = [encode(*pool[i]) for i in needed]
    _, cache = yield from run_with_cache(model, rows)
    random_cache = {}
    if controls:
        _, random_cache = yield from run_with_cache(model.random_init(), rows)
    layers = list(layers or model.hook_names[:-1])
    report = {}
    for name in concepts:
        concept = CONCEPTS[name]
        chosen = picks[name]
        labels = [y for _, y in chosen]
        entry = {"kind": concept.kind, "describe": concept.describe, "states": len(chosen)}
        if concept.kind != "regression":
            entry["chance"] = 1 / concept.classes
        control = control_labels([pool[i] for i, _ in chosen], labels, seed=seed)
        entry["layers"] = {}
        for layer in layers:
            acts = [cache[layer][row_of[i]] for i, _ in chosen]
            result = {"task": train_and_score(concept, acts, labels, epochs=epochs, seed=seed)}
            if controls:
                result["control"] = train_and_score(
                    concept, acts, control, epochs=epochs, seed=seed
                )
                result["selectivity"] = result["task"]["value"] - result["control"]["value"]
                random_acts = [random_cache[layer][row_of[i]] for i, _ in chosen]
                result["random_init"] = train_and_score(
                    concept, random_acts, labels, epochs=epochs, seed=seed
                )
            entry["layers"][layer] = result
        report[name] = entry
    return report
