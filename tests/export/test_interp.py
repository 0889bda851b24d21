"""The microscope on the committed agents: q_patch is q_network with optional overrides (bit
for bit when nothing or an activation's own value is patched), patching and attribution
match torch, the untrained networks match their Python definition, and checkpoints run."""

from __future__ import annotations

import hashlib
import json
import random
import shutil
from array import array
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from onnx import numpy_helper

from export import interp_export
from export.dqn import QNetwork
from export.evaluate import OnnxQ
from export.interp_runtime import onnx_network
from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.evaluation import rollouts, summarise
from saferlhub.maze.generators import maze_set
from saferlhub.maze.interp import Microscope, attribution, probes
from saferlhub.maze.interp.hooks import random_init_file, run_with_cache
from saferlhub.maze.interp.reference import forward
from saferlhub.maze.network import MLP

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "models"
AGENTS = ("natural", "planted", "remedy")


def card(agent: str) -> dict:
    return json.loads((MODELS / agent / "model_card.json").read_text())


@pytest.fixture(scope="module")
def scope():
    return Microscope.from_folder(MODELS, onnx_network(MODELS))


@pytest.fixture(scope="module")
def states():
    mazes = maze_set("training", 6, seed=11, split="train") + maze_set(
        "protrusion", 4, seed=11, split="train"
    )
    return [encode(m, p) for m in mazes for p in m.open_cells if p not in m.items][:120]


def torch_network(agent: str) -> QNetwork:
    """The agent's network in torch, its weights read from the committed q_network.onnx."""
    model = onnx.load(str(MODELS / agent / "q_network.onnx"))
    weights = {
        t.name.removeprefix("network."): torch.from_numpy(numpy_helper.to_array(t).copy())
        for t in model.graph.initializer
    }
    network = QNetwork(card(agent)["network"]["layers"][1:-1])
    network.load_state_dict(weights)
    return network.eval()


