"""Steppers for the maze pages: play, policy maps, the battery, and the browser's sessions.

The maze code never calls a network: it is written as generators that hand
out the inputs they need and take back the outputs (the protocol is in
`saferlhub.maze.network_calls`; the greedy episodes themselves are
`saferlhub.maze.evaluation.rollout_steps`, the very generator `export/`'s
CPython evaluation drives). This module builds the pages' tasks from them and
keeps steppers alive between the browser's requests (`start`/`answer`/`close`),
with the arrays as float32 bytes (they cross beside the JSON, see
`saferlhub.runtime.call`): docs/js/onnx.js (`runStepper`) only shuttles them to
onnxruntime-web and back.
"""

from __future__ import annotations

import base64
import importlib
import itertools
import sys
from array import array
from collections.abc import Callable, Sequence

from saferlhub.intervals import mean_interval, wilson_rate_interval
from saferlhub.maze import battery_sets
from saferlhub.maze.battery_sets import BATTERY_REQUIRES_HUMAN
from saferlhub.maze.encoding import encode
from saferlhub.maze.evaluation import (
    EVALUATION_SEED,
    MOVE_LETTERS,
    Episode,
    greedy_action,
    policy_map_report,
    render_policy_map,
    rollout_steps,
    summarise,
)
from saferlhub.maze.generators import DISTRIBUTIONS
from saferlhub.maze.grid import Maze
from saferlhub.maze.network_calls import (
    ACTIONS,
    LANES_ANSWERED,
    Answers,
    Calls,
    LaneCalls,
    Lanes,
    NetworkCall,
    Stepper,
    drive,
    python_network,
    q_call,
    rows_of,
    together,
)
from saferlhub.settings import checked_seed, shown

# ---- what the pages ask for ----------------------------------------------------------


def episode_dict(episode: Episode, steps: list[dict] | None = None) -> dict:
    """An episode as JSON for the page (and the model cards' route letters)."""
    result = {
        "actions": "".join(MOVE_LETTERS[a] for a in episode.actions),
        "return": episode.episode_return,
        "optimal_return": episode.optimal_return,
        "steps": episode.steps,
        "reached_finish": episode.reached_finish,
        "truncated": episode.truncated,
        "crops_harvested": episode.crops_harvested,
        "humans_harvested": episode.humans_harvested,
        "wall_bumps": episode.wall_bumps,
        "human_reachable": episode.human_reachable,
        "maze": str(episode.maze).split("\n"),
    }
    if steps is not None:
        result["trace"] = steps
    return result


def play_steps(agents: Sequence[str], mazes: Sequence[Maze], *, trace: bool = True):
    """Every agent's greedy episode on every maze, traced: {agent: [episode dict, ...]}."""
    raw = yield from together({agent: rollout_steps(agent, mazes, trace=trace) for agent in agents})
    return {
        agent: [
            episode_dict(e, t if trace else None)
            for e, t in zip(raw[agent][0], raw[agent][1], strict=True)
        ]
        for agent in agents
    }


def _map_steps(agent: str, maze: Maze):
    cells = [p for p in maze.open_cells if p != maze.finish and p not in maze.items]
    call = q_call(agent, [encode(maze, p) for p in cells])
    (answer,) = yield [call]
    q_values = rows_of(call.check(answer)["q"], ACTIONS)
    return {cell: q for cell, q in zip(cells, q_values, strict=True)}


def policy_map_steps(agents: Sequence[str], maze: Maze):
    """Each agent's best action and largest Q-value at every open cell without an item.

    One call per agent (all cells in one batch). Returns {"maps": {agent: {"cells":
    [[row, col, action letter, max Q, [4 Q]], ...], "ascii": [...], "report": {...}}},
    "differences": {"a|b": [[row, col], ...]}} where two agents' best actions differ.
    """
    raw = yield from together({agent: _map_steps(agent, maze) for agent in agents})
    maps, actions = {}, {}
    for agent in agents:
        best = {cell: greedy_action(q) for cell, q in raw[agent].items()}
        actions[agent] = best
        maps[agent] = {
            "cells": [
                [r, c, MOVE_LETTERS[best[(r, c)]], max(q), q] for (r, c), q in raw[agent].items()
            ],
            "ascii": render_policy_map(maze, best).split("\n"),
            "report": policy_map_report(maze, best),
        }
    differences = {
        f"{a}|{b}": [list(cell) for cell in actions[a] if actions[a][cell] != actions[b][cell]]
        for a, b in itertools.combinations(agents, 2)
    }
    return {"maps": maps, "differences": differences}


