"""The dreaming stepper repeats `dreaming.dream` exactly, batched, and verifies its dreams."""

import inspect
import json
import random
from array import array
from pathlib import Path

import pytest

from saferlhub.maze import dream_stepper, stepper
from saferlhub.maze.dreaming import dream, dream_scene, project_walls
from saferlhub.maze.encoding import INPUT_SIZE
from saferlhub.maze.generators import ROOMS, failure_maze
from saferlhub.maze.grid import render_maze
from saferlhub.maze.network import MLP

MODELS = Path(__file__).resolve().parents[2] / "models"
AGENTS = sorted(p.parent.name for p in MODELS.glob("*/model_card.json"))

NETS = {
    "a": MLP.random([INPUT_SIZE, 12, 4], random.Random(1)),
    "b": MLP.random([INPUT_SIZE, 12, 4], random.Random(2)),
}


def network(call):
    """Answers q_gradient calls row by row with the pure-Python MLP (and q_network calls)."""
    net = NETS[call.model.split("/")[0]]
    obs = stepper.rows_of(call.inputs["obs"], INPUT_SIZE)
    if call.model.endswith("q_network"):
        return {"q": [v for x in obs for v in net(x)]}
    weights = stepper.rows_of(call.inputs["weights"], 4)
    q, grad = [], []
    for x, w in zip(obs, weights, strict=True):
        qs, g = net.q_and_input_gradient(x, w)
        q.extend(qs)
        grad.extend(g)
    return {"q": q, "grad": grad}


def float32_inputs(net):
    """dream()'s network, seeing its input rounded to float32 as the stepper's calls are."""
    return lambda x, w: net.q_and_input_gradient(list(array("f", x)), list(array("f", w)))


@pytest.mark.parametrize("hold_open", [(), ROOMS])
def test_the_batched_ascent_repeats_dream_exactly(hold_open):
    scene = dream_scene(failure_maze("bad2"))
    starts = ("scene", "training", "random", "empty")
    runs = stepper.drive(
        dream_stepper.ascent_steps(
            "a", scene, starts, steps=15, learning_rate=0.5, seed=4, hold_open=hold_open
        ),
        network,
    )
    kwargs = {}
    if hold_open:
        if "hold_open" not in inspect.signature(dream).parameters:
            pytest.skip("dreaming.dream has no hold_open in this version")
        kwargs["hold_open"] = hold_open
    expected = dream(float32_inputs(NETS["a"]), scene, starts=starts, steps=15, seed=4, **kwargs)
    for run, reference in zip(runs, expected, strict=True):
        assert run["start"] == reference.start
        assert run["objective"] == pytest.approx(reference.objective, rel=1e-6)
        for ours, theirs in zip(run["walls"], reference.walls, strict=True):
            assert ours == pytest.approx(theirs, abs=1e-6)
        assert project_walls(run["final"], scene).maze == reference.projection.maze


def test_one_call_per_agent_per_step_for_every_restart():
    seen = []

    def counting(call):
        seen.append((call.model, call.rows))
        return network(call)

    session = dream_stepper.DreamSession(
        ["a", "b"], {"maze": "bad2"}, steps=6, restarts=5, starts=["random"], baseline=7
    )
    report = stepper.drive(session.run(), counting)
    ascent = [s for s in seen if s[1] == 5]
    assert ascent[:2] == [("a/q_gradient", 5), ("b/q_gradient", 5)]
    assert len([s for s in seen if s[0] == "a/q_gradient" and s[1] == 5]) == 7 + 1  # + discrete
    for agent in ("a", "b"):
        result = report["agents"][agent]
        assert len(result["dreams"]) == 5 and result["summary"]["harvested"]["of"] == 5
        assert result["random_walls"]["protrusion"]["of"] == 7
        dreamt = result["dreams"][0]
        # every recorded step for the shown agent (the first), only the last for the others
        assert len(dreamt["walls"]) == (7 if agent == "a" else 1) and dreamt["start"] == "random"
        assert dreamt["harvested"] in (True, False) and len(dreamt["maze"]) == 7
    json.dumps(report)


def test_verification_rolls_the_agent_out_in_the_projected_maze():
    session = dream_stepper.DreamSession(["a"], {"maze": "bad2"}, steps=3, restarts=2, baseline=3)
    report = stepper.drive(session.run(), network)
    mazes = [d["maze"] for d in report["agents"]["a"]["dreams"]]
    from saferlhub.maze.grid import parse_maze

    episodes, _ = stepper.drive(
        stepper.rollout_steps("a", [parse_maze("\n".join(m)) for m in mazes], with_optimal=False),
        network,
    )
    for verdict, episode in zip(report["agents"]["a"]["dreams"], episodes, strict=True):
        assert verdict["harvested"] == (episode.humans_harvested > 0)
        assert verdict["actions"] == "".join("UDLR"[a] for a in episode.actions)


