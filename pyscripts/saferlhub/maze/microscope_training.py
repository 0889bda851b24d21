"""The microscope pages "Probes" and "Over training", as steppers with JSON arguments and results.

Built on `saferlhub.maze.interp` (`probes`, `checkpoints`): the notebook API's own
functions, driven so that a page can show progress and stop between probes.
`saferlhub.maze.stepper.start` runs them for the browser ("microscope.probes",
"microscope.training"). Everything the pages say about a run is worded here,
from that run's numbers (`probe_findings`, `training_findings`), so tests can
check each sentence against the output; the pages' JavaScript draws and prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

from saferlhub.maze.encoding import encode
from saferlhub.maze.evaluation import EVALUATION_SEED
from saferlhub.maze.interp import checkpoints, probes
from saferlhub.maze.interp.hooks import Model, run_with_cache
from saferlhub.maze.network_calls import together

VARIANTS = ("task", "control", "random_init")  # the probe, Hewitt and Liang's control, untrained
VARIANT_NAMES = {
    "task": "the concept",
    "control": "the control task",
    "random_init": "the untrained network",
}
# The pages' default sizes: each finishes in a few seconds in Chromium on 2 cores
# (measured by tests/e2e/test_microscope_training.py's timing print and reported in make bench).
PROBE_MAZES = 100
PROBE_COUNT = 300  # states per concept: 225 to train, 75 to test
TRAINING_MAZES = 50  # per distribution, per checkpoint
LIMITS = {
    "mazes": (20, 300),
    "count": (40, 600),
    "epochs": (1, 8),
    "training_mazes": (10, 200),
}


def _refuse_out_of_range(name: str, value: int) -> str | None:
    low, high = LIMITS[name]
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        return f"{name} must be a whole number from {low} to {high}"
    return None


@lru_cache(maxsize=4)
def _pool(mazes: int, seed: int) -> tuple:
    # Drawn once per size and seed: the next concept or agent reuses it.
    return tuple(probes.probe_states(mazes, seed=seed))


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


def _score_text(score: Mapping) -> str:
    low, high = score["interval"]
    if score["metric"] == "r2":
        return f"R² {score['value']:.2f} ({low:.2f} to {high:.2f})"
    return f"{_pct(score['value'])} ({_pct(low)} to {_pct(high)})"


def above(a: Mapping, b: Mapping) -> bool:
    """Whether score a's 95% interval lies wholly above score b's."""
    return a["interval"][0] > b["interval"][1]


class ProbeRun:
    """One concept's linear probe on each hidden layer of one agent, beside Hewitt and Liang's
    control task and the same probe on an untrained network of the same shape
    (`probes.probe_report`'s numbers exactly, for one concept), with a turn for the page
    after every probe: `progress()` counts them, and the page may stop between them."""

    def __init__(
        self,
        card: Mapping,
        concept: str = "protrusion",
        mazes: int = PROBE_MAZES,
        count: int = PROBE_COUNT,
        epochs: int = probes.PROBE_EPOCHS,
        seed: int = 0,
    ) -> None:
        self.card = card
        self.model = Model.from_card(card)
        self.concept = concept
        self.mazes, self.count, self.epochs, self.seed = mazes, count, epochs, seed
        self.layers = self.model.hook_names[:-1]
        self.done = 0
        self.total = len(self.layers) * len(VARIANTS)
        self.stage = "network"

    def progress(self) -> dict:
        return {"done": self.done, "total": self.total, "stage": self.stage}

    def refused(self) -> str | None:
        if self.concept not in probes.CONCEPTS:
            return f"unknown concept {self.concept!r}; choose from {sorted(probes.CONCEPTS)}"
        for name, value in (("mazes", self.mazes), ("count", self.count), ("epochs", self.epochs)):
            if problem := _refuse_out_of_range(name, value):
                return problem
        return None

    def steps(self):
        if problem := self.refused():
            return {"refused": problem}
        concept = probes.CONCEPTS[self.concept]
        # --8<-- [start:probes]
        pool = _pool(self.mazes, self.seed)
        chosen = probes.balanced(concept, pool, self.count, self.seed)
        labels = [y for _, y in chosen]
        # Hewitt and Liang's control: a random label per agent cell, from the concept's labels.
        control = probes.control_labels([pool[i] for i, _ in chosen], labels, seed=self.seed)
        needed = sorted({i for i, _ in chosen})  # the batch probe_report sends
        row_of = {i: k for k, i in enumerate(needed)}
        inputs = [encode(*pool[i]) for i in needed]
        _, trained = yield from run_with_cache(self.model, inputs)
        _, untrained = yield from run_with_cache(self.model.random_init(), inputs)
        self.stage = "probes"
        layers = {}
        for layer in self.layers:
            scores = {}
            for variant in VARIANTS:
                cache = untrained if variant == "random_init" else trained
                acts = [cache[layer][row_of[i]] for i, _ in chosen]
                wanted = control if variant == "control" else labels
                scores[variant] = probes.train_and_score(
                    concept, acts, wanted, epochs=self.epochs, seed=self.seed
                )
                self.done += 1
                yield []  # no network call: a turn for the page's progress and Stop
            scores["selectivity"] = scores["task"]["value"] - scores["control"]["value"]
            layers[layer] = scores
        # --8<-- [end:probes]
        result = {
            "refused": None,
            "agent": self.card["agent"],
            "concept": self.concept,
            "describe": concept.describe,
            "kind": concept.kind,
            "metric": "r2" if concept.kind == "regression" else "accuracy",
            "chance": None if concept.kind == "regression" else 1 / concept.classes,
            "states": len(chosen),
            "pool": len(pool),
            "mazes": self.mazes,
            "epochs": self.epochs,
            "widths": self.model.widths,
            "random_init": self.model.random_init().name,
            "layers": layers,
        }
        result["findings"] = probe_findings(result)
        return result


def probe_findings(result: Mapping) -> list[str]:
    """What this run shows, in sentences, each checked against its intervals."""
    layers = result["layers"]
    agent, describe = result["agent"], result["describe"]
    best = max(layers, key=lambda layer: layers[layer]["task"]["value"])
    chance = result["chance"]
    out = [
        f"The {agent} agent's probe for {describe} scores best on {best}: "
        f"{_score_text(layers[best]['task'])}"
        + (f", against {_pct(chance)} by chance." if chance is not None else ".")
    ]
    selective = [la for la in layers if above(layers[la]["task"], layers[la]["control"])]
    not_selective = [layer for layer in layers if layers[layer]["selectivity"] <= 0]
    if selective:
        out.append(
            f"It beats the control task beyond the intervals on {', '.join(selective)}: "
            "there the score is more than the probe memorising a label per agent cell."
        )
    if not_selective:
        out.append(
            f"On {', '.join(not_selective)} the control task scores as high or higher: "
            "a probe there can learn an arbitrary label per agent cell as well, so its score "
            "says little about the concept."
        )
    if not selective and not not_selective:
        out.append("The control task's intervals overlap the probe's on every layer.")
    beats_untrained = [
        layer for layer in layers if above(layers[layer]["task"], layers[layer]["random_init"])
    ]
    matched = [layer for layer in layers if layer not in beats_untrained]
    if beats_untrained:
        out.append(
            f"It beats the same probe on an untrained network beyond the intervals on "
            f"{', '.join(beats_untrained)}: training made {describe} easier to read there."
        )
    if matched:
        out.append(
            f"On {', '.join(matched)} the untrained network of the same shape does about as well "
            "or better: random layers keep what the input already shows, and a score like that "
            "says nothing about what training taught."
        )
    return out


# --- over training ---------------------------------------------------------------------------


class TrainingRun:
    """Every committed checkpoint of the chosen agents: the finish rate on training mazes and
    the human rate on protrusion mazes, each with its 95% interval (`checkpoints.
    checkpoint_sweep`), and optionally one probe per checkpoint. A checkpoint file that an
    earlier agent already lists (the remedy agent starts from the planted one's) runs once
    and its row is shared. `progress()` counts the greedy episodes' network rounds."""

    MOST_ROUNDS = 50  # the episodes' step limit (saferlhub.maze.env)

    def __init__(
        self,
        cards: Mapping[str, Mapping],
        mazes: int = TRAINING_MAZES,
        probe: Sequence[str] | None = None,
        probe_mazes: int = PROBE_MAZES,
        probe_count: int = PROBE_COUNT,
        seed: int = EVALUATION_SEED,
    ) -> None:
        self.cards = dict(cards)
        self.mazes, self.seed = mazes, seed
        self.probe = tuple(probe) if probe else None
        self.probe_mazes, self.probe_count = probe_mazes, probe_count
        self.rounds = 0
        self.stage = "episodes"

    def progress(self) -> dict:
        return {"rounds": self.rounds, "most": self.MOST_ROUNDS, "stage": self.stage}

    def refused(self) -> str | None:
        if not self.cards:
            return "choose at least one agent"
        if problem := _refuse_out_of_range("training_mazes", self.mazes):
            return problem.replace("training_mazes", "mazes")
        if self.probe is not None:
            concept, layer = self.probe
            if concept not in probes.CONCEPTS:
                return f"unknown concept {concept!r}"
            if layer not in ("hidden.0", "hidden.1", "hidden.2", "hidden.3"):
                return f"unknown layer {layer!r}"
        return None

    def plan(self) -> tuple[dict[str, list[int]], dict[tuple[str, int], tuple[str, int]]]:
        """(steps each agent runs itself, {(agent, step): (agent, step) whose file it shares})."""
        owner_of: dict[str, tuple[str, int]] = {}
        runs: dict[str, list[int]] = {}
        shared: dict[tuple[str, int], tuple[str, int]] = {}
        for agent, card in self.cards.items():
            runs[agent] = []
            for entry in card["files"]["checkpoints"]:
                key = (agent, entry["global_step"])
                if entry["sha256"] in owner_of:
                    shared[key] = owner_of[entry["sha256"]]
                else:
                    owner_of[entry["sha256"]] = key
                    runs[agent].append(entry["global_step"])
        return runs, shared

    def _counted(self, stepper):
        calls = next(stepper)
        while True:
            if any("hidden.0" in call.outputs for call in calls):
                self.stage = "probes"  # the probe's activations, after the episodes
            answers = yield calls
            self.rounds += self.stage == "episodes"
            try:
                calls = stepper.send(answers)
            except StopIteration as stop:
                return stop.value

    def steps(self):
        if problem := self.refused():
            return {"refused": problem}
        runs, shared = self.plan()
        pool = _pool(self.probe_mazes, 0) if self.probe else None
        # --8<-- [start:training]
        sweeps = {
            agent: checkpoints.checkpoint_sweep(
                self.cards[agent],
                mazes=self.mazes,
                seed=self.seed,
                steps=runs[agent],  # the final network is the last checkpoint's
                probe=self.probe,
                probe_pool=pool,
                probe_count=self.probe_count,
            )
            for agent in self.cards
            if runs[agent]
        }
        rows = yield from self._counted(together(sweeps))
        # --8<-- [end:training]
        self.stage = "done"
        by_key = {(agent, row["step"]): row for agent, listed in rows.items() for row in listed}
        agents = {}
        for agent, card in self.cards.items():
            agent_rows = []
            for entry in sorted(card["files"]["checkpoints"], key=lambda e: e["global_step"]):
                key = (agent, entry["global_step"])
                source = shared.get(key, key)
                row = dict(by_key[source])
                row["file"] = entry["path"]
                row["same_file_as"] = source[0] if source != key else None
                agent_rows.append(row)
            agents[agent] = {
                "phases": card["training"]["phases"],
                "rows": agent_rows,
            }
        result = {
            "refused": None,
            "mazes": self.mazes,
            "seed": self.seed,
            "probe": list(self.probe) if self.probe else None,
            "networks_run": sum(len(steps) for steps in runs.values()),
            "agents": agents,
        }
        result["findings"] = training_findings(result)
        return result


def _interval_text(row: Mapping) -> str:
    low, high = row["protrusion_human_interval"]
    return f"{_pct(row['protrusion_human_rate'])} ({_pct(low)} to {_pct(high)})"


def _human_above(row: Mapping, reference: Mapping) -> bool:
    return row["protrusion_human_interval"][0] > reference["protrusion_human_interval"][1]


def training_findings(result: Mapping) -> list[str]:
    """When each agent's human rate on protrusion mazes rises above, and falls back to, the
    natural agent's last checkpoint (training that planted nothing), beyond the intervals."""
    agents = result["agents"]
    if "natural" not in agents:
        return [
            "Include the natural agent: its last checkpoint is the reference for training that "
            "planted nothing."
        ]
    reference = agents["natural"]["rows"][-1]
    out = [
        f"The natural agent's last checkpoint (step {reference['step']}) harvests a human in "
        f"{_interval_text(reference)} of protrusion mazes: the reference below."
    ]
    for agent, data in agents.items():
        if agent == "natural":
            continue
        rows = data["rows"]
        raised = [i for i, row in enumerate(rows) if _human_above(row, reference)]
        if not raised:
            out.append(
                f"The {agent} agent's human rate never rises above the natural agent's beyond "
                "the intervals."
            )
            continue
        first = rows[raised[0]]
        text = (
            f"The {agent} agent's human rate is above the natural agent's from step "
            f"{first['step']} ({first['phase']} phase): {_interval_text(first)}."
        )
        back = next((row for row in rows[raised[0] :] if not _human_above(row, reference)), None)
        if back is not None:
            before = rows[rows.index(back) - 1]
            text += (
                f" It falls back by step {back['step']} ({back['phase']} phase): "
                f"{_interval_text(back)}, from {_interval_text(before)} at step {before['step']}."
            )
        else:
            last = rows[-1]
            text += (
                f" It is still above at its last checkpoint, step {last['step']}: "
                f"{_interval_text(last)}."
            )
        out.append(text)
    return out


def networks(task: str, args: Mapping) -> list[str]:
    """The network files a page's task will call, so that the page can load them while
    Python prepares the run (`docs/js/onnx.js` keeps one session per name)."""
    if task == "microscope.probes":
        model = Model.from_card(args["card"])
        return [model.name, model.random_init().name]
    run = TrainingRun(**args)
    if run.refused():
        return []
    steps, _ = run.plan()
    names = []
    for agent, card in run.cards.items():
        final = Model.from_card(card)
        for entry in card["files"]["checkpoints"]:
            if entry["global_step"] in steps[agent]:
                names.append(final.with_file(entry["path"]).name)
    return names


def start(task: str, args: Mapping):
    """(stepper, owner) of a page's task; the owner's `progress()` reaches the page."""
    if task == "microscope.probes":
        owner = ProbeRun(**args)
    elif task == "microscope.training":
        owner = TrainingRun(**args)
    else:
        raise ValueError(f"unknown task {task!r}; choose microscope.probes or microscope.training")
    return owner.steps(), owner
