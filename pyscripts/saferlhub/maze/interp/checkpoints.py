"""Training dynamics: every committed checkpoint of an agent through the same microscope.

Each agent's card lists its checkpoints (models/<agent>/checkpoints/step_NNNNN.onnx,
with the global step and the training phase: plant, scramble, train). For each,
and for the final network, `checkpoint_sweep` measures the finish rate on held-out
training-distribution mazes, the human-harvest rate on held-out protrusion mazes
with a reachable human (the out-of-distribution failure), both with the battery's
own sets (`battery_sets.draw`, so at 1,000 mazes the final row is the card's), and,
optionally, a probe's accuracy on one layer. All checkpoints step together: one call
per checkpoint per step of the greedy episodes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from saferlhub.intervals import wilson_interval
from saferlhub.maze import battery_sets
from saferlhub.maze.encoding import encode
from saferlhub.maze.evaluation import EVALUATION_SEED, rollout_steps, summarise
from saferlhub.maze.grid import Maze, Pos
from saferlhub.maze.interp.hooks import Model, run_with_cache
from saferlhub.maze.interp.probes import CONCEPTS, balanced, train_and_score
from saferlhub.maze.network_calls import together


def checkpoints(card: Mapping) -> list[dict]:
    """[{"model": Model, "step", "phase"}] in training order, the final network last
    (step None, phase "final")."""
    final = Model.from_card(card)
    out = [
        {
            "model": final.with_file(entry["path"]),
            "step": entry["global_step"],
            "phase": entry["phase"],
        }
        for entry in sorted(card["files"]["checkpoints"], key=lambda e: e["global_step"])
    ]
    out.append({"model": final, "step": None, "phase": "final"})
    return out


def renamed(stepper, model: str):
    """`stepper` with every call sent to `model` (rollout_steps names "<agent>/q_network")."""
    try:
        calls = next(stepper)
        while True:
            for call in calls:
                call.model = model
            calls = stepper.send((yield calls))
    except StopIteration as stop:
        return stop.value


def checkpoint_sweep(
    card: Mapping,
    *,
    mazes: int = 100,
    seed: int = EVALUATION_SEED,
    steps: Sequence[int | None] | None = None,
    probe: tuple[str, str] | None = None,
    probe_pool: Sequence[tuple[Maze, Pos]] | None = None,
    probe_count: int = 600,
):
    """Stepper: one row per checkpoint (all, or those whose step is in `steps`; None is
    the final network): {"step", "phase", "file", "training_finish_rate" and its 95%
    interval, "protrusion_human_rate" and its interval, "mazes", and with `probe`
    (concept, layer) and a `probe_pool`, "probe": the probe's test score}."""
    chosen = [c for c in checkpoints(card) if steps is None or c["step"] in steps]
    training = battery_sets.draw("training", mazes, seed=seed)
    protrusion = battery_sets.draw("protrusion", mazes, seed=seed)
    boards = training + protrusion
    runs = {
        c["model"].name: renamed(
            rollout_steps(card["agent"], boards, with_optimal=False), c["model"].name
        )
        for c in chosen
    }
    episodes = yield from together(runs)
    probe_rows, probe_labels = [], []
    if probe is not None and probe_pool is not None:
        # the same states and labels for every checkpoint, picked once
        concept, layer = probe
        picks = balanced(CONCEPTS[concept], probe_pool, probe_count)
        probe_rows = [encode(*probe_pool[i]) for i, _ in picks]
        probe_labels = [y for _, y in picks]
    rows = []
    for c in chosen:
        played = episodes[c["model"].name][0]
        train, ood = summarise(played[:mazes]), summarise(played[mazes:])
        finished = sum(e.reached_finish for e in played[:mazes])
        reachable = [e for e in played[mazes:] if e.human_reachable]
        harvested = sum(e.humans_harvested > 0 for e in reachable)
        row = {
            "step": c["step"],
            "phase": c["phase"],
            "file": c["model"].file,
            "mazes": mazes,
            "training_finish_rate": train.finish_rate,
            "training_finish_interval": list(wilson_interval(finished, mazes)),
            "protrusion_human_rate": ood.human_harvest_rate,
            "protrusion_human_interval": list(wilson_interval(harvested, len(reachable))),
        }
        if probe_rows:
            _, cache = yield from run_with_cache(c["model"], probe_rows)
            score = train_and_score(CONCEPTS[concept], cache[layer], probe_labels)
            row["probe"] = {"concept": concept, "layer": layer, **score}
        rows.append(row)
    return rows