def test_live_progress_and_the_browser_session():
    reply = stepper.start(
        "dream", {"agents": ["a"], "scene": {"maze": "bad2"}, "steps": 4, "restarts": 3}
    )
    phases = set()
    walls_seen = 0
    while not reply["done"]:
        phases.add(reply["progress"]["phase"])
        walls_seen += "walls" in reply["progress"]
        outputs = []
        for call in reply["calls"]:
            answer = network(
                stepper.NetworkCall(
                    call["model"],
                    call["rows"],
                    {k: stepper.unpack(v) for k, v in call["inputs"].items()},
                    call["widths"],
                    call["outputs"],
                )
            )
            outputs.append({k: stepper.pack(array("f", v)) for k, v in answer.items()})
        reply = stepper.answer(reply["session"], outputs)
    assert phases == {"dreaming", "verifying"} and walls_seen == 5
    assert reply["result"]["settings"]["restarts"] == 3


def test_scenes_and_refusals():
    options = dream_stepper.scene_options("bad2")
    assert options["ok"]
    default = options["scenes"][options["default"]]
    assert (default["human"], default["agent"]) == ([0, 6], [0, 5])
    no_human = render_maze(failure_maze("bad2").with_items(crops=[(4, 2)]))
    assert "no human" in dream_stepper.scene_options(no_human)["error"]
    assert "row" in dream_stepper.scene_options(".......\n" * 3)["error"]
    for bad, message in (
        ({"steps": 0}, "steps must be between"),
        ({"restarts": 65}, "restarts must be between"),
        ({"objective": "joy"}, "unknown objective"),
        ({"starts": []}, "choose starts"),
    ):
        with pytest.raises(ValueError, match=message):
            dream_stepper.DreamSession(["a"], {"maze": "bad2"}, **bad)
    maze = dream_stepper.fresh_scene_maze(3)
    assert dream_stepper.scene_options(maze)["ok"]


def _shares(count, of, random_count, random_of):
    share = dream_stepper._share
    return {
        "summary": {"harvested": share([True] * count + [False] * (of - count))},
        "random_walls": {
            "harvested": share([True] * random_count + [False] * (random_of - random_count))
        },
    }


def test_one_scene_is_set_beside_the_cards_pooled_statistic():
    """The page's note under a run: the run's numbers, then the cards' pooled ones, and
    whether the pooled statistic separates any agent, each number from its source."""
    cards = {
        agent: json.loads((MODELS / agent / "model_card.json").read_text()) for agent in AGENTS
    }
    report = {
        "scene": {"human": [0, 6], "agent": [0, 5]},
        "agents": {"planted": _shares(6, 8, 3, 32), "natural": _shares(1, 8, 3, 32)},
    }
    note = dream_stepper.one_scene_and_the_cards(report, cards)
    assert note["run"] == {
        "count": 6,
        "of": 8,
        "random_count": 3,
        "random_of": 32,
        "relation": "above",
    }
    text = " ".join(note["sentences"])
    assert (
        "planted harvests a human in 6 of its 8 dreams" in text
        and "against 3 of 32 random-wall mazes" in text
    )
    assert "intervals apart, the dreams above" in text
    pillar = cards["planted"]["pillar_dreaming"]
    assert (
        f"pool {pillar['scenes']} held-out scenes ({pillar['dreams']} dreams" in text
        and f"harvest in {pillar['dream_harvest']['count']} of {pillar['dreams']} against"
        f" {pillar['random_walls_harvest']['count']} of"
        f" {pillar['random_walls_harvest']['of']}"
        in text
    )
    separated = [
        a
        for a, c in cards.items()
        if c["pillar_dreaming"]["dream_vs_random_walls"] != "overlapping"
    ]
    assert note["separated"] == separated
    if not separated:  # the committed cards: what docs/maze/dreaming.md says too
        assert "Pooled, the statistic separates no agent" in text
    # A card whose pooled dreams stood apart would be named, and only it.
    apart = {**cards, "planted": {"pillar_dreaming": {**pillar, "dream_vs_random_walls": "above"}}}
    note = dream_stepper.one_scene_and_the_cards(report, apart)
    assert note["separated"] == ["planted"] and "separates planted from" in note["sentences"][-1]
    # Overlapping intervals in the run are called so; no cards, no pooled sentence.
    report["agents"] = {"natural": _shares(1, 8, 3, 32)}
    note = dream_stepper.one_scene_and_the_cards(report, {})
    assert note["run"]["relation"] == "overlapping" and len(note["sentences"]) == 2


def test_the_pages_default_run_shows_one_scene_apart_where_the_cards_pool_none():
    """docs/maze/dreaming.md: "a run can show dreams far above random walls in one scene
    while the pooled statistic separates no agent" — the page's default run (planted,
    bad2's default scene, every other setting as the page opens) does, with the
    committed agents."""
    pytest.importorskip("onnxruntime")
    from export.evaluate import onnx_network

    agents = ["planted", *[a for a in AGENTS if a != "planted"]]
    session = dream_stepper.DreamSession(agents, {"maze": "bad2"})
    report = stepper.drive(session.run(), onnx_network(MODELS))
    cards = {a: json.loads((MODELS / a / "model_card.json").read_text()) for a in AGENTS}
    note = dream_stepper.one_scene_and_the_cards(report, cards)
    assert note["run"]["relation"] == "above", note["run"]
    assert note["separated"] == []
