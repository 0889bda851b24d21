"""`Microscope`: every analysis of the package, driven to the end in one call (a notebook's API).

The steppers of `hooks`, `attribution`, `probes` and `checkpoints` are what the
browser drives call by call; here a `network` (CPython: `export.interp_runtime.
onnx_network("models")`) answers them at once. States are 245-float inputs or
(maze, agent position) pairs.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from saferlhub.maze.grid import Maze
from saferlhub.maze.interp import attribution, checkpoints, hooks, probes
from saferlhub.maze.network_calls import drive


def as_rows(states: Sequence) -> list[list[float]]:
    """Network inputs from inputs or (maze, position) pairs."""
    return [
        hooks.encode_states([s])[0] if isinstance(s, tuple) and isinstance(s[0], Maze) else list(s)
        for s in states
    ]


class Microscope:
    """The microscope on the agents of `cards` ({agent: model card}), answered by `network`."""

    def __init__(self, network: Callable, cards: Mapping[str, Mapping]) -> None:
        self.network = network
        self.cards = dict(cards)

    @classmethod
    def from_folder(cls, models: str | Path, network: Callable) -> Microscope:
        """Every agent under `models` (each folder with a model_card.json)."""
        cards = {
            path.parent.name: json.loads(path.read_text())
            for path in sorted(Path(models).glob("*/model_card.json"))
        }
        return cls(network, cards)

    def model(self, agent: str, file: str = "q_network") -> hooks.Model:
        if agent not in self.cards:
            raise ValueError(f"no agent {agent!r}; these have cards: {sorted(self.cards)}")
        return hooks.Model.from_card(self.cards[agent], file)

    def run(self, stepper):
        return drive(stepper, self.network)

    def run_with_cache(self, agent: str, states: Sequence):
        """(q rows, {hook name: rows}) for every state."""
        return self.run(hooks.run_with_cache(self.model(agent), as_rows(states)))

    def run_with_hooks(self, agent: str, states: Sequence, fwd_hooks):
        """(q rows, cache) with hook functions that may replace activations."""
        return self.run(hooks.run_with_hooks(self.model(agent), as_rows(states), fwd_hooks))

    def patch_units(self, agent: str, states: Sequence, patches):
        """(q rows, cache) with units set: {"hidden.2": {17: 0.0}}."""
        return self.run(hooks.patch_units(self.model(agent), as_rows(states), patches))

    def patch_from(self, agent: str, targets: Sequence, sources: Sequence, hook: str, units=None):
        """Activation patching of `units` of `hook` from each source into its target."""
        return self.run(
            hooks.patch_from(self.model(agent), as_rows(targets), as_rows(sources), hook, units)
        )

    def patching_sweep(self, agent: str, target, source, action, minus=None, *, groups=8):
        """Each layer, whole and in `groups` unit groups, patched from `source` into `target`:
        how much of the source's Q(action) [- Q(minus)] each patch restores."""
        rows = as_rows([target, source])
        weights = attribution.objective(action, minus)
        stepper = hooks.patching_sweep(self.model(agent), *rows, weights, groups=groups)
        return self.run(stepper)

    def saliency(self, agent: str, states: Sequence, action, minus=None):
        weights = attribution.objective(action, minus)
        return self.run(attribution.saliency(self.model(agent), as_rows(states), weights))

    def integrated_gradients(
        self,
        agent: str,
        states: Sequence,
        action,
        minus=None,
        *,
        baseline="empty",
        steps=attribution.IG_STEPS,
    ):
        weights = attribution.objective(action, minus)
        stepper = attribution.integrated_gradients(
            self.model(agent), as_rows(states), weights, baseline=baseline, steps=steps
        )
        return self.run(stepper)

    def probes(self, agent: str, pool=None, **options):
        """`probes.probe_report` (pool: `probes.probe_states()` by default)."""
        pool = probes.probe_states() if pool is None else pool
        return self.run(probes.probe_report(self.model(agent), pool, **options))

    def checkpoint_sweep(self, agent: str, **options):
        """`checkpoints.checkpoint_sweep` for this agent's card."""
        return self.run(checkpoints.checkpoint_sweep(self.cards[agent], **options))
