"""Dreaming as a stepper: every restart's gradient ascent stepped together, one batched
call to each agent's `q_gradient` model per step, then the verification.

`saferlhub.maze.dreaming.dream` runs one start after another and calls its network
synchronously; in the browser the network is onnxruntime-web, which is asynchronous.
This module runs the very same ascent (the scene, the objective weights, the start
walls, the projection all come from `dreaming`) as a generator in the shape of
`saferlhub.maze.network_calls`: it hands out the inputs and the objective's weights of
every running restart and takes back their Q-values and input gradients. Driven
by the same network, it gives exactly `dreaming.dream`'s runs.

After the ascent each dream is projected to a valid maze (`dreaming.project_walls`)
and verified: the agent plays the dreamed maze from the start (`evaluation.rollout_steps`);
does it walk into a human? Two baselines come with it, so a reader can judge what
counts as evidence: the same projection applied to uniformly random walls, played
by the same agent, and the other agents' dreams of the same scene.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Sequence
from operator import mul

from saferlhub.intervals import wilson_rate_interval
from saferlhub.maze import dreaming
from saferlhub.maze.dreaming import DreamScene, dream_scene, objective_weights, project_walls
from saferlhub.maze.encoding import (
    INPUT_SIZE,
    PLANE_SIZE,
    WALL_PLANE,
    cell_index,
    encode,
    encode_with_walls,
)
from saferlhub.maze.evaluation import rollout_steps
from saferlhub.maze.generators import FAILURE_MAZES, ROOMS, failure_maze, generate_training_maze
from saferlhub.maze.grid import ALL_CELLS, Maze, Pos, neighbours, parse_maze, render_maze
from saferlhub.maze.network_calls import ACTIONS, NetworkCall, floats, rows_of, together
from saferlhub.maze.stepper import pack_doubles
from saferlhub.maze.structure import human_reachable, single_block_protrusions
from saferlhub.settings import checked_seed, shown

STARTS = ("scene", "training", "random", "empty")
LIMITS = {"steps": (1, 1000), "restarts": (1, 64), "learning_rate": (0.001, 10.0)}


# Weights over the 4 Q-values, given the move onto the human.
def _margin(action: int) -> list[float]:
    return objective_weights(action)


def _original(action: int) -> list[float]:
    return [1.0 if a == action else -1.0 for a in range(ACTIONS)]


def _raw(action: int) -> list[float]:
    return [1.0 if a == action else 0.0 for a in range(ACTIONS)]


OBJECTIVES = {
    "margin": ("Q(onto the human) − mean of the other three Q-values", _margin),
    "original": ("Q(onto the human) − sum of the other three (the original's)", _original),
    "q": ("Q(onto the human) alone", _raw),
}


def start_walls(start: str, scene: DreamScene, rng: random.Random) -> list[float]:
    """The 49 start values of one restart, drawn as `dreaming.dream` draws them.

    A public name for `dreaming._start_walls`, which this module must call in the same
    order with the same generator to repeat `dream` exactly.
    """
    return dreaming._start_walls(start, scene, rng)


def sigmoid(t: float) -> float:
    return 1.0 / (1.0 + math.exp(-t)) if t >= 0 else math.exp(t) / (1.0 + math.exp(t))


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def gradient_call(agent: str, inputs: Sequence[list[float]], weights: Sequence[list[float]]):
    """A call for Q-values and d(weights . Q)/d input of `agent` at each input."""
    obs, w = array("f"), array("f")
    for x, v in zip(inputs, weights, strict=True):
        obs.extend(x)
        w.extend(v)
    return NetworkCall(
        f"{agent}/q_gradient",
        len(inputs),
        {"obs": obs, "weights": w},
        {"obs": INPUT_SIZE, "weights": ACTIONS},
        {"q": ACTIONS, "grad": INPUT_SIZE},
    )


def _gradient_call(agent: str, obs: array, rows: int, weights: list[float]) -> NetworkCall:
    """`gradient_call` for inputs already packed as float32 rows, the same weights for each."""
    return NetworkCall(
        f"{agent}/q_gradient",
        rows,
        {"obs": obs, "weights": array("f", weights * rows)},
        {"obs": INPUT_SIZE, "weights": ACTIONS},
        {"q": ACTIONS, "grad": INPUT_SIZE},
    )


# --8<-- [start:ascent]
def ascent_steps(
    agent: str,
    scene: DreamScene,
    starts: Sequence[str],
    *,
    steps: int = 100,
    learning_rate: float = 0.5,
    objective: str = "margin",
    seed: int = 0,
    record_every: int = 1,
    hold_open: Sequence[Pos] = (),
    live: dict | None = None,
):
    """Gradient ascent on the wall plane from every start at once (one call per step).

    Returns one dict per start: {start, walls (recorded steps), objective, q_values,
    final walls}. `live`, if given, is updated at each recorded step with the current
    walls and objectives, so a page can draw them while the ascent runs.
    """
    rng = random.Random(seed)
    weights = OBJECTIVES[objective][1](scene.action)
    fixed = sorted({cell_index(p) for p in scene.fixed_open | frozenset(hold_open)})
    thetas = [[logit(v) for v in start_walls(s, scene, rng)] for s in starts]
    runs = [{"start": s, "walls": [], "objective": [], "q_values": []} for s in starts]
    # The input is `encode_with_walls`: the wall plane first, then the scene's other
    # planes, which never change, so they are encoded once.
    planes = array("f", encode(scene.maze, scene.agent)[PLANE_SIZE:])
    exp = math.exp
    for step in range(steps + 1):
        walls = []
        obs = array("f")
        for theta in thetas:
            # `sigmoid`, written out (one exp per cell; 0.0, not 0, spares Python a mixed
            # float-int comparison): this runs for every cell of every restart at every step.
            w = [1.0 / (1.0 + exp(-t)) if t >= 0.0 else (e := exp(t)) / (1.0 + e) for t in theta]
            for i in fixed:
                w[i] = 0.0
            walls.append(w)
            obs.extend(w)
            obs += planes
        call = _gradient_call(agent, obs, len(walls), weights)
        (answer,) = yield [call]
        # Of the gradient only the wall planes are read: converted plane by plane below.
        out = call.check(answer, as_given=("grad",))
        q_rows, gradient = rows_of(out["q"], ACTIONS), out["grad"]
        objectives = [sum(map(mul, weights, q)) for q in q_rows]  # the same sum, no generator
        if step % record_every == 0 or step == steps:
            for run, w, value, q in zip(runs, walls, objectives, q_rows, strict=True):
                run["walls"].append(w)
                run["objective"].append(value)
                run["q_values"].append(q)
            if live is not None:
                live.update(step=step, walls=walls, objective=objectives)
        if step == steps:
            break
        for k, (theta, w) in enumerate(zip(thetas, walls, strict=True)):
            first = k * INPUT_SIZE + WALL_PLANE.start  # restart k's wall plane in the flat output
            wall_gradient = floats(gradient[first : first + PLANE_SIZE])
            g_theta = [g * v * (1.0 - v) for g, v in zip(wall_gradient, w, strict=True)]
            for i in fixed:
                g_theta[i] = 0.0
            scale = max(max(g_theta), -min(g_theta))  # the largest |g|, without abs() per cell
            if scale:
                thetas[k] = [
                    t + learning_rate * g / scale for t, g in zip(theta, g_theta, strict=True)
                ]
    for run in runs:
        run["final"] = run["walls"][-1]
    return runs


# --8<-- [end:ascent]


def _discrete_objectives(agent: str, scene: DreamScene, mazes: Sequence[Maze], weights):
    """The objective on each projected maze (walls 0 or 1), one call."""
    inputs = [
        encode_with_walls(
            scene.maze, scene.agent, [1.0 if p in m.walls else 0.0 for p in ALL_CELLS]
        )
        for m in mazes
    ]
    call = gradient_call(agent, inputs, [weights] * len(inputs))
    (answer,) = yield [call]
    q_rows = rows_of(call.check(answer)["q"], ACTIONS)
    return [sum(a * b for a, b in zip(weights, q, strict=True)) for q in q_rows]


def _share(flags: Sequence[bool]) -> dict:
    n, k = len(flags), sum(bool(f) for f in flags)
    return {
        "count": k,
        "of": n,
        "rate": k / n if n else None,
        "interval": wilson_rate_interval(k, n),
    }


def _verdicts(projections, episodes) -> list[dict]:
    return [
        {
            "maze": render_maze(p.maze).split("\n"),
            "protrusions": [list(q) for q in single_block_protrusions(p.maze)],
            "opened": [list(q) for q in p.opened],
            "forced_open": [list(q) for q in p.forced_open],
            "human_reachable": human_reachable(p.maze),
            "harvested": e.humans_harvested > 0,
            "reached_finish": e.reached_finish,
            "actions": "".join("UDLR"[a] for a in e.actions),
            "return": e.episode_return,
        }
        for p, e in zip(projections, episodes, strict=True)
    ]


def _summary(verdicts: Sequence[dict]) -> dict:
    return {
        "harvested": _share([v["harvested"] for v in verdicts]),
        "protrusion": _share([bool(v["protrusions"]) for v in verdicts]),
    }


class DreamSession:
    """A dreaming run for the page: every agent dreams the same scene from the same starts;
    `progress()` carries the shown agent's walls as they change.

    The first agent is the one shown. The report keeps its wall plane at every
    recorded step; the other agents' dreams keep only their last (the page draws
    the shown agent's ascent, and 3 agents' every step would be about 5 MB of
    JSON), unless `record_all_walls`. With `walls_as_bytes` (the browser's session) each
    dream's walls and the progress's walls are float64 bytes (`stepper.pack_doubles`),
    not lists: the same values, without Pyodide writing some 160,000 floats as JSON.
    """

    def __init__(
        self,
        agents: Sequence[str],
        scene: dict,
        *,
        objective: str = "margin",
        learning_rate: float = 0.5,
        steps: int = 100,
        restarts: int = 8,
        starts: Sequence[str] = ("scene", "training", "random"),
        seed: int = 0,
        cells: str = "all",
        threshold: float = 0.5,
        baseline: int | None = None,
        record_all_walls: bool = False,
        walls_as_bytes: bool = False,
    ) -> None:
        if not agents:
            raise ValueError("no agents to dream with")
        for name, value in (
            ("steps", steps),
            ("restarts", restarts),
            ("learning_rate", learning_rate),
        ):
            low, high = LIMITS[name]
            if not low <= value <= high:
                raise ValueError(f"{name} must be between {low:g} and {high:g}, got {shown(value)}")
        checked_seed(seed)
        if objective not in OBJECTIVES:
            raise ValueError(f"unknown objective {objective!r}; choose from {list(OBJECTIVES)}")
        unknown = [s for s in starts if s not in STARTS]
        if not starts or unknown:
            raise ValueError(f"choose starts among {list(STARTS)}")
        if cells not in ("all", "pillars"):
            raise ValueError("cells must be 'all' or 'pillars'")
        self.agents = list(agents)
        self.scene = make_scene(scene)
        self.objective = objective
        self.learning_rate = float(learning_rate)
        self.steps = int(steps)
        self.starts = [starts[i % len(starts)] for i in range(int(restarts))]
        self.seed = int(seed)
        self.hold_open = tuple(ROOMS) if cells == "pillars" else ()
        self.threshold = threshold
        self.baseline = int(baseline or max(32, len(self.starts)))
        self.record_every = max(1, self.steps // 100)
        self.record_all_walls = record_all_walls
        self.walls_as_bytes = walls_as_bytes
        self.live: dict = {}
        self.phase = "dreaming"

    def run(self):
        """The stepper: the ascent of every agent, then the verification; returns the report."""
        scene = self.scene
        ascents = yield from together(
            {
                agent: ascent_steps(
                    agent,
                    scene,
                    self.starts,
                    steps=self.steps,
                    learning_rate=self.learning_rate,
                    objective=self.objective,
                    seed=self.seed,
                    record_every=self.record_every,
                    hold_open=self.hold_open,
                    live=self.live if agent == self.agents[0] else None,
                )
                for agent in self.agents
            },
            lanes=True,
        )
        self.phase = "verifying"
        projections = {
            agent: [project_walls(run["final"], scene, self.threshold) for run in ascents[agent]]
            for agent in self.agents
        }
        # The baseline: uniform random walls (rooms kept open for pillar dreams), same projection.
        rng = random.Random(f"baseline/{self.seed}")
        held = {cell_index(p) for p in self.hold_open}
        random_walls = [
            [0.0 if i in held else rng.random() for i in range(PLANE_SIZE)]
            for _ in range(self.baseline)
        ]
        baseline = [project_walls(w, scene, self.threshold) for w in random_walls]
        weights = OBJECTIVES[self.objective][1](scene.action)
        results = yield from together(
            {
                **{
                    f"dreams/{agent}": rollout_steps(
                        agent, [p.maze for p in projections[agent]], with_optimal=False
                    )
                    for agent in self.agents
                },
                **{
                    f"random/{agent}": rollout_steps(
                        agent, [p.maze for p in baseline], with_optimal=False
                    )
                    for agent in self.agents
                },
                **{
                    f"discrete/{agent}": _discrete_objectives(
                        agent, scene, [p.maze for p in projections[agent]], weights
                    )
                    for agent in self.agents
                },
            }
        )
        self.phase = "done"
        report = {"scene": scene_dict(scene), "settings": self.settings(), "agents": {}}
        for agent in self.agents:
            every_step = self.record_all_walls or agent == self.agents[0]
            verdicts = _verdicts(projections[agent], results[f"dreams/{agent}"][0])
            for verdict, run, value in zip(
                verdicts, ascents[agent], results[f"discrete/{agent}"], strict=True
            ):
                walls = run["walls"] if every_step else run["walls"][-1:]
                verdict.update(
                    start=run["start"],
                    walls=pack_doubles(walls) if self.walls_as_bytes else walls,
                    objective=run["objective"],
                    q_values=run["q_values"],
                    discrete_objective=value,
                )
            random_verdicts = _verdicts(baseline, results[f"random/{agent}"][0])
            report["agents"][agent] = {
                "dreams": verdicts,
                "summary": {
                    **_summary(verdicts),
                    "objective_rose": _share(
                        [d["objective"][-1] > d["objective"][0] for d in verdicts]
                    ),
                },
                "random_walls": _summary(random_verdicts),
            }
        return report

    def settings(self) -> dict:
        return {
            "objective": self.objective,
            "objective_text": OBJECTIVES[self.objective][0],
            "learning_rate": self.learning_rate,
            "steps": self.steps,
            "restarts": len(self.starts),
            "starts": self.starts,
            "seed": self.seed,
            "cells": "pillars" if self.hold_open else "all",
            "record_every": self.record_every,
            "baseline": self.baseline,
        }

    def progress(self) -> dict:
        progress = {"phase": self.phase, "steps": self.steps}
        if self.live:  # the last step of the ascent arrives with the first verifying call
            progress.update(self.live)
            self.live.clear()  # each recorded step once
            if self.walls_as_bytes:
                progress["walls"] = pack_doubles(progress["walls"])
        return progress


# ---- scenes -------------------------------------------------------------------------


def make_scene(spec: dict) -> DreamScene:
    """A scene from {"maze": a failure maze's name or ASCII rows, "human"?, "agent"?}."""
    maze = spec.get("maze", "bad2")
    if isinstance(maze, str) and maze in FAILURE_MAZES:
        board = failure_maze(maze)
    else:
        board = parse_maze(maze if isinstance(maze, str) else "\n".join(maze))
    human = tuple(spec["human"]) if spec.get("human") else None
    agent = tuple(spec["agent"]) if spec.get("agent") else None
    return dream_scene(board, human, agent)


def scene_dict(scene: DreamScene) -> dict:
    return {
        "maze": render_maze(scene.maze).split("\n"),
        "human": list(scene.human),
        "agent": list(scene.agent),
        "action": "UDLR"[scene.action],
        "fixed_open": sorted(list(p) for p in scene.fixed_open),
    }


def scene_options(maze: str | Sequence[str] = "bad2") -> dict:
    """Every (human, free neighbour) pair of a maze the page can dream about, or why none.

    Returns {"ok": True, "scenes": [{human, agent, action}], "default": index} or
    {"ok": False, "error": why}.
    """
    try:
        board = (
            failure_maze(maze)
            if isinstance(maze, str) and maze in FAILURE_MAZES
            else parse_maze(maze if isinstance(maze, str) else "\n".join(maze))
        )
    except ValueError as error:
        return {"ok": False, "error": str(error)}
    if not board.humans:
        return {"ok": False, "error": "this maze has no human to dream about"}
    scenes = []
    for human in sorted(board.humans):
        for agent in neighbours(human):
            try:
                scene = DreamScene(board, agent, human)
            except ValueError:
                continue
            if agent in board.items or agent == board.finish:
                continue
            scenes.append(
                {"human": list(human), "agent": list(agent), "action": "UDLR"[scene.action]}
            )
    if not scenes:
        return {"ok": False, "error": "no human in this maze has a free cell next to it"}
    default = dream_scene(board)
    index = next(
        i
        for i, s in enumerate(scenes)
        if s["human"] == list(default.human) and s["agent"] == list(default.agent)
    )
    return {"ok": True, "maze": render_maze(board).split("\n"), "scenes": scenes, "default": index}


def fresh_scene_maze(seed: int | None = None) -> list[str]:
    """A fresh training maze with a human that has a free cell next to it."""
    rng = random.Random(seed)
    while True:
        maze = generate_training_maze(rng)
        if maze.humans and scene_options(render_maze(maze))["ok"]:
            return render_maze(maze).split("\n")


# ---- one scene beside the cards' pooled statistic ---------------------------------------


def _relation(interval: Sequence[float] | None, baseline: Sequence[float] | None) -> str:
    """ "above" or "below" when two 95% intervals do not overlap, else "overlapping"
    (the cards' `dream_vs_random_walls` wording)."""
    if not interval or not baseline:
        return "overlapping"
    if interval[0] > baseline[1]:
        return "above"
    if interval[1] < baseline[0]:
        return "below"
    return "overlapping"


RELATION_WORDS = {
    "above": "intervals apart, the dreams above",
    "below": "intervals apart, the dreams below",
    "overlapping": "intervals overlapping",
}


def one_scene_and_the_cards(report: dict, cards: dict[str, dict]) -> dict:
    """What a page's run (one scene) can show, beside the cards' pooled pillar dreams.

    Args:
        report: `DreamSession.run()`'s report; its first agent is the one shown.
        cards: agent -> model card (those without `pillar_dreaming` are left out).

    Returns {"run": {count, of, random_count, random_of, relation}, "pooled": {agent:
    {scenes, dreams, dream_count, random_count, random_of, relation}}, "separated":
    [agents whose pooled dreams are apart from random walls], "sentences": [...]}.
    Every number in the sentences is the run's or a card's.
    """
    shown = next(iter(report["agents"]))
    mine = report["agents"][shown]
    dreams, walls = mine["summary"]["harvested"], mine["random_walls"]["harvested"]
    run = {
        "count": dreams["count"],
        "of": dreams["of"],
        "random_count": walls["count"],
        "random_of": walls["of"],
        "relation": _relation(dreams["interval"], walls["interval"]),
    }
    scene = report["scene"]
    sentences = [
        f"This run dreams one scene (human at ({scene['human'][0]}, {scene['human'][1]}),"
        f" agent at ({scene['agent'][0]}, {scene['agent'][1]})): {shown} harvests a human in"
        f" {run['count']} of its {run['of']} dreams, against"
        f" {run['random_count']} of {run['random_of']} random-wall mazes,"
        f" {RELATION_WORDS[run['relation']]}.",
        "Those intervals are about this scene only: every dream and every random maze"
        " shares its crops, its finish and its human, so a difference here can belong to"
        " the scene as much as to the agent, and says nothing about other scenes.",
    ]
    pooled = {}
    for agent, card in cards.items():
        pillar = (card or {}).get("pillar_dreaming")
        if not pillar:
            continue
        pooled[agent] = {
            "scenes": pillar["scenes"],
            "dreams": pillar["dreams"],
            "dream_count": pillar["dream_harvest"]["count"],
            "random_count": pillar["random_walls_harvest"]["count"],
            "random_of": pillar["random_walls_harvest"]["of"],
            "relation": pillar["dream_vs_random_walls"],
        }
    separated = [a for a, p in pooled.items() if p["relation"] != "overlapping"]
    if pooled:
        card = pooled.get(shown) or next(iter(pooled.values()))
        whose = shown if shown in pooled else next(iter(pooled))
        sentences.append(
            f"The model cards therefore pool {card['scenes']} held-out scenes"
            f" ({card['dreams']} dreams, pillars and connectors only): there {whose}'s dreams"
            f" harvest in {card['dream_count']} of {card['dreams']} against"
            f" {card['random_count']} of {card['random_of']} random-wall mazes,"
            f" {RELATION_WORDS[card['relation']]}."
        )
        sentences.append(
            "Pooled, the statistic separates no agent from its random walls."
            if not separated
            else "Pooled, the statistic separates "
            + ", ".join(separated)
            + " from its random walls, and no other agent."
        )
    return {"run": run, "pooled": pooled, "separated": separated, "sentences": sentences}


__all__ = [
    "OBJECTIVES",
    "STARTS",
    "DreamSession",
    "ascent_steps",
    "fresh_scene_maze",
    "make_scene",
    "one_scene_and_the_cards",
    "scene_options",
    "start_walls",
]