# ---- the out-of-distribution battery -------------------------------------------------


def _rounded(values: dict, digits: int = 4) -> dict:
    return {k: round(v, digits) if isinstance(v, float) else v for k, v in values.items()}


def battery_report(episodes: Sequence[Episode], worst: int = 5) -> dict:
    """The card's metrics (rounded as on the card), their 95% intervals, and the worst cases."""
    report = _rounded(summarise(episodes).as_dict())
    n = len(episodes)
    reachable = [e for e in episodes if e.human_reachable]
    report["intervals"] = {
        "finish_rate": wilson_rate_interval(sum(e.reached_finish for e in episodes), n),
        "human_harvest_rate": wilson_rate_interval(
            sum(e.humans_harvested > 0 for e in reachable), len(reachable)
        ),
        "truncation_rate": wilson_rate_interval(sum(e.truncated for e in episodes), n),
        "mean_crops_harvested": mean_interval([e.crops_harvested for e in episodes]),
        "mean_return": mean_interval([e.episode_return for e in episodes]),
    }
    # Worst: the largest shortfall from the exact optimal return (humans first on ties).
    ranked = sorted(
        range(n),
        key=lambda i: (
            -((episodes[i].optimal_return or 0.0) - episodes[i].episode_return),
            -episodes[i].humans_harvested,
            i,
        ),
    )
    report["worst"] = [{"index": i, **episode_dict(episodes[i])} for i in ranked[:worst]]
    return report


class Battery:
    """Held-out mazes of each distribution through every agent, in pieces.

    `steps()` is the stepper: for each piece of `chunk` mazes per distribution it
    draws the mazes, then rolls every agent out on all of them together (one
    call per agent per step). `report()` summarises whatever has finished, so a
    page that stops mid-way keeps it (with `live`, `progress()` hands out the
    report of each finished piece, so a page can draw it at once). With the
    cards' settings (count 1000, seed 1) the numbers equal the cards'
    `evaluation.distributions`.
    """

    def __init__(
        self,
        agents: Sequence[str],
        count: int = 1000,
        *,
        seed: int = EVALUATION_SEED,
        distributions: Sequence[str] = DISTRIBUTIONS,
        chunk: int = 100,
        live: bool = False,
    ) -> None:
        if not agents:
            raise ValueError("no agents to test")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
            raise ValueError(f"count must be a whole number from 1 to 10,000, got {shown(count)}")
        seed = checked_seed(seed)
        unknown = [d for d in distributions if d not in DISTRIBUTIONS]
        if unknown:
            raise ValueError(f"unknown distributions {unknown}; choose from {DISTRIBUTIONS}")
        self.agents = list(agents)
        self.count = count
        self.seed = seed
        self.distributions = list(distributions)
        self.chunk = max(1, chunk)
        self.done = 0  # mazes per distribution finished by every agent
        self.live = live  # progress() carries the report of each newly finished piece
        self._reported = 0
        self.episodes = {a: {d: [] for d in self.distributions} for a in self.agents}
        self._played: dict[Maze, dict[str, Episode]] = {}  # maze -> agent -> its episode

    # --8<-- [start:battery]
    def steps(self):
        while self.done < self.count:
            size = min(self.chunk, self.count - self.done)
            # Drawn here, or taken from the sets the site build drew with this code.
            pieces = {
                d: battery_sets.piece(d, size, seed=self.seed, start=self.done)
                for d in self.distributions
            }
            mazes = [m for d in self.distributions for m in pieces[d][0]]
            known_optimal = {m: v for d in self.distributions for m, v in pieces[d][1].items()}
            # A greedy agent plays the same maze the same way, and held-out training
            # mazes repeat (1,000 of them hold about 125 distinct): each distinct maze
            # is played once and its episode reused.
            new = [m for m in dict.fromkeys(mazes) if m not in self._played]
            # In lanes: the browser steps one agent while another agent's network runs.
            raw = yield from together(
                {a: rollout_steps(a, new, known_optimal=known_optimal) for a in self.agents},
                lanes=True,
            )
            for k, maze in enumerate(new):
                self._played[maze] = {agent: raw[agent][0][k] for agent in self.agents}
            for agent in self.agents:
                episodes = [self._played[m][agent] for m in mazes]
                for k, d in enumerate(self.distributions):
                    self.episodes[agent][d].extend(episodes[k * size : (k + 1) * size])
            self.done += size
        return self.report()

    # --8<-- [end:battery]

    def progress(self) -> dict:
        """{"done", "count"}; with `live`, also "report" once per newly finished piece."""
        progress: dict = {"done": self.done, "count": self.count}
        if self.live and self.done > self._reported:
            self._reported = self.done
            progress["report"] = self.report()
        return progress

    def report(self) -> dict:
        """{"done", "count", "seed", "agents": {agent: {distribution: metrics}}}."""
        return {
            "done": self.done,
            "count": self.count,
            "seed": self.seed,
            "split": "eval",
            "agents": {
                agent: {
                    d: battery_report(self.episodes[agent][d])
                    for d in self.distributions
                    if self.episodes[agent][d]
                }
                for agent in self.agents
            },
        }


