"""The microscope's extra ONNX files, made from the committed weights without retraining.

Two kinds of file, both written with `onnx.helper` (no torch, no training):

* `models/<agent>/q_patch.onnx`: the agent's own `q_network.onnx` graph, node for
  node and weight for weight, with one `Where` after each hidden layer so that any
  unit can be overwritten: inputs `obs` [batch, 245] and, optional, `patch.k` and
  `mask.k` [batch, width] per hidden layer (`hidden.k` becomes `patch.k` where
  `mask.k` is non-zero). Outputs as `q_network.onnx`: `q`, `hidden.0` .. (after
  patching). An input left out takes its default (a [1, width] row of zeros, so
  nothing is patched): ONNX lets a graph input carry an initializer as its
  default. The initializers are copied bytes, so with nothing patched every output
  equals `q_network.onnx`'s bit for bit (tested).
* `models/interp/random_init_<widths>.onnx`: a randomly initialised network of
  each agent shape, for the probes' control "the same probe on an untrained
  network". Its weights come from `saferlhub.maze.network.MLP.random` (uniform in
  +-1/sqrt(fan-in), PyTorch's default for `nn.Linear`) with a `random.Random`
  seed, so any Python redraws them; same inputs and outputs as `q_network.onnx`.

The agent's card gets a `files.q_patch` entry (path, bytes, sha256, inputs,
outputs, meaning); the weights' files are not touched.

Usage: `python -m export.interp_export [models]` (`make models` runs it last).
"""

from __future__ import annotations

import hashlib
import json
import random
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from saferlhub.maze.encoding import INPUT_SIZE
from saferlhub.maze.interp.hooks import RANDOM_INIT_FOLDER, RANDOM_INIT_SEED, random_init_file
from saferlhub.maze.network import MLP

ROOT = Path(__file__).resolve().parent.parent
AGENTS = ("natural", "planted", "remedy")
PATCH_FILE = "q_patch.onnx"
PATCH_MEANING = (
    "q_network with optional overrides: hidden.k = where(mask.k != 0, patch.k, hidden.k); "
    "patch.k and mask.k default to zeros (nothing patched)"
)


def _hidden_names(graph: onnx.GraphProto) -> list[str]:
    return [o.name for o in graph.output if o.name.startswith("hidden.")]


def _widths(graph: onnx.GraphProto) -> dict[str, int]:
    return {o.name: o.type.tensor_type.shape.dim[1].dim_value for o in graph.output}


def _input(name: str, width: int, rows: str) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [rows, width])


def patch_model(q_network: onnx.ModelProto) -> onnx.ModelProto:
    """`q_network` with a `Where` after each hidden layer (see the module docstring)."""
    source = q_network.graph
    hidden = _hidden_names(source)
    widths = _widths(source)
    nodes, initializers = [], list(source.initializer)
    inputs = list(source.input)
    for node in source.node:
        node = onnx.NodeProto.FromString(node.SerializeToString())
        produced = [name for name in node.output if name in hidden]
        # The layer's own value is renamed clean.k; hidden.k (which the next layer reads)
        # becomes the patched value.
        for name in produced:
            node.output[list(node.output).index(name)] = f"clean.{name}"
        nodes.append(node)
        for name in produced:
            width = widths[name]
            patch, mask = name.replace("hidden", "patch"), name.replace("hidden", "mask")
            for extra in (patch, mask):
                # Its own row count: 1 when left to its default, the batch when fed.
                inputs.append(_input(extra, width, f"rows.{extra}"))
                initializers.append(
                    numpy_helper.from_array(np.zeros((1, width), dtype=np.float32), extra)
                )
            nodes.append(helper.make_node("Cast", [mask], [f"{mask}.bool"], to=TensorProto.BOOL))
            nodes.append(
                helper.make_node("Where", [f"{mask}.bool", patch, f"clean.{name}"], [name])
            )
    graph = helper.make_graph(
        nodes, "q_patch", inputs, list(source.output), initializer=initializers
    )
    model = helper.make_model(
        graph, opset_imports=list(q_network.opset_import), producer_name="export.interp_export"
    )
    model.ir_version = q_network.ir_version
    onnx.checker.check_model(model, full_check=True)
    return model


