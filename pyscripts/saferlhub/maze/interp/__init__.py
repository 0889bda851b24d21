"""The microscope: look inside the maze agents (hook points, patching, attribution, probes,
training dynamics).

Standard library only. Every analysis is a stepper of the network-call protocol
(`saferlhub.maze.network_calls`), so CPython with onnxruntime and the browser with
onnxruntime-web run the same code and get the same numbers; `Microscope` drives
them in one call each for a notebook. Modules: `hooks` (hook points,
`run_with_cache`, `run_with_hooks`, patching), `attribution` (saliency, integrated
gradients), `probes` (linear probes with controls), `checkpoints` (training
dynamics), `reference` (the same calls answered in plain Python, for tests).
"""

from saferlhub.maze.interp.hooks import (
    Model,
    encode_states,
    patch_from,
    patch_units,
    patching_sweep,
    run_with_cache,
    run_with_hooks,
)
from saferlhub.maze.interp.microscope import Microscope

__all__ = [
    "Microscope",
    "Model",
    "encode_states",
    "patch_from",
    "patch_units",
    "patching_sweep",
    "run_with_cache",
    "run_with_hooks",
]
