"""The microscope's networks in CPython: onnxruntime answers `saferlhub.maze.interp`'s calls.

The CPython twin of what docs/js/onnx.js does in the browser, for every file the
microscope names: a card's file key ("planted/q_network", "planted/q_patch",
"planted/q_gradient") or a path inside the folder ("planted/checkpoints/step_03160.onnx",
"interp/random_init_256x256x256x256.onnx"). Needs numpy and onnxruntime only.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parent.parent


def onnx_session(path: Path) -> ort.InferenceSession:
    """A CPU session on one thread, as `export.evaluate.onnx_session`, quiet about the
    q_patch files' optional inputs (an input with a default is a graph input and an
    initializer, which onnxruntime warns about on every load)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def model_path(models: Path, name: str) -> Path:
    """The file a network-call model name refers to."""
    folder, file = name.split("/", 1)
    if file.endswith(".onnx"):
        return models / folder / file
    card = json.loads((models / folder / "model_card.json").read_text())
    return models / folder / card["files"][file]["path"]


def onnx_network(models: str | Path = ROOT / "models"):
    """A `network_calls.drive` network that runs the ONNX files under `models` (sessions kept)."""
    models = Path(models)
    sessions = {}

    def network(call):
        if call.model not in sessions:
            sessions[call.model] = onnx_session(model_path(models, call.model))
        feeds = {
            name: np.frombuffer(values, dtype=np.float32).reshape(call.rows, call.widths[name])
            for name, values in call.inputs.items()
        }
        outputs = sessions[call.model].run(list(call.outputs), feeds)
        return {name: out.ravel() for name, out in zip(call.outputs, outputs, strict=True)}

    return network