def random_init_model(widths: tuple[int, ...], seed: int = RANDOM_INIT_SEED) -> onnx.ModelProto:
    """An untrained network of this shape: `MLP.random` weights, `q_network.onnx`'s interface."""
    mlp = MLP.random([INPUT_SIZE, *widths, 4], random.Random(seed))
    nodes, initializers = [], []
    previous = "obs"
    last = len(mlp.weights) - 1
    for k, (weight, bias) in enumerate(zip(mlp.weights, mlp.biases, strict=True)):
        w_name, b_name = (f"layer.{k}.weight", f"layer.{k}.bias")
        initializers.append(numpy_helper.from_array(np.asarray(weight, np.float32), w_name))
        initializers.append(numpy_helper.from_array(np.asarray(bias, np.float32), b_name))
        linear = "q" if k == last else f"linear.{k}"
        nodes.append(helper.make_node("Gemm", [previous, w_name, b_name], [linear], transB=1))
        if k < last:
            previous = f"hidden.{k}"
            nodes.append(helper.make_node("LeakyRelu", [linear], [previous], alpha=0.1))
    outputs = [helper.make_tensor_value_info("q", TensorProto.FLOAT, ["batch", 4])] + [
        helper.make_tensor_value_info(f"hidden.{k}", TensorProto.FLOAT, ["batch", w])
        for k, w in enumerate(widths)
    ]
    graph = helper.make_graph(
        nodes,
        "random_init",
        [_input("obs", INPUT_SIZE, "batch")],
        outputs,
        initializer=initializers,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 20)], producer_name="export.interp_export"
    )
    model.ir_version = 10
    onnx.checker.check_model(model, full_check=True)
    return model


def _entry(path: Path, folder: Path, **extra) -> dict:
    data = path.read_bytes()
    return {
        "path": path.relative_to(folder).as_posix(),
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        **extra,
    }


def export_agent(folder: Path) -> dict:
    """Write `folder/q_patch.onnx` from `folder/q_network.onnx`; add it to the card; return it."""
    card_path = folder / "model_card.json"
    card = json.loads(card_path.read_text())
    q_network = onnx.load(str(folder / card["files"]["q_network"]["path"]))
    model = patch_model(q_network)
    path = folder / PATCH_FILE
    onnx.save_model(model, str(path), save_as_external_data=False)
    outputs = card["files"]["q_network"]["outputs"]
    widths = {name: shape[1] for name, shape in outputs.items() if name.startswith("hidden.")}
    inputs = {"obs": ["batch", INPUT_SIZE]}
    for name, width in widths.items():
        inputs[name.replace("hidden", "patch")] = ["batch", width]
        inputs[name.replace("hidden", "mask")] = ["batch", width]
    entry = _entry(path, folder, inputs=inputs, outputs=outputs, meaning=PATCH_MEANING)
    if card["files"].get("q_patch") != entry:
        card["files"]["q_patch"] = entry
        card_path.write_text(json.dumps(card, indent=1) + "\n")  # as build_models.write_card
    return entry


def export_random_inits(models: Path, agents: tuple[str, ...] = AGENTS) -> list[Path]:
    """One untrained network per distinct agent shape, under models/interp/."""
    shapes = set()
    for agent in agents:
        layers = json.loads((models / agent / "model_card.json").read_text())["network"]["layers"]
        shapes.add(tuple(layers[1:-1]))
    written = []
    for widths in sorted(shapes):
        path = models / RANDOM_INIT_FOLDER / random_init_file(widths)
        path.parent.mkdir(parents=True, exist_ok=True)
        onnx.save_model(random_init_model(widths), str(path), save_as_external_data=False)
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    models = Path(args[0]) if args else ROOT / "models"
    agents = tuple(a for a in AGENTS if (models / a / "model_card.json").is_file())
    for agent in agents:
        entry = export_agent(models / agent)
        print(f"{agent}: {entry['path']} {entry['bytes']} bytes")
    for path in export_random_inits(models, agents):
        print(f"{path.relative_to(models)}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
