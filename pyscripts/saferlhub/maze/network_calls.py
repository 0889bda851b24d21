"""The network-call protocol of the maze steppers: maze code hands out inputs, a driver answers.

In the browser the networks run in onnxruntime-web, whose `run` is
asynchronous, while Python in the worker is not (and WebAssembly stack
switching is not in every browser). So the maze side is written as generators
that *hand out* the network inputs they need and *take back* the outputs:

    stepper = rollout_steps("planted", mazes)   # nothing runs yet
    calls = next(stepper)                      # [NetworkCall(...)], one per model
    calls = stepper.send(outputs)              # outputs: one {name: floats} per call
    ...                                        # until StopIteration(value=result)

Each yield is one step of every running episode, so a driver makes one batched
network call per model per step, never one per maze. `drive` runs a stepper
with any Python function as the network (CPython + onnxruntime in `export/`,
the pure-Python MLP in tests); `saferlhub.maze.stepper` keeps steppers alive
between the browser's requests.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field

from saferlhub.maze.encoding import INPUT_SIZE

ACTIONS = 4  # Q-values per input, in Action order (UP, DOWN, LEFT, RIGHT)


@dataclass
class NetworkCall:
    """One batched request to one model: `rows` inputs, each input a flat float32 row.

    model: "<agent>/<file key>", e.g. "planted/q_network" (the card's `files` key).
    inputs: input name -> array('f') of rows * width values (row-major).
    widths: input name -> values per row.
    outputs: the output names wanted, with their widths.
    """

    model: str
    rows: int
    inputs: dict[str, array]
    widths: dict[str, int]
    outputs: dict[str, int] = field(default_factory=lambda: {"q": ACTIONS})

    def check(
        self, answer: dict[str, Sequence[float]], *, as_given: Sequence[str] = ()
    ) -> dict[str, list[float]]:
        """The answer's outputs as float lists, after checking names and sizes.

        Outputs named in `as_given` are checked but handed back as they came (an array,
        a list), for a caller that reads only part of them (`floats` converts a slice)."""
        result = {}
        for name, width in self.outputs.items():
            if name not in answer:
                raise ValueError(f"{self.model}: output {name!r} missing from the answer")
            values = answer[name]
            if len(values) != self.rows * width:
                raise ValueError(
                    f"{self.model}: output {name!r} has {len(values)} values, "
                    f"expected {self.rows} x {width}"
                )
            result[name] = values if name in as_given else floats(values)
        return result


def floats(values: Sequence[float]) -> list[float]:
    """Python floats: tolist() in one call (array and numpy), else each converted."""
    return values.tolist() if hasattr(values, "tolist") else [float(v) for v in values]


Calls = list[NetworkCall]
Answers = list[dict[str, Sequence[float]]]
Stepper = Generator[Calls, Answers, object]


def q_call(agent: str, observations: Sequence[list[float]]) -> NetworkCall:
    """A call for the Q-values of `agent` at each observation."""
    obs = array("f")
    for x in observations:
        obs.extend(x)
    return NetworkCall(f"{agent}/q_network", len(observations), {"obs": obs}, {"obs": INPUT_SIZE})


def rows_of(values: Sequence[float], width: int) -> list[list[float]]:
    return [list(values[i : i + width]) for i in range(0, len(values), width)]


class Lanes:
    """Independent steppers side by side, each of which can be answered on its own.

    `together(..., lanes=True)` yields a `LaneCalls` that holds one; a driver that
    answers the whole step at once never notices. The browser answers lane by lane
    (`saferlhub.maze.stepper.answer`), so Python steps one agent while onnxruntime-web
    runs the next agent's network on the page's thread.
    """

    def __init__(self, steppers: dict[str, Stepper]) -> None:
        self.steppers = steppers
        self.results: dict[str, object] = {}
        self.pending: dict[str, Calls] = {}
        for key in steppers:
            self._advance(key, None)

    def _advance(self, key: str, answers: Answers | None) -> None:
        try:
            stepper = self.steppers[key]
            self.pending[key] = next(stepper) if answers is None else stepper.send(answers)
        except StopIteration as stop:
            self.results[key] = stop.value
            self.pending.pop(key, None)

    def answer(self, key: str, answers: Answers) -> Calls:
        """Answer one lane's pending calls; return its next calls ([] once it is done)."""
        if key not in self.pending:
            raise ValueError(f"no pending calls in lane {key!r}")
        if len(answers) != len(self.pending[key]):
            raise ValueError("one answer per call expected")
        self._advance(key, answers)
        return self.pending.get(key, [])

    def step(self, lanes: bool) -> Calls:
        """Every lane's pending calls, in lane order (a `LaneCalls` if `lanes`)."""
        calls = [call for key in self.pending for call in self.pending[key]]
        return LaneCalls(self, calls) if lanes else calls


class LaneCalls(list):
    """The calls of one step of `together(..., lanes=True)`, with the `Lanes` behind them.

    Answered all at once (a list of answers) it is an ordinary step. Otherwise the driver
    answers lanes one by one through `lanes.answer` and, once `lanes.pending` is empty,
    sends `LANES_ANSWERED`, so that `together` returns."""

    def __init__(self, lanes: Lanes, calls: Calls) -> None:
        super().__init__(calls)
        self.lanes = lanes


LANES_ANSWERED: Answers = []  # sent (by identity) once every lane was answered on its own


def together(
    steppers: dict[str, Stepper], *, lanes: bool = False
) -> Generator[Calls, Answers, dict[str, object]]:
    """Run several steppers in lockstep: each step hands out all their calls at once.

    Returns {key: that stepper's result}. Steppers that finish early drop out. With
    `lanes`, a driver may also answer each stepper on its own (`LaneCalls`); the
    steppers must then not depend on one another's progress.
    """
    group = Lanes(steppers)
    while group.pending:
        answers = yield group.step(lanes)
        if answers is LANES_ANSWERED:
            continue
        keys = list(group.pending)
        if len(answers) != sum(len(group.pending[key]) for key in keys):
            raise ValueError("one answer per call expected")
        offset = 0
        for key in keys:
            n = len(group.pending[key])
            group.answer(key, answers[offset : offset + n])
            offset += n
    return group.results


def drive(stepper: Stepper, network: Callable[[NetworkCall], dict[str, Sequence[float]]]):
    """Run `stepper` to the end, answering each call with `network(call)`; return its result."""
    try:
        calls = next(stepper)
        while True:
            calls = stepper.send([network(call) for call in calls])
    except StopIteration as stop:
        return stop.value


def python_network(models: dict[str, Callable[[list[float]], Sequence[float]]]):
    """A `drive` network from plain Python Q-functions (model name -> input -> 4 Q-values)."""

    def network(call: NetworkCall) -> dict[str, list[float]]:
        q = models[call.model]
        obs = call.inputs["obs"]
        return {"q": [v for x in rows_of(obs, INPUT_SIZE) for v in q(x)]}

    return network


def batch_network(q_batch: Callable[[list[list[float]]], Sequence[Sequence[float]]]):
    """A `drive` network from a batched Q-function (inputs -> one 4-vector each), any model."""

    def network(call: NetworkCall) -> dict[str, list[float]]:
        q_values = q_batch(rows_of(call.inputs["obs"], INPUT_SIZE))
        return {"q": [v for q in q_values for v in q]}  # `NetworkCall.check` makes them floats

    return network


__all__ = [
    "ACTIONS",
    "Answers",
    "Calls",
    "LANES_ANSWERED",
    "LaneCalls",
    "Lanes",
    "NetworkCall",
    "Stepper",
    "batch_network",
    "drive",
    "floats",
    "python_network",
    "q_call",
    "rows_of",
    "together",
]
