"""Steppers: the maze code hands out network inputs and takes back outputs.

Driven by plain Python Q-functions, a stepper must give exactly what
`saferlhub.maze.evaluation` gives when it calls the same Q-function itself.
"""

import base64
import json
import random
import re
from array import array

import pytest

from saferlhub import runtime
from saferlhub.intervals import wilson_rate_interval
from saferlhub.maze import stepper
from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.env import FLIPPED_REWARDS
from saferlhub.maze.evaluation import (
    batched,
    policy_map,
    policy_map_report,
    render_policy_map,
    rollouts,
    summarise,
)
from saferlhub.maze.generators import FAILURE_MAZES, failure_maze, maze_set
from saferlhub.maze.grid import START, render_maze
from saferlhub.maze.network import MLP
from saferlhub.maze.solver import optimal_q_function

OPTIMAL = optimal_q_function()
SEEKER = optimal_q_function(rewards=FLIPPED_REWARDS)  # goes for humans, exactly
WANDERER = MLP.random([INPUT_SIZE, 16, 4], random.Random(3))  # an untrained network
AGENTS = {"optimal/q_network": OPTIMAL, "seeker/q_network": SEEKER, "mlp/q_network": WANDERER}


def mixed_mazes():
    return (
        maze_set("training", 6, seed=4, split="eval")
        + maze_set("protrusion", 6, seed=4, split="eval")
        + [failure_maze(name) for name in FAILURE_MAZES]
    )


@pytest.mark.parametrize("agent", ["optimal", "seeker", "mlp"])
def test_a_driven_rollout_equals_evaluation_rollouts(agent):
    mazes = mixed_mazes()
    q = AGENTS[f"{agent}/q_network"]
    episodes, traces = stepper.drive(
        stepper.rollout_steps(agent, mazes), stepper.python_network(AGENTS)
    )
    assert episodes == rollouts(batched(q), mazes)
    assert traces == [[] for _ in mazes]  # only kept when asked for


def test_one_batched_call_per_step_for_all_running_episodes():
    mazes = mixed_mazes()
    seen = []

    def network(call):
        seen.append((call.model, call.rows))
        return stepper.python_network(AGENTS)(call)

    episodes, _ = stepper.drive(stepper.rollout_steps("seeker", mazes), network)
    running = [sum(e.steps > t for e in episodes) for t in range(max(e.steps for e in episodes))]
    assert seen == [("seeker/q_network", n) for n in running]
    assert seen[0][1] == len(mazes)


def test_observations_are_the_encoding_of_each_running_board():
    maze = failure_maze("bad2")
    gen = stepper.rollout_steps("optimal", [maze])
    (call,) = next(gen)
    assert call.widths == {"obs": INPUT_SIZE} and call.outputs == {"q": 4}
    assert list(call.inputs["obs"]) == encode(maze, START)


def test_a_trace_records_q_values_actions_and_the_running_return():
    maze = failure_maze("bad1")
    (episode,), (trace,) = stepper.drive(
        stepper.rollout_steps("seeker", [maze], trace=True), stepper.python_network(AGENTS)
    )
    assert len(trace) == episode.steps
    assert "".join(s["action"] for s in trace) == "".join("UDLR"[a] for a in episode.actions)
    assert trace[-1]["return"] == pytest.approx(episode.episode_return)
    assert trace[0]["position"] == [0, 0]
    assert [s["position"] for s in trace[1:]] == [s["cell"] for s in trace[:-1]]
    assert any(s["entered"] == "human" for s in trace)
    for s in trace:
        assert s["q"] == pytest.approx(SEEKER(encode_at(maze, trace, s)))


def encode_at(maze, trace, step):
    """The input the agent saw at `step`: items harvested before it are gone."""
    board = maze
    for earlier in trace:
        if earlier is step:
            break
        board = board.harvest(tuple(earlier["cell"]))
    return encode(board, tuple(step["position"]))


def test_together_runs_agents_in_lockstep_with_one_call_per_agent():
    mazes = mixed_mazes()
    calls_per_step = []

    def network(call):
        return stepper.python_network(AGENTS)(call)

    gen = stepper.play_steps(["optimal", "seeker"], mazes, trace=False)
    try:
        calls = next(gen)
        while True:
            calls_per_step.append(sorted(c.model for c in calls))
            calls = gen.send([network(c) for c in calls])
    except StopIteration as stop:
        result = stop.value
    assert calls_per_step[0] == ["optimal/q_network", "seeker/q_network"]
    assert all(len(set(models)) == len(models) for models in calls_per_step)
    for agent in ("optimal", "seeker"):
        expected = rollouts(batched(AGENTS[f"{agent}/q_network"]), mazes)
        assert [e["actions"] for e in result[agent]] == [
            "".join("UDLR"[a] for a in e.actions) for e in expected
        ]
        assert [e["return"] for e in result[agent]] == [e.episode_return for e in expected]
    json.dumps(result)  # the page receives it as JSON


