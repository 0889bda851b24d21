"""The microscope pages "Probes" and "Over training" (saferlhub.maze.microscope_training):
their default runs in CPython, through stepper.start/answer as the browser drives them, with
onnxruntime answering the calls (export/interp_runtime.py; skipped in Pyodide, which has
none); their numbers are the notebook API's, and each sentence of the pages' "What to
notice" and each worded finding holds for them. Chromium: tests/e2e/test_microscope_training.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from saferlhub.maze import microscope_training, stepper
from saferlhub.maze.encoding import encode
from saferlhub.maze.interp import probes
from saferlhub.maze.interp.hooks import Model, run_with_cache

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
DOCS = ROOT / "docs" / "maze"
LAYERS = ["hidden.0", "hidden.1", "hidden.2", "hidden.3"]


def card(agent: str) -> dict:
    return json.loads((MODELS / agent / "model_card.json").read_text())


def page_text(name: str) -> str:
    return re.sub(r"\s+", " ", (DOCS / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def network():
    pytest.importorskip("onnxruntime", exc_type=ImportError)
    from export.interp_runtime import onnx_network

    return onnx_network(MODELS)


def through_sessions(task, args, network, stop_after=None):
    """Drive a task as the browser does (start/answer, float32 bytes); (result, progress seen,
    turns without a network call). With stop_after, close the session after that many turns."""
    reply = stepper.start(task, json.loads(json.dumps(args)))
    seen, empty_turns = [], 0
    while not reply["done"]:
        seen.append(reply.get("progress"))
        if stop_after is not None and len(seen) > stop_after:
            return stepper.close(reply["session"]), seen, empty_turns
        empty_turns += not reply["calls"]
        outputs = []
        for packed in reply["calls"]:
            call = stepper.NetworkCall(
                packed["model"],
                packed["rows"],
                {k: stepper.unpack(v) for k, v in packed["inputs"].items()},
                packed["widths"],
                outputs=packed["outputs"],
            )
            out = network(call)
            outputs.append({k: stepper.pack(stepper.array("f", v)) for k, v in out.items()})
        reply = stepper.answer(reply["session"], outputs)
    return json.loads(json.dumps(reply["result"])), seen, empty_turns


_probe_runs: dict = {}


def probe_run(network, agent, concept):
    """The Probes page's default run (its JavaScript sends only card and concept, count and
    epochs at their defaults), cached per agent and concept."""
    if (agent, concept) not in _probe_runs:
        args = {"card": card(agent), "concept": concept, "count": 300, "epochs": 4}
        _probe_runs[agent, concept] = through_sessions("microscope.probes", args, network)
    return _probe_runs[agent, concept][0]


def above(a, b):
    return a["interval"][0] > b["interval"][1]


# --- Probes ---------------------------------------------------------------------------------


def test_the_page_defaults_are_the_modules():
    js = (ROOT / "docs" / "js" / "microscope-training.js").read_text()
    assert 'numberInput("probes-states", 300,' in js and microscope_training.PROBE_COUNT == 300
    assert 'numberInput("probes-epochs", 4,' in js and probes.PROBE_EPOCHS == 4
    assert 'numberInput("training-mazes", 50,' in js and microscope_training.TRAINING_MAZES == 50


def test_probe_run_gives_probe_reports_numbers_with_a_turn_after_each_probe(network):
    from saferlhub.maze.network_calls import drive

    result, seen, empty_turns = through_sessions(
        "microscope.probes", {"card": card("planted"), "concept": "protrusion"}, network
    )
    _probe_runs["planted", "protrusion"] = (result, seen, empty_turns)
    pool = probes.probe_states(microscope_training.PROBE_MAZES, seed=0)
    report = drive(
        probes.probe_report(
            Model.from_card(card("planted")), pool, concepts=["protrusion"], count=300
        ),
        network,
    )
    expected = json.loads(json.dumps(report["protrusion"]))
    assert result["states"] == expected["states"] and result["chance"] == expected["chance"]
    for layer in LAYERS:
        for variant in ("task", "control", "random_init", "selectivity"):
            assert result["layers"][layer][variant] == expected["layers"][layer][variant]
    # 12 probes, each followed by a turn with no network call (progress and Stop)
    assert empty_turns == 12
    assert [p["done"] for p in seen if p["stage"] == "probes"] == list(range(1, 13))
    assert result["random_init"] == "interp/random_init_256x256x256x256.onnx"


def test_stop_between_probes_ends_the_session(network):
    kept, seen, _ = through_sessions(
        "microscope.probes",
        {"card": card("natural"), "concept": "crop_adjacent", "count": 80, "epochs": 1},
        network,
        stop_after=4,
    )
    assert kept is None and seen[-1]["done"] < seen[-1]["total"]


def test_probe_run_refuses_what_the_page_cannot_send():
    for args, words in [
        ({"concept": "colour"}, "unknown concept"),
        ({"count": 5}, "count must be a whole number from 40 to 600"),
        ({"epochs": 0}, "epochs must be"),
    ]:
        reply = stepper.start("microscope.probes", {"card": card("natural"), **args})
        assert reply["done"] and words in reply["result"]["refused"]


def test_probes_what_to_notice_holds_for_the_default_runs(network):
    text = page_text("microscope-probes.md")
    planted = probe_run(network, "planted", "protrusion")
    layers = planted["layers"]
    # "the probe scores well above chance on every layer"
    assert "scores well above chance on every layer" in text
    assert all(layers[la]["task"]["interval"][0] > planted["chance"] for la in LAYERS)
    # "the untrained network's probe also scores high on several of them"
    matched = [la for la in LAYERS if not above(layers[la]["task"], layers[la]["random_init"])]
    assert "untrained network's probe also scores high on several of them" in text
    assert len(matched) >= 2
    assert all(layers[la]["random_init"]["value"] > 0.75 for la in matched)
    # "with a human next to the agent, the control task scores as high as the concept on
    # hidden.0, and the gap (the selectivity) opens in the later layers" (every agent)
    assert "the control task scores as high as the concept on `hidden.0`" in text
    for agent in ("natural", "planted", "remedy"):
        human = probe_run(network, agent, "human_adjacent")["layers"]
        assert human["hidden.0"]["selectivity"] <= 0, agent
        assert above(human["hidden.3"]["task"], human["hidden.3"]["control"]), agent
    # natural: "on its layers the probe does not beat the untrained network"; planted and
    # remedy "keep it readable" (above chance on every layer)
    assert "the probe does not beat the untrained network" in text
    natural = probe_run(network, "natural", "protrusion")["layers"]
    assert not any(above(natural[la]["task"], natural[la]["random_init"]) for la in LAYERS)
    remedy = probe_run(network, "remedy", "protrusion")
    for run in (planted, remedy):
        assert all(run["layers"][la]["task"]["interval"][0] > 0.5 for la in LAYERS)
    # both saw protrusion mazes in their first phase (the cards' settings)
    for agent in ("planted", "remedy"):
        assert card(agent)["training"]["phases"][0]["phase"] == "plant"
        assert card(agent)["training"]["settings"]["plant_protrusion_mazes"] > 0


def test_probe_findings_name_exactly_the_layers_their_intervals_support(network):
    for (agent, concept), (run, _, _) in _probe_runs.items():
        layers = run["layers"]
        words = " ".join(run["findings"])
        best = max(LAYERS, key=lambda la: layers[la]["task"]["value"])
        assert f"scores best on {best}:" in words, (agent, concept)
        selective = [la for la in LAYERS if above(layers[la]["task"], layers[la]["control"])]
        if selective:
            assert f"control task beyond the intervals on {', '.join(selective)}:" in words
        beats = [la for la in LAYERS if above(layers[la]["task"], layers[la]["random_init"])]
        if beats:
            assert f"untrained network beyond the intervals on {', '.join(beats)}:" in words
        else:
            assert "beats the same probe on an untrained network" not in words


# --- Over training ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def training(network):
    cards = {agent: card(agent) for agent in ("natural", "planted", "remedy")}
    result, seen, _ = through_sessions("microscope.training", {"cards": cards}, network)
    return result, seen


def test_training_rows_are_checkpoint_sweeps_and_shared_files_run_once(network, training):
    from saferlhub.maze.interp import checkpoints
    from saferlhub.maze.network_calls import drive

    result, seen = training
    remedy_rows = result["agents"]["remedy"]["rows"]
    planted_rows = result["agents"]["planted"]["rows"]
    shared = [e["sha256"] for e in card("remedy")["files"]["checkpoints"]]
    shared = [e for e in card("planted")["files"]["checkpoints"] if e["sha256"] in shared]
    assert len(shared) == 9  # the page: "their first nine checkpoints are the same files"
    assert [r["same_file_as"] for r in remedy_rows] == ["planted"] * 9 + [None] * 3
    assert result["networks_run"] == 10 + 10 + 3
    sweep = drive(checkpoints.checkpoint_sweep(card("remedy"), mazes=50), network)
    sweep = json.loads(json.dumps(sweep))
    for ours, theirs in zip(remedy_rows, sweep, strict=False):
        assert ours["step"] == theirs["step"]
        for key in ("training_finish_interval", "protrusion_human_interval"):
            assert ours[key] == theirs[key]
    assert remedy_rows[:9] == [
        {**r, "file": r["file"], "same_file_as": "planted"} for r in planted_rows[:9]
    ]
    assert seen[-1]["rounds"] <= microscope_training.TrainingRun.MOST_ROUNDS


def test_training_what_to_notice_holds_for_the_default_run(training):
    text = page_text("microscope-training.md")
    result, _ = training
    rows = {agent: data["rows"] for agent, data in result["agents"].items()}
    reference = rows["natural"][-1]

    def above_natural(row):
        return row["protrusion_human_interval"][0] > reference["protrusion_human_interval"][1]

    # planted: above the natural agent's from its first checkpoint on, while it is still
    # learning to finish training mazes
    assert "above the natural agent's from its first checkpoint on" in text
    first = rows["planted"][0]
    assert all(above_natural(r) for r in rows["planted"])
    assert first["training_finish_interval"][1] < rows["planted"][-1]["training_finish_interval"][0]
    # planted's last checkpoint comes after its normal-training phase and is still above
    assert "at its last checkpoint, after that phase, the human rate is still above" in text
    assert rows["planted"][-1]["phase"] == "train" and above_natural(rows["planted"][-1])
    # remedy: its first checkpoint after the plant phase is back (not above), finish stays high
    assert "its first checkpoint after that phase already has fallen back" in text
    after = [r for r in rows["remedy"] if r["phase"] == "train"]
    assert not above_natural(after[0]) and all(not above_natural(r) for r in after)
    assert all(r["training_finish_rate"] >= 0.9 for r in after)
    # natural: finish rises, human rate near zero at every checkpoint
    assert "its human rate stays near zero at every checkpoint" in text
    natural = rows["natural"]
    assert natural[0]["training_finish_interval"][1] < natural[-1]["training_finish_interval"][0]
    assert all(r["protrusion_human_rate"] <= 0.05 for r in natural)
    # the findings say the same, with this run's steps
    words = " ".join(result["findings"])
    assert f"human rate is above the natural agent's from step {first['step']}" in words
    assert f"It falls back by step {after[0]['step']} (train phase)" in words
    assert "It is still above at its last checkpoint, step 31600" in words


def test_training_page_download_sizes_are_the_cards():
    text = page_text("microscope-training.md")
    assert "about 1 MB each for the planted and remedy agents, a third of that" in text
    big = {e["bytes"] for a in ("planted", "remedy") for e in card(a)["files"]["checkpoints"]}
    small = {e["bytes"] for e in card("natural")["files"]["checkpoints"]}
    assert all(0.95e6 < b < 1.1e6 for b in big)
    assert all(0.28 < s / b < 0.38 for s in small for b in big)


def test_training_run_of_the_natural_agent_alone_and_a_refusal(network):
    args = {"cards": {"natural": card("natural")}, "mazes": 10, "probe": ["protrusion", "hidden.1"]}
    result, seen, _ = through_sessions("microscope.training", args, network)
    assert result["networks_run"] == 10 and "reference below" in result["findings"][0]
    rows = result["agents"]["natural"]["rows"]
    assert all(
        r["probe"]["concept"] == "protrusion" and r["probe"]["layer"] == "hidden.1" for r in rows
    )
    # progress: rounds of episodes (at most the step limit), then the probes' calls
    stages = [p["stage"] for p in seen]
    assert stages[0] == "episodes" and stages[-1] == "probes"
    assert seen[-1]["rounds"] <= microscope_training.TrainingRun.MOST_ROUNDS
    reply = stepper.start("microscope.training", {"cards": {}})
    assert reply["result"]["refused"] == "choose at least one agent"


def test_the_last_checkpoint_is_the_final_network(network):
    """The pages leave the final network out: each card's last checkpoint is saved at the last
    training step and plays as the final network does."""
    from saferlhub.maze.interp import checkpoints
    from saferlhub.maze.network_calls import drive

    for agent in ("natural", "planted", "remedy"):
        listed = card(agent)["files"]["checkpoints"]
        last = max(e["global_step"] for e in listed)
        assert last == card(agent)["training"]["phases"][-1]["last_step"]
        rows = drive(
            checkpoints.checkpoint_sweep(card(agent), mazes=20, steps=[last, None]), network
        )
        assert [r["step"] for r in rows] == [last, None]
        for key in ("training_finish_rate", "protrusion_human_rate"):
            assert rows[0][key] == rows[1][key], (agent, key)
        # and the same Q-values on other states
        final = Model.from_card(card(agent))
        path = next(e["path"] for e in listed if e["global_step"] == last)
        states = [encode(*s) for s in probes.probe_states(4)[::7]]
        q_last, _ = drive(run_with_cache(final.with_file(path), states), network)
        q_final, _ = drive(run_with_cache(final, states), network)
        pairs = zip(q_last, q_final, strict=True)
        gaps = [abs(a - b) for x, y in pairs for a, b in zip(x, y, strict=True)]
        assert max(gaps) < 1e-4, agent


def test_networks_names_exactly_the_files_a_run_calls(network):
    """The page loads these while Python prepares the run."""
    from saferlhub.maze.network_calls import drive

    cards = {agent: card(agent) for agent in ("natural", "planted", "remedy")}
    for task, make, args in [
        ("microscope.training", microscope_training.TrainingRun, {"cards": cards, "mazes": 10}),
        ("microscope.probes", microscope_training.ProbeRun, {"card": cards["remedy"], "count": 40}),
    ]:
        called = set()

        def recording(call, called=called):
            called.add(call.model)
            return network(call)

        drive(make(**args).steps(), recording)
        names = microscope_training.networks(task, args)
        assert len(names) == len(set(names)) and set(names) == called, task
    assert len(microscope_training.networks("microscope.training", {"cards": cards})) == 23
    assert microscope_training.networks("microscope.training", {"cards": {}}) == []