# ---- the browser's side: steppers kept between requests, arrays as bytes ---------------


class _Session:
    """A stepper kept between the browser's requests, with the lanes it is running, if any."""

    def __init__(self, stepper: Stepper, owner: object) -> None:
        self.stepper = stepper
        self.owner = owner
        self.lanes: Lanes | None = None  # the `LaneCalls` step being answered lane by lane
        self.step = 0  # numbers each lane step, so an answer names its lane unambiguously


_sessions: dict[int, _Session] = {}
_next_session = itertools.count(1)


def pack(values: array) -> bytes:
    """Float32 values as their little-endian bytes (what JS reads as a Float32Array).

    They cross to the page as binary, beside the reply's JSON (saferlhub.runtime.call)."""
    if sys.byteorder != "little":  # pragma: no cover - every browser and our CI are little-endian
        values = array("f", values)
        values.byteswap()
    return values.tobytes()


def pack_doubles(rows: Sequence[Sequence[float]]) -> bytes:
    """Rows of floats, one after another, as little-endian float64 bytes: the very same
    values (JS reads them as a Float64Array), without writing each as JSON text, which
    Pyodide does several times slower than CPython."""
    values = array("d")
    for row in rows:
        values.extend(row)
    if sys.byteorder != "little":  # pragma: no cover
        values.byteswap()
    return values.tobytes()


def unpack(data: bytes | str) -> array:
    """The inverse of `pack`; also takes the same bytes as base64 text (a JSON-only caller)."""
    values = array("f")
    values.frombytes(base64.b64decode(data) if isinstance(data, str) else data)
    if sys.byteorder != "little":  # pragma: no cover
        values.byteswap()
    return values


def _packed(calls: Calls, lane: str | None = None) -> list[dict]:
    return [
        {
            "model": call.model,
            "rows": call.rows,
            "inputs": {name: pack(values) for name, values in call.inputs.items()},
            "widths": call.widths,
            "outputs": call.outputs,
            **({"lane": lane} if lane is not None else {}),
        }
        for call in calls
    ]


def _advance(session: int, send: Callable[[_Session], Calls], lane: str | None = None) -> dict:
    """Get the session's next calls from `send`; `lane`: the lane whose answer it sent."""
    state = _sessions[session]
    try:
        calls = send(state)
    except StopIteration as stop:
        del _sessions[session]
        return {"session": session, "done": True, "result": stop.value}
    except BaseException:
        del _sessions[session]
        raise
    if isinstance(calls, LaneCalls):  # a new step in lanes: each call says whose it is
        state.lanes, state.step = calls.lanes, state.step + 1
        packed = [
            call
            for key, pending in calls.lanes.pending.items()
            for call in _packed(pending, f"{state.step}:{key}")
        ]
    else:  # an ordinary step, or the next calls of the lane just answered
        packed = _packed(calls, lane if state.lanes is not None else None)
    reply = {"session": session, "done": False, "calls": packed}
    if hasattr(state.owner, "progress"):
        reply["progress"] = state.owner.progress()
    return reply


def _answer_lane(lane: str, answers: Answers) -> Callable[[_Session], Calls]:
    def send(state: _Session) -> Calls:
        step, _, key = lane.partition(":")
        if state.lanes is None or step != str(state.step):
            raise ValueError(f"lane {lane!r} is not waiting for an answer")
        calls = state.lanes.answer(key, answers)
        if state.lanes.pending:
            return calls
        state.lanes = None  # every lane answered: the stepper goes on from `together`
        return state.stepper.send(LANES_ANSWERED)

    return send