def test_a_wrong_answer_is_refused_with_the_model_and_output_named():
    gen = stepper.rollout_steps("optimal", [failure_maze("bad0")])
    next(gen)
    with pytest.raises(ValueError, match=r"optimal/q_network: output 'q' has 3 values"):
        gen.send([{"q": [0.0, 1.0, 2.0]}])
    gen = stepper.rollout_steps("optimal", [failure_maze("bad0")])
    next(gen)
    with pytest.raises(ValueError, match="output 'q' missing"):
        gen.send([{"grad": [0.0] * 4}])


def test_policy_maps_equal_evaluation_policy_map_and_differences_are_listed():
    maze = failure_maze("bad2")
    result = stepper.drive(
        stepper.policy_map_steps(["optimal", "seeker"], maze), stepper.python_network(AGENTS)
    )
    for agent, q in (("optimal", OPTIMAL), ("seeker", SEEKER)):
        expected = policy_map(q, maze)
        got = result["maps"][agent]
        assert got["ascii"] == render_policy_map(maze, expected).split("\n")
        assert got["report"] == policy_map_report(maze, expected)
        assert {(r, c): "UDLR".index(a) for r, c, a, _, _ in got["cells"]} == expected
        for r, c, _, best, q4 in got["cells"]:
            assert best == max(q4) == pytest.approx(max(q(encode(maze, (r, c)))))
    differ = {tuple(cell) for cell in result["differences"]["optimal|seeker"]}
    assert differ == {
        cell
        for cell in policy_map(OPTIMAL, maze)
        if policy_map(OPTIMAL, maze)[cell] != policy_map(SEEKER, maze)[cell]
    }
    assert differ  # the seeker heads for the human somewhere


def test_maze_sets_can_be_drawn_in_pieces():
    for name in ("training", "protrusion-kept-items"):
        whole = maze_set(name, 7, seed=2, split="eval", require_reachable_human=True)
        assert (
            maze_set(name, 4, seed=2, split="eval", require_reachable_human=True, start=3)
            == (whole[3:])
        )


def test_battery_in_pieces_equals_whole_sets_and_keeps_what_finished():
    battery = stepper.Battery(["seeker", "optimal"], 5, seed=3, chunk=2)
    report = stepper.drive(battery.steps(), stepper.python_network(AGENTS))
    assert report["done"] == 5 and report["count"] == 5
    for distribution, needs_human in stepper.BATTERY_REQUIRES_HUMAN.items():
        mazes = maze_set(distribution, 5, seed=3, split="eval", require_reachable_human=needs_human)
        for agent in ("seeker", "optimal"):
            expected = summarise(rollouts(batched(AGENTS[f"{agent}/q_network"]), mazes))
            got = report["agents"][agent][distribution]
            for key, value in expected.as_dict().items():
                assert got[key] == (round(value, 4) if isinstance(value, float) else value), key
            low, high = got["intervals"]["finish_rate"]
            assert low <= got["finish_rate"] <= high
            worst = got["worst"][0]
            assert worst["maze"] == render_maze(mazes[worst["index"]]).split("\n")
    assert report["agents"]["seeker"]["protrusion"]["human_harvest_rate"] == 1.0
    assert report["agents"]["optimal"]["protrusion"]["human_harvest_rate"] == 0.0
    json.dumps(report)


def test_wilson_interval():
    assert wilson_rate_interval(0, 0) is None
    low, high = wilson_rate_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=1e-4) and high == pytest.approx(0.5962, abs=1e-4)
    low, high = wilson_rate_interval(0, 20)
    assert low == 0.0 and high == pytest.approx(0.1611, abs=1e-4)
    assert wilson_rate_interval(20, 20)[1] == 1.0


def test_pack_and_unpack_are_float32_little_endian():
    values = array("f", [0.0, 1.0, -2.5, 1e-3])
    data = stepper.pack(values)
    assert stepper.unpack(data) == values
    assert stepper.pack(array("f", [1.0])) == b"\x00\x00\x80\x3f"
    assert stepper.unpack(base64.b64encode(data).decode()) == values  # a JSON-only caller's text


