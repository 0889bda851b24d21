"""Hook points, `run_with_cache` and `run_with_hooks` for the maze agents.

Every agent is the same kind of network, and each of its activations has a
name (the ONNX outputs' and the model cards' names, as TransformerLens names
its hook points rather than numbering them):

    obs       [batch, 245]      the input (saferlhub.maze.encoding: 5 planes of 7x7)
    hidden.0  [batch, width0]   LeakyReLU(0.1) of the first linear layer
    hidden.1  [batch, width1]   ... of the second (width 256 for planted and remedy,
    hidden.2  [batch, width2]       128 for natural: the card's network.layers)
    hidden.3  [batch, width3]
    q         [batch, 4]        Q-values: up, down, left, right (linear, no activation)

Nothing here runs a network: each function is a stepper of the network-call
protocol (`saferlhub.maze.network_calls`): it hands out the batched inputs it
needs and takes back the outputs. CPython drives it with onnxruntime
(`export.interp_runtime.onnx_network`), the browser with onnxruntime-web, so both
get the same numbers from the same code. `Microscope` drives them in one call
each for a notebook.

Which file answers: `q_network` (the agent's own), `q_patch` (the same weights
with optional `patch.k`/`mask.k` inputs that overwrite units of `hidden.k`;
`export.interp_export` writes it), `q_gradient`, a checkpoint
("checkpoints/step_03160.onnx") or an untrained network of the same shape
(`random_init`). A `Model` names one of them.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, replace

from saferlhub.maze.encoding import INPUT_SIZE, encode
from saferlhub.maze.grid import Maze, Pos
from saferlhub.maze.network_calls import ACTIONS, Answers, Calls, NetworkCall, rows_of

Rows = list[list[float]]
Cache = dict[str, Rows]  # hook name -> one row of activations per state
Hook = Callable[[Rows, str], Rows | None]  # (activation, hook name) -> replacement or None

# Untrained networks of each agent shape: models/interp/random_init_<widths>.onnx.
RANDOM_INIT_FOLDER = "interp"
RANDOM_INIT_SEED = 0


def random_init_file(widths: Sequence[int]) -> str:
    """The file name of the untrained network with these hidden widths."""
    return "random_init_" + "x".join(str(w) for w in widths) + ".onnx"


@dataclass(frozen=True)
class Model:
    """One network file: `folder` under models/, `file` a card `files` key or a path in it.

    The network-call name is "<folder>/<file>" ("planted/q_network",
    "planted/checkpoints/step_03160.onnx", "interp/random_init_256x256x256x256.onnx").
    """

    folder: str
    widths: tuple[int, ...]
    file: str = "q_network"

    @classmethod
    def from_card(cls, card: Mapping, file: str = "q_network") -> Model:
        layers = card["network"]["layers"]
        return cls(card["agent"], tuple(layers[1:-1]), file)

    @property
    def name(self) -> str:
        return f"{self.folder}/{self.file}"

    @property
    def hook_names(self) -> list[str]:
        """hidden.0, hidden.1, ..., q: every hook point, input side first."""
        return [f"hidden.{k}" for k in range(len(self.widths))] + ["q"]

    def hook_points(self) -> dict[str, int]:
        """{hook name: width}."""
        return {f"hidden.{k}": w for k, w in enumerate(self.widths)} | {"q": ACTIONS}

    def with_file(self, file: str) -> Model:
        return replace(self, file=file)

    def random_init(self) -> Model:
        """The untrained network of this shape (the probes' control)."""
        return Model(RANDOM_INIT_FOLDER, self.widths, random_init_file(self.widths))

    def width(self, hook: str) -> int:
        points = self.hook_points()
        if hook not in points:
            raise ValueError(f"no hook point {hook!r}; this network has {list(points)}")
        return points[hook]


def encode_states(states: Sequence[tuple[Maze, Pos]]) -> Rows:
    """Network inputs for (maze, agent position) pairs."""
    return [encode(maze, pos) for maze, pos in states]


def _flat(rows: Sequence[Sequence[float]], width: int, what: str) -> array:
    values = array("f")
    for row in rows:
        if len(row) != width:
            raise ValueError(f"{what}: rows of {width} values expected, got {len(row)}")
        values.extend(row)
    return values


def forward_call(model: Model, states: Sequence[Sequence[float]], patches=None) -> NetworkCall:
    """One call for every hook point of `model` at each state (with `patch.k`/`mask.k`
    inputs for the layers in `patches`: {hook: (patch rows, mask rows)})."""
    inputs = {"obs": _flat(states, INPUT_SIZE, "states")}
    widths = {"obs": INPUT_SIZE}
    for hook, (patch, mask) in (patches or {}).items():
        if hook == "q" or not hook.startswith("hidden."):
            raise ValueError(f"only hidden layers can be patched, not {hook!r}")
        width = model.width(hook)
        k = hook.removeprefix("hidden.")
        inputs[f"patch.{k}"] = _flat(patch, width, hook)
        inputs[f"mask.{k}"] = _flat(mask, width, hook)
        widths[f"patch.{k}"] = widths[f"mask.{k}"] = width
    return NetworkCall(model.name, len(states), inputs, widths, outputs=model.hook_points())


def _cache(call: NetworkCall, answer) -> Cache:
    outputs = call.check(answer)
    return {name: rows_of(outputs[name], width) for name, width in call.outputs.items()}


Stepper = Generator[Calls, Answers, object]


def run_with_cache(model: Model, states: Sequence[Sequence[float]]):
    """Stepper: (q rows, cache {hook name: rows}) for a batch of states, in one call."""
    call = forward_call(model, states)
    (answer,) = yield [call]
    cache = _cache(call, answer)
    return cache["q"], cache


def _ordered(model: Model, hooks: Mapping[str, object]) -> list[str]:
    names = model.hook_names
    unknown = [h for h in hooks if h not in names]
    if unknown:
        raise ValueError(f"no hook point {unknown}; this network has {names}")
    return [h for h in names if h in hooks]


def run_with_hooks(
    model: Model,
    states: Sequence[Sequence[float]],
    fwd_hooks: Sequence[tuple[str, Hook]] | Mapping[str, Hook],
):
    """Stepper: run with hook functions that read, or replace, activations (TransformerLens'
    `run_with_hooks`). Returns (q rows, cache) of the hooked run.

    A hook `fn(activation rows, hook name)` may return replacement rows (whole rows:
    copy and change the units you mean) or None to leave them. Hooks run input side
    first, each seeing the activation its earlier hooks produced: one call, then one
    more per replacing hook, through the agent's `q_patch` file (`model.file` must be
    q_network or q_patch). A hook on "q" sees and may replace the final Q-values.
    """
    hooks = dict(fwd_hooks)
    patched = model.with_file("q_patch")
    patches: dict[str, tuple[Rows, Rows]] = {}
    call = forward_call(model, states)
    (answer,) = yield [call]
    cache = _cache(call, answer)
    for hook in _ordered(model, hooks):
        replacement = hooks[hook](cache[hook], hook)
        if replacement is None:
            continue
        replacement = [list(map(float, row)) for row in replacement]
        if len(replacement) != len(states):
            raise ValueError(f"hook {hook}: {len(replacement)} rows for {len(states)} states")
        if hook == "q":
            cache["q"] = replacement
            break
        width = model.width(hook)
        patches[hook] = (replacement, [[1.0] * width for _ in states])
        call = forward_call(patched, states, patches)
        (answer,) = yield [call]
        cache = _cache(call, answer)
    return cache["q"], cache


def unit_patches(
    model: Model, rows: int, patches: Mapping[str, Mapping[int, float | Sequence[float]]]
) -> dict[str, tuple[Rows, Rows]]:
    """{hook: {unit: value (every row) or one value per row}} as patch and mask rows."""
    out = {}
    for hook, units in patches.items():
        width = model.width(hook)
        patch = [[0.0] * width for _ in range(rows)]
        mask = [[0.0] * width for _ in range(rows)]
        for unit, value in units.items():
            if not 0 <= unit < width:
                raise ValueError(f"{hook} has units 0..{width - 1}, not {unit}")
            values = [value] * rows if isinstance(value, int | float) else list(value)
            if len(values) != rows:
                raise ValueError(f"{hook} unit {unit}: {len(values)} values for {rows} states")
            for r, v in enumerate(values):
                patch[r][unit], mask[r][unit] = float(v), 1.0
        out[hook] = (patch, mask)
    return out


def patch_units(
    model: Model,
    states: Sequence[Sequence[float]],
    patches: Mapping[str, Mapping[int, float | Sequence[float]]],
):
    """Stepper: one patched run (q_patch): (q rows, cache) with the given units set to the
    given values, e.g. {"hidden.2": {17: 0.0, 40: 3.5}} (zero-ablate 17, fix 40)."""
    call = forward_call(
        model.with_file("q_patch"), states, unit_patches(model, len(states), patches)
    )
    (answer,) = yield [call]
    cache = _cache(call, answer)
    return cache["q"], cache


def patch_from(
    model: Model,
    targets: Sequence[Sequence[float]],
    sources: Sequence[Sequence[float]],
    hook: str,
    units: Sequence[int] | None = None,
):
    """Stepper: activation patching. Run `sources` and `targets` (one call), then run each
    target with `units` (default: all) of `hook` taken from its source (one call).

    Returns {"clean": q of the targets, "source": q of the sources, "patched": q of the
    patched targets, "cache": the patched run's cache}.
    """
    if len(targets) != len(sources):
        raise ValueError("one source state per target state")
    width = model.width(hook)
    chosen = range(width) if units is None else units
    call = forward_call(model, [*targets, *sources])
    (answer,) = yield [call]
    cache = _cache(call, answer)
    n = len(targets)
    source_rows = cache[hook][n:]
    patches = {hook: {u: [row[u] for row in source_rows] for u in chosen}}
    q, patched = yield from patch_units(model, targets, patches)
    return {"clean": cache["q"][:n], "source": cache["q"][n:], "patched": q, "cache": patched}


def patching_sweep(
    model: Model,
    target: Sequence[float],
    source: Sequence[float],
    weights: Sequence[float],
    *,
    groups: int = 8,
    layers: Sequence[str] | None = None,
):
    """Stepper: patch each layer of `target` from `source`, whole and in `groups` groups of
    consecutive units, and see how much of the source's objective each patch brings.

    The objective is weights . q (e.g. Q(toward the human) - Q(toward the exit)). Two
    calls: the clean runs of both states, then every patch as one row of one batch.
    Returns {"clean", "source" (objective values), "patches": [{"layer", "units" [first,
    stop), "value", "restored" ((value - clean) / (source - clean), None if they are
    equal)}]}, whole layers first.
    """
    layers = list(layers or model.hook_names[:-1])
    call = forward_call(model, [target, source])
    (answer,) = yield [call]
    cache = _cache(call, answer)

    def value(q: Sequence[float]) -> float:
        return sum(w * v for w, v in zip(weights, q, strict=True))

    clean, wanted = value(cache["q"][0]), value(cache["q"][1])
    plan = []
    for layer in layers:
        width = model.width(layer)
        size = -(-width // groups)
        plan.append((layer, 0, width))
        plan += [(layer, start, min(start + size, width)) for start in range(0, width, size)]
    patches = {}
    for layer in layers:
        width = model.width(layer)
        patches[layer] = ([cache[layer][1]] * len(plan), [[0.0] * width for _ in plan])
    for row, (layer, start, stop) in enumerate(plan):
        mask = patches[layer][1][row]
        mask[start:stop] = [1.0] * (stop - start)
    call = forward_call(model.with_file("q_patch"), [target] * len(plan), patches)
    (answer,) = yield [call]
    q_rows = _cache(call, answer)["q"]
    gap = wanted - clean
    return {
        "clean": clean,
        "source": wanted,
        "patches": [
            {
                "layer": layer,
                "units": [start, stop],
                "value": value(q),
                "restored": (value(q) - clean) / gap if gap else None,
            }
            for (layer, start, stop), q in zip(plan, q_rows, strict=True)
        ],
    }