@pytest.mark.parametrize("agent", AGENTS)
def test_q_patch_holds_the_very_weights_and_its_card_entry(agent):
    c = card(agent)
    entry = c["files"]["q_patch"]
    data = (MODELS / agent / entry["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == entry["sha256"] and len(data) == entry["bytes"]
    source = {
        t.name: t.raw_data
        for t in onnx.load(str(MODELS / agent / "q_network.onnx")).graph.initializer
    }
    patched = {
        t.name: t.raw_data
        for t in onnx.load(str(MODELS / agent / "q_patch.onnx")).graph.initializer
    }
    assert all(patched[name] == raw for name, raw in source.items())
    assert entry["outputs"] == c["files"]["q_network"]["outputs"]


def test_the_export_rebuilds_the_committed_files_byte_for_byte(tmp_path):
    for agent in AGENTS:
        folder = tmp_path / agent
        folder.mkdir()
        for name in ("model_card.json", "q_network.onnx"):
            shutil.copy(MODELS / agent / name, folder / name)
        entry = interp_export.export_agent(folder)
        assert entry == card(agent)["files"]["q_patch"]
    for path in interp_export.export_random_inits(tmp_path):
        committed = MODELS / path.relative_to(tmp_path)
        assert path.read_bytes() == committed.read_bytes()


@pytest.mark.parametrize("agent", AGENTS)
def test_unpatched_and_self_patched_runs_equal_q_network_exactly(scope, states, agent):
    q, cache = scope.run_with_cache(agent, states)
    assert q == OnnxQ(MODELS / agent / "q_network.onnx").batch(states)
    model = scope.model(agent)
    nothing_q, nothing = scope.run(run_with_cache(model.with_file("q_patch"), states))
    assert nothing_q == q and nothing == cache
    own = {
        hook: {u: [row[u] for row in cache[hook]] for u in range(width)}
        for hook, width in model.hook_points().items()
        if hook != "q"
    }
    patched_q, _ = scope.patch_units(agent, states, own)
    assert patched_q == q  # exactly: Where picks the same float32 values


@pytest.mark.parametrize("agent", ("natural", "planted"))
def test_patching_matches_torch(scope, states, agent):
    network = torch_network(agent)
    rng = random.Random(0)
    units = rng.sample(range(network.hidden[1].linear.out_features), 10)
    values = [rng.uniform(-2, 3) for _ in units]
    q, cache = scope.patch_units(agent, states, {"hidden.1": dict(zip(units, values, strict=True))})
    with torch.no_grad():
        h = torch.tensor(states)
        for k, layer in enumerate(network.hidden):
            h = layer(h)
            if k == 1:
                h[:, units] = torch.tensor(values)
        expected = network.q(h)
    np.testing.assert_allclose(np.array(q), expected.numpy(), rtol=4e-6, atol=1e-5)
    np.testing.assert_allclose(np.array(cache["hidden.3"]), h.numpy(), rtol=4e-6, atol=1e-5)


def test_activation_patching_from_a_twin_moves_q_toward_the_twin(scope, states):
    result = scope.patch_from("planted", states[:5], states[5:10], "hidden.3", units=range(256))
    assert result["patched"] == result["source"]
    half = scope.patch_from("planted", states[:5], states[5:10], "hidden.3", units=range(128))
    assert half["patched"] != half["clean"]


def test_a_patching_sweep_on_the_planted_agent(scope, states):
    sweep = scope.patching_sweep("planted", states[0], states[7], "left", minus="right", groups=4)
    whole = [p for p in sweep["patches"] if p["units"] == [0, 256]]
    assert len(whole) == 4 and len(sweep["patches"]) == 4 * 5
    assert all(p["restored"] == 1.0 for p in whole)  # the whole layer is the source's


def test_saliency_and_integrated_gradients_match_autograd(scope, states):
    network = torch_network("planted")
    weights = attribution.objective("left", minus="right")
    w = torch.tensor([weights])
    sample = states[:4]
    saliency = scope.saliency("planted", sample, "left", minus="right")
    x = torch.tensor(sample, requires_grad=True)
    (grad,) = torch.autograd.grad((network(x) * w).sum(), x)
    np.testing.assert_allclose(
        np.array([s["gradient"] for s in saliency]), grad.numpy(), rtol=1e-4, atol=1e-5
    )
    steps = 32
    results = scope.integrated_gradients(
        "planted", sample, "left", minus="right", baseline="empty", steps=steps
    )
    for state, result in zip(sample, results, strict=True):
        x = torch.tensor(state)
        base = torch.tensor(attribution.baseline_for(state, "empty"))
        alphas = (torch.arange(steps, dtype=torch.float32) + 0.5) / steps
        path = (base + alphas[:, None] * (x - base)).requires_grad_(True)
        (g,) = torch.autograd.grad((network(path) * w).sum(), path)
        expected = (x - base) * g.mean(0)
        np.testing.assert_allclose(result["attributions"], expected.numpy(), rtol=1e-3, atol=1e-5)
        with torch.no_grad():
            gap = ((network(x[None]) - network(base[None])) * w).sum().item()
        assert result["value"] - result["baseline_value"] == pytest.approx(gap, abs=1e-4)
    # completeness: the error shrinks with the steps (measured on 20 training states with
    # the empty baseline: at most 1.19 with 8 steps, 0.29 with 32, 0.063 with 128)
    coarse, fine = (
        scope.integrated_gradients("planted", sample, "left", minus="right", steps=n)
        for n in (8, 128)
    )
    for c, f in zip(coarse, fine, strict=True):
        assert abs(f["completeness_error"]) <= 0.1
        assert abs(f["completeness_error"]) <= abs(c["completeness_error"]) + 1e-4


def test_random_init_networks_are_their_python_definition(states):
    for widths in ((128,) * 4, (256,) * 4):
        path = MODELS / "interp" / random_init_file(widths)
        mlp = MLP.random([INPUT_SIZE, *widths, 4], random.Random(0))
        q, *hidden = OnnxQ(path).session.run(None, {"obs": np.array(states[:2], np.float32)})
        expected_q, expected_hidden = forward(mlp, states[0])
        np.testing.assert_allclose(q[0], expected_q, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(hidden[-1][0], expected_hidden[-1], rtol=1e-4, atol=1e-5)


def test_the_standard_library_probe_is_close_to_a_converged_logistic_regression(scope):
    """4 epochs of SGD score a little below logistic regression solved to convergence
    (Newton's method): a lower bound, tested within 0.15 of it."""
    pool = probes.probe_states(120, seed=0)
    picks = probes.balanced(probes.CONCEPTS["human_adjacent"], pool, 400, seed=0)
    rows = [encode(*pool[i]) for i, _ in picks]
    labels = [y for _, y in picks]
    _, cache = scope.run_with_cache("planted", rows)
    ours = probes.train_and_score(probes.CONCEPTS["human_adjacent"], cache["hidden.3"], labels)
    x = np.array(cache["hidden.3"], np.float32)
    cut = ours["train"]
    mean, std = x[:cut].mean(0), x[:cut].std(0) + 1e-6
    xs = np.hstack([(x - mean) / std, np.ones((len(x), 1), np.float32)]).astype(np.float64)
    y = np.array(labels, np.float64)
    w = np.zeros(xs.shape[1])
    for _ in range(8):  # Newton's method (IRLS) with a small ridge, to convergence
        p = 1 / (1 + np.exp(-xs[:cut] @ w))
        hessian = (xs[:cut].T * (p * (1 - p))) @ xs[:cut] + 1e-2 * np.eye(len(w))
        w -= np.linalg.solve(hessian, xs[:cut].T @ (p - y[:cut]) + 1e-2 * w)
    reference = float(np.mean((xs[cut:] @ w > 0) == (y[cut:] > 0.5)))
    assert ours["value"] >= reference - 0.15


def test_checkpoints_run_through_the_same_api(scope):
    c = card("planted")
    first, last = c["files"]["checkpoints"][0], c["files"]["checkpoints"][-1]
    pool = probes.probe_states(60, seed=0)
    rows = scope.checkpoint_sweep(
        "planted",
        mazes=20,
        steps=[first["global_step"], last["global_step"], None],
        probe=("protrusion", "hidden.0"),
        probe_pool=pool,
        probe_count=120,
    )
    assert [r["step"] for r in rows] == [first["global_step"], last["global_step"], None]
    assert rows[0]["phase"] == first["phase"] and rows[-1]["phase"] == "final"
    for row in rows:
        assert 0 <= row["training_finish_rate"] <= 1 and 0 <= row["protrusion_human_rate"] <= 1
        assert row["probe"]["metric"] == "accuracy"
    # the final row is the card's evaluation code on the same mazes
    from saferlhub.maze import battery_sets

    mazes = battery_sets.draw("training", 20, seed=1)
    episodes = rollouts(
        OnnxQ(MODELS / "planted" / "q_network.onnx").batch, mazes, with_optimal=False
    )
    assert rows[-1]["training_finish_rate"] == summarise(episodes).finish_rate


def test_a_browser_task_through_base64_float32_gives_the_same_numbers(scope):
    """What docs/js/onnx.js does with a stepper's calls (float32 arrays as base64 both
    ways) changes no number: the browser's path and the notebook's agree exactly."""
    from saferlhub.maze.generators import failure_maze
    from saferlhub.maze.interp import tasks
    from saferlhub.maze.network_calls import NetworkCall, drive
    from saferlhub.maze.stepper import pack, unpack

    network = onnx_network(MODELS)

    def through_base64(call: NetworkCall):
        inputs = {name: unpack(pack(values)) for name, values in call.inputs.items()}
        shipped = NetworkCall(call.model, call.rows, inputs, call.widths, call.outputs)
        answer = network(shipped)
        return {name: unpack(pack(array("f", v))) for name, v in answer.items()}

    maze = failure_maze("bad1")
    state = {"maze": str(maze).split("\n"), "position": [0, 0]}
    result = drive(
        tasks.start("interp.cache", {"card": card("planted"), "states": [state]}), through_base64
    )
    q, cache = scope.run_with_cache("planted", [(maze, (0, 0))])
    assert result["q"] == q and result["cache"] == cache
    twin = {"maze": state["maze"], "position": [1, 0]}
    args = {"card": card("planted"), "target": state, "source": twin, "action": "down"}
    assert drive(tasks.start("interp.patch_sweep", args), through_base64) == scope.patching_sweep(
        "planted", (maze, (0, 0)), (maze, (1, 0)), "down"
    )
