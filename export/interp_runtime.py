"""The microscope's networks in CPython: onnxruntime answers `saferlhub.maze.interp`'s calls.

The CPython twin of what docs/js/onnx.js does in the browser, for every file the
microscope names: a card's file key ("planted/q_network", "planted/q_patch",
"planted/q_gradient") or a path inside the folder ("planted/checkpoints/step_03160.onnx",
"interp/random_init_256x256x256x256.onnx"). It is `export.evaluate`'s driver, the one
onnxruntime driver of every stepper; this module keeps the name its users import.
"""

from export.evaluate import MODELS, model_path, onnx_network, onnx_session

ROOT = MODELS.parent

__all__ = ["MODELS", "ROOT", "model_path", "onnx_network", "onnx_session"]