def worker_call(function: str, kwargs: dict, buffers: list) -> dict:
    """What docs/js/python-worker.js does for a call: JSON with {"$bytes": i} placeholders
    and the bytes beside it, both ways (saferlhub.runtime.call)."""
    path = f"saferlhub.maze.stepper.{function}"
    text, sent = runtime.call(path, json.dumps(kwargs), None, buffers)

    def revive(value):
        return sent[value["$bytes"]] if set(value) == {"$bytes"} else value

    return json.loads(text, object_hook=revive)


def browser_like_drive(task, args, models):
    """Drive a session the way docs/js/onnx.js (`runStepper`) does, through the worker's call."""
    reply = worker_call("start", {"task": task, "args": args}, [])
    requests = 0
    while not reply["done"]:
        outputs, buffers = [], []
        for call in reply["calls"]:
            obs = stepper.unpack(call["inputs"]["obs"])
            q = models[call["model"]]
            rows = [list(obs[i : i + INPUT_SIZE]) for i in range(0, len(obs), INPUT_SIZE)]
            buffers.append(stepper.pack(array("f", [v for x in rows for v in q(x)])))
            outputs.append({"q": {"$bytes": len(buffers) - 1}})
        requests += 1
        reply = worker_call("answer", {"session": reply["session"], "outputs": outputs}, buffers)
    return reply["result"], requests


def float32(q):
    return lambda x: list(array("f", q(x)))


def test_browser_sessions_give_the_same_episodes_as_drive():
    models = {name: float32(q) for name, q in AGENTS.items()}
    mazes = [render_maze(failure_maze(n)) for n in FAILURE_MAZES]
    result, requests = browser_like_drive(
        "play", {"agents": ["seeker", "mlp"], "mazes": mazes}, models
    )
    direct = stepper.drive(
        stepper.play_steps(["seeker", "mlp"], [failure_maze(n) for n in FAILURE_MAZES]),
        stepper.python_network(models),
    )
    assert result == json.loads(json.dumps(direct))
    assert requests == max(e["steps"] for a in direct.values() for e in a)
    assert not stepper._sessions  # finished sessions are forgotten


def test_a_closed_battery_keeps_what_finished_and_bad_sessions_say_so():
    models = {name: float32(q) for name, q in AGENTS.items()}
    reply = stepper.start("battery", {"agents": ["optimal"], "count": 4, "seed": 2, "chunk": 2})
    while reply["progress"]["done"] < 2:
        call = reply["calls"][0]
        obs = stepper.unpack(call["inputs"]["obs"])
        rows = [list(obs[i : i + INPUT_SIZE]) for i in range(0, len(obs), INPUT_SIZE)]
        q = array("f", [v for x in rows for v in models[call["model"]](x)])
        reply = stepper.answer(reply["session"], [{"q": stepper.pack(q)}])
    report = stepper.close(reply["session"])
    assert report["done"] == 2 and report["count"] == 4
    assert report["agents"]["optimal"]["training"]["mazes"] == 2
    with pytest.raises(ValueError, match="no running stepper"):
        stepper.answer(reply["session"], [])
    with pytest.raises(ValueError, match="unknown task"):
        stepper.start("juggle", {})
    with pytest.raises(ValueError, match="count must be a whole number from 1 to 10,000"):
        stepper.start("battery", {"agents": ["optimal"], "count": 0})
    with pytest.raises(ValueError, match="finish"):
        stepper.start("play", {"agents": ["optimal"], "mazes": [".......\n" * 7]})


@pytest.mark.parametrize(
    "change, message",
    [
        ({"seed": -1}, "seed must be a whole number from 0 to 4,294,967,295, got -1"),
        ({"seed": 2**32}, "seed must be a whole number from 0 to 4,294,967,295, got 4294967296"),
        ({"seed": 1.5}, "seed must be a whole number"),
        ({"seed": "1"}, "seed must be a whole number"),
        ({"count": 0}, "count must be a whole number from 1 to 10,000, got 0"),
        ({"count": 2.5}, "count must be a whole number from 1 to 10,000, got 2.5"),
    ],
)
def test_a_battery_refuses_a_bad_seed_or_count_in_python_too(change, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        stepper.Battery(["optimal"], **{"count": 4, "seed": 1, **change})


def test_the_scoreboard_task_is_dispatched_to_the_detection_package():
    with pytest.raises(ValueError, match="at least two cards"):
        stepper.start("detection.scoreboard", {"cards": {}})
