"""The dreaming session's wall planes cross to the page as float64 bytes (docs/js/maze-dream.js
reads them back): the very same values as the lists `DreamSession` keeps otherwise."""

from array import array

from saferlhub.maze import stepper
from saferlhub.maze.dream_stepper import DreamSession
from tests.pyscripts.test_maze_dream_stepper import network

ARGS = {"agents": ["a", "b"], "scene": {"maze": "bad2"}, "steps": 6, "restarts": 3}


def planes(data: bytes) -> list[list[float]]:
    values = array("d")
    values.frombytes(data)
    return [values[i : i + 49].tolist() for i in range(0, len(values), 49)]


def drive_with_progress(session: DreamSession):
    live = []
    steps = session.run()
    try:
        calls = next(steps)
        while True:
            live.append(session.progress().get("walls"))
            calls = steps.send([network(call) for call in calls])
    except StopIteration as stop:
        return stop.value, [walls for walls in live if walls is not None]


def test_pack_doubles_keeps_every_bit():
    rows = [[0.1, 1 / 3, -2.5e-300], [float(i) / 7 for i in range(49)]]
    flat = array("d")
    flat.frombytes(stepper.pack_doubles(rows))
    assert flat.tolist() == [v for row in rows for v in row]


def test_walls_as_bytes_are_the_same_walls():
    expected, expected_live = drive_with_progress(DreamSession(**ARGS))
    got, live = drive_with_progress(DreamSession(**ARGS, walls_as_bytes=True))
    assert [planes(walls) for walls in live] == expected_live and len(live) == 7
    for agent, result in expected["agents"].items():
        for ours, theirs in zip(got["agents"][agent]["dreams"], result["dreams"], strict=True):
            assert planes(ours.pop("walls")) == theirs.pop("walls")
    assert got == expected


def test_the_browser_session_sends_walls_as_bytes():
    reply = stepper.start("dream", ARGS)
    assert stepper._sessions[reply["session"]].owner.walls_as_bytes
    stepper.close(reply["session"])