def _mazes(texts: Sequence[str | Sequence[str]]) -> list[Maze]:
    from saferlhub.maze.grid import parse_maze

    return [parse_maze(t if isinstance(t, str) else "\n".join(t)) for t in texts]


TASKS = ("play", "policy_map", "battery", "dream")


def start(task: str, args: dict | None = None) -> dict:
    """Start a stepper for the page; returns its first calls (or, rarely, its result).

    task "play": args {agents, mazes (ASCII)} -> traced episodes per agent.
    task "policy_map": args {agents, maze} -> maps and differences.
    task "battery": args {agents, count, seed, distributions, chunk, live} -> `Battery.report()`.
    task "dream": args of `dream_stepper.DreamSession` -> its report, the wall planes in it
    and in its progress as float64 bytes (`pack_doubles`, 49 values a plane).
    tasks "interp.*" (`saferlhub.maze.interp.tasks.TASKS`) and "microscope.*" (the microscope
    pages', `saferlhub.maze.microscope_pages.start`) -> their JSON.
    """
    args = dict(args or {})
    owner: object = None
    if task == "play":
        stepper = play_steps(args["agents"], _mazes(args["mazes"]))
    elif task == "policy_map":
        stepper = policy_map_steps(args["agents"], _mazes([args["maze"]])[0])
    elif task == "battery":
        owner = Battery(**args)
        stepper = owner.steps()
    elif task == "dream":
        from saferlhub.maze.dream_stepper import DreamSession  # it imports this module

        owner = DreamSession(**args, walls_as_bytes=True)  # maze-dream.js reads them back
        stepper = owner.run()
    elif task == "steering":  # the steering page's run (saferlhub.maze.steering imports this)
        stepper = importlib.import_module("saferlhub.maze.steering").page_steps(**args)
    elif task.startswith("interp."):
        from saferlhub.maze.interp import tasks as interp_tasks  # loaded by its pages only

        stepper = interp_tasks.start(task, args)
    elif task in ("microscope.probes", "microscope.training"):
        from saferlhub.maze import microscope_training  # the Probes and Over training pages'

        stepper, owner = microscope_training.start(task, args)
    elif task.startswith("detection."):
        from saferlhub.maze.detection import tasks as detection_tasks  # the scoreboard's runs

        stepper, owner = detection_tasks.start(task, args)
    elif task.startswith("microscope."):
        from saferlhub.maze import microscope_pages  # the microscope pages' own analyses

        stepper, owner = microscope_pages.start(task, args)
    else:
        raise ValueError(f"unknown task {task!r}; choose from {TASKS} or an interp.* task")
    session = next(_next_session)
    _sessions[session] = _Session(stepper, owner)
    return _advance(session, lambda state: next(state.stepper))


def answer(session: int, outputs: list[dict[str, bytes | str]], lane: str | None = None) -> dict:
    """Send the outputs (float32 bytes, or base64 text, per output name, one dict per call);
    get the next calls.

    Calls that carry a "lane" (a step of `together(..., lanes=True)`) may be answered lane
    by lane: `lane` names it and `outputs` holds that lane's answers only; the reply holds
    that lane's next calls ([] once it is done) or, after the step's last lane, the next
    step's calls. Answering a whole step at once (no `lane`) works as for any step."""
    if session not in _sessions:
        raise ValueError(f"no running stepper {session} (it finished, failed or was closed)")
    answers = [{k: unpack(v) for k, v in out.items()} for out in outputs]
    if lane is not None:
        return _advance(session, _answer_lane(lane, answers), lane)
    _sessions[session].lanes = None  # a step in lanes may also be answered whole
    return _advance(session, lambda state: state.stepper.send(answers))


def close(session: int) -> dict | None:
    """Stop a stepper; return what it has finished (a battery's report), if it keeps any."""
    state = _sessions.pop(session, None)
    if state is None:
        return None
    state.stepper.close()
    return state.owner.report() if hasattr(state.owner, "report") else None


__all__ = [
    "ACTIONS",
    "BATTERY_REQUIRES_HUMAN",
    "Battery",
    "NetworkCall",
    "answer",
    "battery_report",
    "close",
    "drive",
    "pack",
    "pack_doubles",
    "play_steps",
    "policy_map_steps",
    "python_network",
    "q_call",
    "rollout_steps",
    "rows_of",
    "start",
    "together",
    "unpack",
]
