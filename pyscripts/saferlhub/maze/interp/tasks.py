"""The microscope's steppers with JSON arguments and results, for the browser's sessions.

Each function takes what a page can send (the agent's model card as the page
loaded it, mazes as ASCII, cells as [row, col]) and returns a stepper whose
result is JSON. `TASKS` maps a task name to its function, for a session keeper
such as `saferlhub.maze.stepper.start` to call (this module imports no such keeper,
so either may import the other lazily).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from saferlhub.maze.grid import Maze, parse_maze
from saferlhub.maze.interp import attribution, checkpoints, hooks, probes
from saferlhub.maze.interp.microscope import as_rows


def _maze(text: str | Sequence[str]) -> Maze:
    return parse_maze(text if isinstance(text, str) else "\n".join(text))


def _state(item: Mapping) -> tuple[Maze, tuple[int, int]]:
    """{"maze": ASCII, "position": [row, col]} as (maze, position)."""
    row, col = item["position"]
    return _maze(item["maze"]), (int(row), int(col))


def cache_task(card: Mapping, states: Sequence[Mapping], file: str = "q_network"):
    """Every hook point at each state: {"q", "cache": {hook: rows}, "hooks": {name: width}}."""
    model = hooks.Model.from_card(card, file)
    q, cache = yield from hooks.run_with_cache(model, as_rows([_state(s) for s in states]))
    return {"q": q, "cache": cache, "hooks": model.hook_points()}


def patch_sweep_task(
    card: Mapping,
    target: Mapping,
    source: Mapping,
    action: str,
    minus: str | None = None,
    groups: int = 8,
):
    """`hooks.patching_sweep` from `source` into `target` for Q(action) [- Q(minus)]."""
    rows = as_rows([_state(target), _state(source)])
    weights = attribution.objective(action, minus)
    return (
        yield from hooks.patching_sweep(hooks.Model.from_card(card), *rows, weights, groups=groups)
    )


def attribution_task(
    card: Mapping,
    state: Mapping,
    action: str,
    minus: str | None = None,
    method: str = "integrated_gradients",
    baseline: str = "empty",
    steps: int = attribution.IG_STEPS,
):
    """Saliency or integrated gradients of one state, laid out per plane:
    {"method", "planes": {plane: 7x7}, "plane_totals", and for integrated gradients
    "value", "baseline_value", "sum", "completeness_error", "steps", "baseline"}."""
    model = hooks.Model.from_card(card)
    rows = as_rows([_state(state)])
    weights = attribution.objective(action, minus)
    if method == "saliency":
        (result,) = yield from attribution.saliency(model, rows, weights)
        values = result.pop("gradient")
    elif method == "integrated_gradients":
        (result,) = yield from attribution.integrated_gradients(
            model, rows, weights, baseline=baseline, steps=steps
        )
        values = result.pop("attributions")
    else:
        raise ValueError(f"unknown method {method!r}; choose saliency or integrated_gradients")
    return {
        "method": method,
        **result,
        "planes": attribution.per_plane(values),
        "plane_totals": attribution.plane_totals(values),
    }


def probes_task(
    card: Mapping,
    concepts: Sequence[str] = tuple(probes.CONCEPTS),
    layers: Sequence[str] | None = None,
    mazes: int = 300,
    count: int = probes.PROBE_STATES,
    controls: bool = True,
    seed: int = 0,
):
    """`probes.probe_report` on a pool of `mazes` mazes drawn with `seed`."""
    pool = probes.probe_states(mazes, seed=seed)
    return (
        yield from probes.probe_report(
            hooks.Model.from_card(card),
            pool,
            concepts=concepts,
            layers=layers,
            count=count,
            controls=controls,
            seed=seed,
        )
    )


def checkpoints_task(
    card: Mapping,
    mazes: int = 100,
    steps: Sequence[int | None] | None = None,
    probe: Sequence[str] | None = None,
    probe_mazes: int = 300,
):
    """`checkpoints.checkpoint_sweep` (probe: [concept, layer] on a pool of `probe_mazes`)."""
    pool = probes.probe_states(probe_mazes) if probe else None
    return (
        yield from checkpoints.checkpoint_sweep(
            card,
            mazes=mazes,
            steps=steps,
            probe=tuple(probe) if probe else None,
            probe_pool=pool,
        )
    )


TASKS = {
    "interp.cache": cache_task,
    "interp.patch_sweep": patch_sweep_task,
    "interp.attribution": attribution_task,
    "interp.probes": probes_task,
    "interp.checkpoints": checkpoints_task,
}


def start(task: str, args: Mapping):
    """The stepper of `task` with keyword arguments `args`."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; choose from {sorted(TASKS)}")
    return TASKS[task](**args)
