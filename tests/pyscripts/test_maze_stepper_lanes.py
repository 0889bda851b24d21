"""Steps in lanes: the browser answers one agent's battery calls at a time (docs/js/onnx.js
runs the next agent's network meanwhile). In any order, the result must be exactly the
lockstep result, and a whole step may still be answered at once."""

import random
from array import array

import pytest

from saferlhub.maze import stepper
from saferlhub.maze.network_calls import LaneCalls, together
from tests.pyscripts.test_maze_stepper import AGENTS

BATTERY = {"agents": ["optimal", "seeker", "mlp"], "count": 12, "seed": 3, "chunk": 5}
DREAM = {"agents": ["a", "b"], "scene": {"maze": "bad2"}, "steps": 5, "restarts": 3}


def answer_of(network, call: dict) -> dict:
    inputs = {k: stepper.unpack(v) for k, v in call["inputs"].items()}
    call = stepper.NetworkCall(call["model"], call["rows"], inputs, call["widths"], call["outputs"])
    return {k: stepper.pack(array("f", v)) for k, v in network(call).items()}


def lane_by_lane(task, args, network, rng: random.Random):
    """Drive a session as the page does: answer a randomly chosen ready lane at a time."""
    reply = stepper.start(task, args)
    ready: dict[str, list[dict]] = {}
    lane_replies = 0
    while not reply["done"]:
        for call in reply["calls"]:
            assert "lane" in call, "battery and dream steps are in lanes"
            ready.setdefault(call["lane"], []).append(call)
        lane = rng.choice(sorted(ready))
        outputs = [answer_of(network, call) for call in ready.pop(lane)]
        reply = stepper.answer(reply["session"], outputs, lane=lane)
        lane_replies += 1
    assert not ready
    return reply["result"], lane_replies


def whole_steps(task, args, network):
    reply = stepper.start(task, args)
    while not reply["done"]:
        outputs = [answer_of(network, call) for call in reply["calls"]]
        reply = stepper.answer(reply["session"], outputs)
    return reply["result"]


@pytest.mark.parametrize("seed", [0, 1])
def test_a_battery_answered_lane_by_lane_equals_lockstep(seed):
    network = stepper.python_network(AGENTS)
    expected = whole_steps("battery", BATTERY, network)  # outputs as float32, as the page's
    got, lane_replies = lane_by_lane("battery", BATTERY, network, random.Random(seed))
    assert got == expected
    assert lane_replies > 3 * 2 * 5  # 3 agents, 3 pieces of 5 mazes, several steps each


@pytest.mark.parametrize("seed", [0, 1])
def test_a_dream_answered_lane_by_lane_equals_lockstep(seed):
    # The ascents step in lanes (each agent's its own); the verification after them does not.
    from tests.pyscripts.test_maze_dream_stepper import network

    expected = whole_steps("dream", DREAM, network)
    reply = stepper.start("dream", DREAM)
    assert {call.get("lane", "").split(":")[-1] for call in reply["calls"]} == {"a", "b"}
    stepper.close(reply["session"])
    rng = random.Random(seed)
    reply = stepper.start("dream", DREAM)
    ready: dict[str, list[dict]] = {}
    lane_replies = 0
    while not reply["done"]:
        if reply["calls"] and "lane" not in reply["calls"][0]:
            assert not ready  # the verification comes once every ascent has finished
            outputs = [answer_of(network, call) for call in reply["calls"]]
            reply = stepper.answer(reply["session"], outputs)
            continue
        for call in reply["calls"]:
            ready.setdefault(call["lane"], []).append(call)
        lane = rng.choice(sorted(ready))
        outputs = [answer_of(network, call) for call in ready.pop(lane)]
        reply = stepper.answer(reply["session"], outputs, lane=lane)
        lane_replies += 1
    assert reply["result"] == expected
    assert lane_replies >= 2 * (DREAM["steps"] + 1)  # each agent's every ascent step


def test_a_lane_answered_twice_or_unknown_is_refused():
    network = stepper.python_network(AGENTS)
    reply = stepper.start("battery", BATTERY)
    lane = reply["calls"][0]["lane"]
    outputs = [answer_of(network, c) for c in reply["calls"] if c["lane"] == lane]
    stepper.answer(reply["session"], outputs, lane=lane)
    with pytest.raises(ValueError, match="lane"):
        stepper.answer(reply["session"], outputs, lane="99:optimal")
    assert reply["session"] not in stepper._sessions  # a failed answer ends the session


def test_together_without_lanes_yields_plain_lists():
    def one(value):
        (answer,) = yield [value]
        return answer

    steps = together({"x": one(1), "y": one(2)})
    assert type(next(steps)) is list
    steps = together({"x": one(1), "y": one(2)}, lanes=True)
    first = next(steps)
    assert isinstance(first, LaneCalls) and list(first) == [1, 2]
    with pytest.raises(StopIteration) as stop:
        steps.send(["a", "b"])
    assert stop.value.value == {"x": "a", "y": "b"}
