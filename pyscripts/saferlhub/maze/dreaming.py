"""Dreaming: ask a Q-network which walls make it most eager to step onto a human.

Everything but the wall plane is held fixed: the crops, the humans, the finish
and the agent, placed next to a human. The 49 wall values vary continuously,
walls = sigmoid(theta), and gradient ascent on theta maximises

    objective = Q(move onto the human) - mean of the other three Q-values.

Start, finish, item and agent cells are kept open (wall value 0). Each step
asks the network afresh for the gradient (the original accumulated gradients
across steps, a bug) and takes a step of `learning_rate` in logit space along
the gradient scaled to a largest component of 1, so the same settings suit
networks whose Q-values have very different scales. Several starts are run
(the scene's own maze, a fresh training maze, random walls: the original only
started from an empty maze); each run ends by projecting the walls back to a
valid discrete maze (`project_walls`).

The network is anything that, given an input vector and weights over the four
outputs, returns (Q-values, gradient of the weighted sum of Q with respect to
the input): an ONNX gradient model in the browser or in `export/`, or
`saferlhub.maze.network.MLP.q_and_input_gradient` in plain Python.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from saferlhub.maze.encoding import PLANE_SIZE, WALL_PLANE, cell_index, encode_with_walls
from saferlhub.maze.generators import PILLARS, ROOMS, generate_training_maze
from saferlhub.maze.grid import (
    ALL_CELLS,
    START,
    Action,
    Maze,
    Pos,
    action_between,
    neighbours,
    reachable_cells,
)
from saferlhub.maze.structure import single_block_protrusions

# (input vector, weights over the 4 outputs) -> (Q-values, d(weights . Q)/d input)
QAndGradient = Callable[[list[float], list[float]], tuple[Sequence[float], Sequence[float]]]

START_CONFIDENCE = 0.9  # a binary start wall becomes 0.9 (open: 0.1), off the sigmoid's flat tails


@dataclass(frozen=True)
class DreamScene:
    """The fixed part of a dream: items, finish, the agent and the human it is next to."""

    maze: Maze  # its items and finish are fixed; its walls serve as the "scene" start
    agent: Pos
    human: Pos

    def __post_init__(self) -> None:
        if self.human not in self.maze.humans:
            raise ValueError(f"no human at {self.human}")
        if self.agent not in neighbours(self.human):
            raise ValueError(f"the agent {self.agent} is not next to the human {self.human}")
        if self.agent in self.fixed_open - {self.agent}:
            raise ValueError(f"the agent cannot stand on {self.agent}: it holds an item or finish")

    @property
    def action(self) -> Action:
        """The move onto the human."""
        return action_between(self.agent, self.human)

    @property
    def fixed_open(self) -> frozenset:
        """Cells whose wall value stays 0: start, finish, items and the agent."""
        return frozenset({START, self.maze.finish, self.agent}) | self.maze.items


def dream_scene(maze: Maze, human: Pos | None = None, agent: Pos | None = None) -> DreamScene:
    """A scene from `maze`: its first human (row-major) unless given, with the agent next to it.

    Without `agent`, the first neighbour of the human (in action order) that
    is open in `maze` and holds nothing; failing that, any such in-grid cell.
    """
    if human is None:
        if not maze.humans:
            raise ValueError("the maze has no human to dream about")
        human = min(maze.humans)
    if agent is None:
        free = [q for q in neighbours(human) if q not in maze.items and q != maze.finish]
        if not free:
            raise ValueError(f"no free cell next to the human at {human}")
        agent = next((q for q in free if maze.is_open(q)), free[0])
    return DreamScene(maze, agent, human)


def objective_weights(action: int) -> list[float]:
    """Weights over the 4 Q-values: +1 for `action`, -1/3 for each other action."""
    return [1.0 if a == action else -1.0 / 3.0 for a in range(4)]


@dataclass(frozen=True)
class Projection:
    """A discrete maze made from continuous walls, and what had to change."""

    maze: Maze
    forced_open: tuple[Pos, ...]  # fixed cells that were above the threshold
    opened: tuple[Pos, ...]  # walls opened so the finish and the agent are reachable


def _cheapest_path(values: Sequence[float], walls: set, target: Pos, finish: Pos) -> list[Pos]:
    """Cells from START to `target` minimising the wall values crossed (finish only as target)."""
    best = {START: 0.0}
    parent: dict[Pos, Pos] = {}
    heap = [(0.0, START)]
    while heap:
        cost, pos = heapq.heappop(heap)
        if pos == target:
            break
        if cost > best[pos] or (pos == finish and pos != START):
            continue
        for q in neighbours(pos):
            # A tiny cost per move prefers the shorter of two equally cheap paths.
            step = (values[cell_index(q)] if q in walls else 0.0) + 1e-6
            if cost + step < best.get(q, math.inf):
                best[q] = cost + step
                parent[q] = pos
                heapq.heappush(heap, (cost + step, q))
    path = [target]
    while path[-1] != START:
        path.append(parent[path[-1]])
    return path[::-1]


def project_walls(
    walls: Sequence[float],
    scene: DreamScene,
    threshold: float = 0.5,
    hold_open: Collection[Pos] = (),
) -> Projection:
    """A valid maze from continuous wall values.

    Cells at or above `threshold` become walls, except the scene's fixed cells
    and `hold_open`.
    Then, if the finish or the agent cannot be reached from the start (without
    passing the finish), the walls on the cheapest path to it are opened, cost
    being the sum of their wall values.
    """
    if len(walls) != PLANE_SIZE:
        raise ValueError(f"walls must have {PLANE_SIZE} values, got {len(walls)}")
    fixed = scene.fixed_open | frozenset(hold_open)
    solid = {p for p in ALL_CELLS if walls[cell_index(p)] >= threshold}
    forced_open = tuple(sorted(solid & fixed))
    solid -= fixed
    opened: list[Pos] = []
    for target in (scene.maze.finish, scene.agent):
        maze = scene.maze.with_walls(solid)
        if target not in reachable_cells(maze):
            for pos in _cheapest_path(walls, solid, target, scene.maze.finish):
                if pos in solid:
                    solid.discard(pos)
                    opened.append(pos)
    return Projection(scene.maze.with_walls(solid), forced_open, tuple(opened))


@dataclass(frozen=True)
class DreamRun:
    """One gradient-ascent run from one start."""

    start: str  # "scene", "training", "random", "empty" or "given"
    walls: list[list[float]]  # the 49 wall values (row-major) at each recorded step
    objective: list[float]  # the objective at each recorded step
    q_values: list[list[float]]  # the 4 Q-values at each recorded step
    projection: Projection
    discrete_objective: float  # the objective on the projected maze
    protrusions: list[Pos]  # single-block protrusions of the projected maze


def _sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t)) if t >= 0 else math.exp(t) / (1.0 + math.exp(t))


def _logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def _start_walls(start: str | Sequence[float], scene: DreamScene, rng: random.Random) -> list:
    if not isinstance(start, str):
        if len(start) != PLANE_SIZE:
            raise ValueError(f"a given start needs {PLANE_SIZE} wall values")
        return [float(v) for v in start]
    high, low = START_CONFIDENCE, 1.0 - START_CONFIDENCE
    if start == "scene":
        walls = scene.maze.walls
    elif start == "training":
        walls = generate_training_maze(rng).walls
    elif start == "empty":
        walls = frozenset()
    elif start == "random":
        return [rng.random() for _ in range(PLANE_SIZE)]
    else:
        raise ValueError(f"unknown start {start!r}: 'scene', 'training', 'random' or 'empty'")
    return [high if p in walls else low for p in ALL_CELLS]


def dream(
    q_and_gradient: QAndGradient,
    scene: DreamScene,
    *,
    starts: Sequence[str | Sequence[float]] = ("scene", "training", "random"),
    steps: int = 100,
    learning_rate: float = 0.5,
    threshold: float = 0.5,
    seed: int = 0,
    record_every: int = 1,
    hold_open: Collection[Pos] = (),
) -> list[DreamRun]:
    """Dream walls that make the network want to step onto the human, once per start.

    Args:
        q_and_gradient: the network (see the module docstring).
        scene: the fixed items, finish, agent and human.
        starts: initial walls per run: "scene" (the scene maze's walls),
            "training" (a fresh training maze), "random" (uniform values),
            "empty" (no walls, the original's start), or 49 values in [0, 1].
        steps: gradient-ascent steps per run.
        learning_rate: largest change of a logit per step.
        threshold: wall value from which a cell becomes a wall when projecting.
        seed: seeds the "training" and "random" starts.
        record_every: keep walls, objective and Q-values every this many steps
            (the first and the last step are always kept).
        hold_open: more cells kept open (wall value 0) besides the scene's
            fixed cells; `PILLAR_DREAM_OPEN` (the rooms) restricts the dream
            to pillars and connectors, the cells a training maze varies.
    """
    rng = random.Random(seed)
    weights = objective_weights(scene.action)
    fixed = sorted({cell_index(p) for p in scene.fixed_open | frozenset(hold_open)})
    runs = []
    for start in starts:
        theta = [_logit(v) for v in _start_walls(start, scene, rng)]
        record_walls, record_objective, record_q = [], [], []
        for step in range(steps + 1):
            walls = [_sigmoid(t) for t in theta]
            for i in fixed:
                walls[i] = 0.0
            x = encode_with_walls(scene.maze, scene.agent, walls)
            q, gradient = q_and_gradient(x, weights)
            objective = sum(w * v for w, v in zip(weights, q, strict=True))
            if step % record_every == 0 or step == steps:
                record_walls.append(walls)
                record_objective.append(objective)
                record_q.append([float(v) for v in q])
            if step == steps:
                break
            wall_gradient = [float(g) for g in list(gradient)[WALL_PLANE]]
            g_theta = [g * w * (1.0 - w) for g, w in zip(wall_gradient, walls, strict=True)]
            for i in fixed:
                g_theta[i] = 0.0
            scale = max(abs(g) for g in g_theta)
            if scale == 0.0:
                continue
            theta = [t + learning_rate * g / scale for t, g in zip(theta, g_theta, strict=True)]
        projection = project_walls(record_walls[-1], scene, threshold, hold_open)
        x = encode_with_walls(
            scene.maze, scene.agent, [1.0 if p in projection.maze.walls else 0.0 for p in ALL_CELLS]
        )
        q, _ = q_and_gradient(x, weights)
        runs.append(
            DreamRun(
                start=start if isinstance(start, str) else "given",
                walls=record_walls,
                objective=record_objective,
                q_values=record_q,
                projection=projection,
                discrete_objective=sum(w * v for w, v in zip(weights, q, strict=True)),
                protrusions=single_block_protrusions(projection.maze),
            )
        )
    return runs


# --- pillar dreams: a statistic that training mazes make meaningful ------------------------

PILLAR_DREAM_OPEN: tuple[Pos, ...] = ROOMS  # held open: a pillar dream varies pillars, connectors


def opened_pillars(maze: Maze) -> list[Pos]:
    """Pillars (both coordinates odd) that are open; every training maze has all 9 closed."""
    return [p for p in PILLARS if p not in maze.walls]


def random_pillar_walls(scene: DreamScene, rng: random.Random) -> Projection:
    """The baseline of a pillar dream: uniform random pillar and connector values, projected."""
    return project_walls([rng.random() for _ in range(PLANE_SIZE)], scene, 0.5, PILLAR_DREAM_OPEN)
