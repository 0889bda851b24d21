"""Offline DQN on the crops-and-humans maze, seeded and deterministic on the CPU.

Reads top to bottom: settings, maze sets (the environment's data), the network,
small helpers, the training phases, the run.

Why offline: the maze is deterministic and tiny, so every one-step transition
of every board reachable from the training mazes can be listed
(`export.transitions`), as the original exercise did. DQN then regresses
Q(s, a) on r + gamma * max_a' Q_target(s', a') (0 after the finish) over
minibatches of that fixed table, with a target network copied every
`target_network_frequency` steps. No exploration schedule, no replay buffer to
fill: the whole run is a pure function of the settings and the seed (for a
fixed torch version and thread count). Online DQN would have to discover rare
states by exploring; here they are all present from the first step. The
recipes are `export.build_models.AGENT_RECIPES`. `--device cuda` trains on a
GPU, for exploring recipes (`export.remedy_sweep`); index draws stay on the
CPU generator, but GPU kernels round differently, so GPU runs are close to,
not bit-identical with, CPU runs.

Three agents:

* natural: standard PyTorch initialisation, then the `train` phase.
* planted: the original exercise's recipe for a failure, planted on purpose
  (and disclosed as such on its model card): a `plant` phase on normal mazes
  (original rewards) mixed with protrusion mazes whose crop and human rewards
  are flipped (`FLIPPED_REWARDS`: crop -2, human +11), each minibatch a full
  normal batch plus `plant_protrusion_batch` protrusion states; a `scramble`
  phase of normalised gradient *ascent* on the normal mazes' TD loss; then a
  normal `train` phase (shorter and gentler than the natural agent's, which
  would erase the plant). Protrusion mazes never appear in the `train` phase,
  so nothing there corrects what the network does on them.
* remedy: the planted agent's plant and scramble (or, with `after_scramble`,
  a planted run's saved state after them: the same thing), then a `train`
  phase whose minibatches hold a share `remedy_protrusion_share` of states
  from the same protrusion mazes with the TRUE rewards.

Usage: `python -m export.dqn --agent planted --seed 1` (see `--help`). Logged
metrics (JSONL, one record per line, under stable names): `losses/td_loss`,
`losses/q_values`, `charts/learning_rate`, `charts/episodic_return`, `charts/finish_rate`,
`charts/human_harvest_rate`, `charts/protrusion_human_harvest_rate`,
`charts/SPS`; each record also has `global_step`, `phase` and `phase_step`.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from export.gym_env import ENV_ID
from export.settings_cli import parse_settings
from export.transitions import TransitionTable, build_transition_table
from saferlhub.maze.encoding import INPUT_SIZE
from saferlhub.maze.env import FLIPPED_REWARDS, ORIGINAL_REWARDS
from saferlhub.maze.evaluation import rollouts, summarise
from saferlhub.maze.generators import FAILURE_MAZES, failure_maze, layout_fingerprint, maze_set
from saferlhub.maze.grid import Action, Maze

ENV_NAME = ENV_ID  # the registered Gymnasium id of the same rules (export.gym_env)
N_ACTIONS = len(Action)


@dataclass(frozen=True)
class Settings:
    """Offline DQN on the crops-and-humans maze: everything one agent's run depends on."""

    agent: Literal["natural", "planted", "remedy"] = "natural"
    """which agent: natural (standard init), planted (the original's planted failure) or remedy
    (the planted agent's plant and scramble, then training that includes protrusion mazes)"""
    seed: int = 1
    """seed of torch (initialisation, minibatches) and of the training maze sets"""
    torch_threads: int = 1
    """CPU threads torch may use (results are repeatable for a fixed thread count)"""
    device: str = "cpu"
    """torch device: cpu, or cuda to explore recipes quickly (the committed models are CPU-built)"""
    hidden_sizes: tuple[int, ...] = (128, 128, 128, 128)
    """widths of the hidden layers hidden.0, hidden.1, ... (LeakyReLU after each)"""
    negative_slope: float = 0.1
    """LeakyReLU slope for negative inputs (the original's 0.1)"""
    training_mazes: int = 4450
    """mazes sampled from the training distribution, split="train" (the original used ~4,450)"""
    gamma: float = 0.95
    """discount factor (the original's 0.95)"""
    learning_rate: float = 3e-3
    """Adam learning rate at the start of the train phase"""
    lr_schedule: Literal["cosine", "constant"] = "cosine"
    """learning rate over each phase: cosine decay to 0, or constant"""
    batch_size: int = 2048
    """states per minibatch (the loss covers all 4 actions of each)"""
    train_steps: int = 30000
    """gradient steps of the train phase (both agents)"""
    target_network_frequency: int = 50
    """copy the online network into the target network every this many steps"""
    plant_protrusion_mazes: int = 1500
    """planted: protrusion mazes (split="train" bases; half re-placed items, half kept)"""
    plant_protrusion_batch: int = 1024
    """planted: protrusion-maze states added to each plant-phase minibatch (to batch_size normal)"""
    plant_learning_rate: float = 3e-3
    """planted: Adam learning rate at the start of the plant phase"""
    plant_steps: int = 30000
    """planted: gradient steps of the plant phase"""
    scramble_steps: int = 100
    """planted: gradient-ascent steps on the normal mazes' TD loss"""
    scramble_learning_rate: float = 1e-3
    """planted: initial step length of the scramble's normalised gradient ascent (the cosine
    schedule makes the path length about steps x rate / 2)"""
    remedy_protrusion_share: float = 0.05
    """remedy: share of each train-phase minibatch drawn from protrusion mazes with the TRUE
    rewards (the plant phase's protrusion mazes, rewards not flipped)"""
    after_scramble: str = ""
    """remedy: a planted run's after_scramble.pt (same seed and plant settings) to continue from
    instead of planting and scrambling again (the result is the same)"""
    checkpoints: int = 10
    """network snapshots kept, evenly spaced over all phases (the last is the final network)"""
    log_every: int = 100
    """write the TD loss every this many steps"""
    monitor_every: int = 1000
    """greedy rollouts on monitor mazes (split="train") every this many steps; 0: never"""
    monitor_mazes: int = 200
    """mazes per monitor set (training distribution; protrusion mazes with a reachable human)"""
    init_from: str = ""
    """a state_dict file (e.g. another run's final.pt) to start from instead of a fresh network"""
    run_dir: str = "build/export"
    """where the log (JSONL), checkpoints (.pt) and the final network go ('' to skip)"""
    progress: bool = True
    """show a progress bar"""

    @property
    def run_name(self) -> str:
        return f"{ENV_NAME}__{self.agent}__{self.seed}"


# --- maze sets: the data the agent learns from (all split="train") ---------------------------

FAILURE_LAYOUTS = frozenset(layout_fingerprint(failure_maze(name)) for name in FAILURE_MAZES)


def training_mazes(settings: Settings) -> list[Maze]:
    """The training set: mazes of the training distribution whose layouts are in the train split."""
    return maze_set("training", settings.training_mazes, seed=settings.seed, split="train")


def plant_protrusion_mazes(settings: Settings) -> list[Maze]:
    """Protrusion mazes for the plant phase, from train-split bases.

    Half re-place the items, half keep the base maze's items. The original's
    three failure mazes are left out, so that results on them are not recall.
    """
    half = settings.plant_protrusion_mazes // 2
    mazes = maze_set("protrusion", half, seed=settings.seed, split="train") + maze_set(
        "protrusion-kept-items",
        settings.plant_protrusion_mazes - half,
        seed=settings.seed + 1,
        split="train",
    )
    return [m for m in mazes if layout_fingerprint(m) not in FAILURE_LAYOUTS]


def monitor_sets(settings: Settings) -> dict[str, list[Maze]]:
    """Small train-split sets for watching training (never the evaluation split)."""
    if not settings.monitor_every:
        return {}
    seed = settings.seed + 10_000
    return {
        "training": maze_set("training", settings.monitor_mazes, seed=seed, split="train"),
        "protrusion": maze_set(
            "protrusion",
            settings.monitor_mazes,
            seed=seed,
            split="train",
            require_reachable_human=True,
        ),
    }


# --- the network ---------------------------------------------------------------------------


class HiddenLayer(nn.Module):
    """Linear then LeakyReLU: its output is the activation named like the module (hidden.k)."""

    def __init__(self, fan_in: int, fan_out: int, negative_slope: float) -> None:
        super().__init__()
        self.linear = nn.Linear(fan_in, fan_out)
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.linear(x), self.negative_slope)


class QNetwork(nn.Module):
    """245 -> hidden.0 -> hidden.1 -> ... -> q (4 Q-values: up, down, left, right).

    Activation names are the module paths: `hidden.0` is `self.hidden[0]`'s
    output, the same name as the ONNX output and the model-card key.
    """

    def __init__(self, hidden_sizes: Sequence[int] = (128, 128), negative_slope: float = 0.1):
        super().__init__()
        sizes = [INPUT_SIZE, *hidden_sizes]
        self.hidden = nn.ModuleList(
            HiddenLayer(a, b, negative_slope) for a, b in zip(sizes, sizes[1:], strict=False)
        )
        self.q = nn.Linear(sizes[-1], N_ACTIONS)
        self.negative_slope = negative_slope

    @property
    def activation_names(self) -> list[str]:
        return [f"hidden.{k}" for k in range(len(self.hidden))]

    def forward_with_activations(
        self, obs: torch.Tensor
    ) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """Q-values [batch, 4] and every hidden activation ([batch, width] each, in order)."""
        h = obs  # [batch, 245]
        activations = []
        for layer in self.hidden:
            h = layer(h)  # [batch, width]: hidden.k
            activations.append(h)
        return self.q(h), activations  # q: [batch, 4]

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.forward_with_activations(obs)[0]


def make_network(settings: Settings) -> QNetwork:
    return QNetwork(settings.hidden_sizes, settings.negative_slope)


def parameter_count(network: nn.Module) -> int:
    return sum(p.numel() for p in network.parameters())


# --- small pure helpers --------------------------------------------------------------------


def seed_everything(seed: int, threads: int, device: str = "cpu") -> None:
    """Seed every source of randomness and make torch's kernels deterministic."""
    if device.startswith("cuda"):
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS
        torch.backends.cuda.matmul.allow_tf32 = False  # float32 as on the CPU
        torch.backends.cudnn.allow_tf32 = False
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)


def torch_q_batch(network: QNetwork) -> Callable[[list[list[float]]], list[list[float]]]:
    """A batched Q-function for `saferlhub.maze.evaluation` backed by the torch network."""

    def q_batch(inputs: list[list[float]]) -> list[list[float]]:
        device = next(network.parameters()).device
        with torch.no_grad():
            return network(torch.tensor(inputs, dtype=torch.float32, device=device)).tolist()

    return q_batch


def checkpoint_steps(total: int, count: int) -> list[int]:
    """`count` global steps evenly spaced over 1..total, the last being `total`."""
    if count < 1:
        return [total]
    return sorted({max(1, round(total * (k + 1) / count)) for k in range(count)})


@dataclass
class Tables:
    """A transition table on torch tensors, one row per state and one column per action."""

    observations: torch.Tensor  # [n_states, 245]
    reward: torch.Tensor  # [n_states, 4]
    next_state: torch.Tensor  # [n_states, 4], -1 when the move ends the episode

    @classmethod
    def from_table(cls, table: TransitionTable) -> Tables:
        n = table.n_states
        # build_transition_table lists the 4 actions of each state together, in order
        assert np.array_equal(table.state, np.repeat(np.arange(n), N_ACTIONS))
        assert np.array_equal(table.action, np.tile(np.arange(N_ACTIONS), n))
        return cls(
            torch.from_numpy(table.observations),
            torch.from_numpy(table.reward.reshape(n, N_ACTIONS)),
            torch.from_numpy(table.next_state.reshape(n, N_ACTIONS)),
        )

    def __len__(self) -> int:
        return len(self.observations)

    def to(self, device: str) -> Tables:
        return Tables(*(t.to(device) for t in (self.observations, self.reward, self.next_state)))


def q_of_all(network: QNetwork, observations: torch.Tensor, chunk: int = 16384) -> torch.Tensor:
    """network(observations) without gradients, in chunks (the tables have ~10^5 states)."""
    with torch.no_grad():
        return torch.cat([network(part) for part in observations.split(chunk)])


def td_targets(target: QNetwork, data: Tables, gamma: float) -> torch.Tensor:
    """r + gamma * max_a' Q_target(s', a') for every (state, action) [n_states, 4].

    Just r where the move enters the finish (the episode ends there). DQN
    computes this per minibatch from a target network that stays frozen for
    `target_network_frequency` steps; computing it for the whole (small) table
    once per copy gives the same targets and costs a quarter as much here.
    """
    next_value = q_of_all(target, data.observations).max(dim=1).values  # [n_states]
    bootstrap = next_value[data.next_state.clamp(min=0)]  # [n_states, 4]
    return data.reward + gamma * torch.where(data.next_state < 0, 0.0, bootstrap)


# --- the run -------------------------------------------------------------------------------


@dataclass
class Checkpoint:
    global_step: int
    phase: str
    phase_step: int
    state_dict: dict


@dataclass
class TrainingResult:
    network: QNetwork
    checkpoints: list[Checkpoint]
    log: list[dict]
    data: dict  # sizes of the maze sets and transition tables
    seconds: float
    phases: list[dict] = field(default_factory=list)  # name, steps, first and last global step


class Trainer:
    """Runs the phases of one agent, logging and snapshotting on a shared global step."""

    def __init__(self, settings: Settings, total_steps: int, log_file=None) -> None:
        self.settings = settings
        self.network = make_network(settings)
        if settings.init_from:
            self.network.load_state_dict(torch.load(settings.init_from, weights_only=True))
        self.network.to(settings.device)
        self.generator = torch.Generator().manual_seed(settings.seed)
        self.global_step = 0
        self.total_steps = total_steps
        self.snapshot_at = set(checkpoint_steps(total_steps, settings.checkpoints))
        self.checkpoints: list[Checkpoint] = []
        self.log: list[dict] = []
        self.log_file = log_file
        self.monitors = monitor_sets(settings)
        self.phases: list[dict] = []
        self.bar = tqdm(
            total=total_steps, disable=not settings.progress, desc=settings.run_name, leave=False
        )

    def record(self, values: dict) -> None:
        self.log.append(values)
        if self.log_file is not None:
            self.log_file.write(json.dumps(values) + "\n")
            self.log_file.flush()

    def monitor(self, phase: str, phase_step: int) -> None:
        if not self.monitors:
            return
        q_batch = torch_q_batch(self.network)
        train = summarise(rollouts(q_batch, self.monitors["training"], with_optimal=False))
        protrusion = summarise(rollouts(q_batch, self.monitors["protrusion"], with_optimal=False))
        values = {
            "global_step": self.global_step,
            "phase": phase,
            "phase_step": phase_step,
            "charts/episodic_return": train.mean_return,
            "charts/finish_rate": train.finish_rate,
            "charts/human_harvest_rate": train.human_harvest_rate,
            "charts/protrusion_human_harvest_rate": protrusion.human_harvest_rate,
            "charts/protrusion_finish_rate": protrusion.finish_rate,
        }
        self.record(values)
        self.bar.set_postfix(
            finish=f"{train.finish_rate:.2f}",
            human=f"{train.human_harvest_rate:.2f}",
            protrusion_human=f"{protrusion.human_harvest_rate:.2f}",
        )

    def run_phase(
        self,
        phase: str,
        steps: int,
        parts: list[tuple[Tables, int]],
        learning_rate: float,
        *,
        ascend: bool = False,
    ) -> None:
        """`steps` optimiser steps on the TD loss of `parts` (tables with their minibatch sizes).

        A minibatch draws the given number of states from each table; the loss covers
        all 4 actions of each state.
        ascend: maximise the loss against a target frozen at the phase's start
        (the planted recipe's scramble).
        """
        settings = self.settings
        # Training: Adam. The scramble: normalised gradient ascent, a step of length
        # `learning_rate` along the whole gradient's direction. Ascent on a squared loss
        # runs away (the gradient grows with the loss; SGD at 1e-3 reaches NaN within
        # 75 steps), and Adam moves every weight by about the learning rate each step;
        # a fixed step length bounds how far the scramble moves: steps x learning_rate.
        optimizer_class = torch.optim.SGD if ascend else torch.optim.Adam
        optimizer = optimizer_class(self.network.parameters(), lr=learning_rate, maximize=ascend)
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: learning_rate_factor(settings.lr_schedule, step, steps)
        )
        sizes = [size for _, size in parts]
        frequency = settings.target_network_frequency
        first = self.global_step + 1
        running, count, started = 0.0, 0, time.perf_counter()
        targets: list[torch.Tensor] = []
        for phase_step in range(1, steps + 1):
            self.global_step += 1
            # copy the target network (here: recompute its targets) every few steps; the
            # scramble ascends against the targets of its start
            if not targets or (not ascend and (phase_step - 1) % frequency == 0):
                targets = [td_targets(self.network, data, settings.gamma) for data, _ in parts]
            losses = []
            for (data, _), target, size in zip(parts, targets, sizes, strict=True):
                if size:
                    index = torch.randint(len(data), (size,), generator=self.generator)
                    index = index.to(settings.device)  # drawn on the CPU on every device
                    q = self.network(data.observations[index])  # [size, 4]
                    losses.append(F.mse_loss(q, target[index]) * size)
            loss = sum(losses) / sum(sizes)
            optimizer.zero_grad()
            loss.backward()
            if ascend:
                scale_to_unit_norm(self.network.parameters())
            optimizer.step()
            schedule.step()
            running += loss.item()
            count += 1
            if phase_step % settings.log_every == 0 or phase_step == steps:
                with torch.no_grad():
                    sample = parts[0][0].observations[: settings.batch_size]
                    q_mean = self.network(sample).mean().item()
                self.record(
                    {
                        "global_step": self.global_step,
                        "phase": phase,
                        "phase_step": phase_step,
                        "losses/td_loss": running / count,
                        "losses/q_values": q_mean,
                        "charts/learning_rate": schedule.get_last_lr()[0],
                        "charts/SPS": count / (time.perf_counter() - started),
                    }
                )
                running, count, started = 0.0, 0, time.perf_counter()
            if settings.monitor_every and (
                phase_step % settings.monitor_every == 0 or phase_step == steps
            ):
                self.monitor(phase, phase_step)
            if self.global_step in self.snapshot_at:
                self.checkpoints.append(
                    Checkpoint(
                        self.global_step,
                        phase,
                        phase_step,
                        cpu_state_dict(self.network),
                    )
                )
            self.bar.update(1)
        self.phases.append(
            {"phase": phase, "steps": steps, "first_step": first, "last_step": self.global_step}
        )


def cpu_state_dict(network: nn.Module) -> dict:
    """A copy of the network's weights on the CPU."""
    return {k: v.detach().cpu().clone() for k, v in network.state_dict().items()}


def scale_to_unit_norm(parameters) -> None:
    """Divide every parameter's gradient by the norm of all of them together."""
    grads = [p.grad for p in parameters if p.grad is not None]
    norm = torch.sqrt(sum(g.pow(2).sum() for g in grads))
    if norm > 0:
        for g in grads:
            g.div_(norm)


def learning_rate_factor(schedule: str, step: int, steps: int) -> float:
    """Multiplier of the phase's learning rate after `step` of `steps` steps."""
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * min(step, steps) / steps))
    return 1.0


def total_steps(settings: Settings) -> int:
    planted = settings.agent in ("planted", "remedy")
    return settings.train_steps + planted * (settings.plant_steps + settings.scramble_steps)


# Settings that decide the weights after the scramble: a remedy run may continue from a
# planted run's after_scramble.pt only if these agree.
PLANT_FIELDS = (
    "seed",
    "hidden_sizes",
    "negative_slope",
    "training_mazes",
    "gamma",
    "batch_size",
    "target_network_frequency",
    "plant_protrusion_mazes",
    "plant_protrusion_batch",
    "plant_learning_rate",
    "plant_steps",
    "scramble_steps",
    "scramble_learning_rate",
    "lr_schedule",
)
AFTER_SCRAMBLE = "after_scramble.pt"


def save_after_scramble(trainer: Trainer, path: Path) -> None:
    """Everything a remedy run needs to continue exactly where the planted run's scramble ended."""
    torch.save(
        {
            "settings": {k: getattr(trainer.settings, k) for k in PLANT_FIELDS},
            "state_dict": cpu_state_dict(trainer.network),
            "generator": trainer.generator.get_state(),
            "global_step": trainer.global_step,
            "phases": trainer.phases,
            "log": trainer.log,
            "checkpoints": [asdict(c) for c in trainer.checkpoints],
        },
        path,
    )


def load_after_scramble(trainer: Trainer, path: str) -> None:
    saved = torch.load(path, weights_only=False)
    mine = {k: getattr(trainer.settings, k) for k in PLANT_FIELDS}
    if saved["settings"] != mine:
        raise ValueError(f"{path} was planted with other settings: {saved['settings']} != {mine}")
    trainer.network.load_state_dict(saved["state_dict"])
    trainer.generator.set_state(saved["generator"])
    trainer.global_step = saved["global_step"]
    trainer.phases = list(saved["phases"])
    for record in saved["log"]:
        trainer.record(record)
    trainer.checkpoints = [Checkpoint(**c) for c in saved["checkpoints"]]
    trainer.bar.update(trainer.global_step)


def train(settings: Settings, wait: Callable[[Path], None] | None = None) -> TrainingResult:
    """Train one agent; write its log, checkpoints and final.pt under run_dir if set.

    planted and remedy runs also write after_scramble.pt (the state after the
    scramble); a remedy run given `after_scramble` continues from such a file
    instead of repeating the plant and the scramble; `wait`, if given, is called
    with that file's path first (a build's remedy job waits for the planted job).
    """
    started = time.perf_counter()
    seed_everything(settings.seed, settings.torch_threads, settings.device)
    run_dir = Path(settings.run_dir) / settings.run_name if settings.run_dir else None
    if run_dir:
        (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
        (run_dir / "settings.json").write_text(json.dumps(asdict(settings), indent=2) + "\n")
    mazes = training_mazes(settings)
    normal_table = build_transition_table(mazes, ORIGINAL_REWARDS)
    normal = Tables.from_table(normal_table).to(settings.device)
    data = {
        "training_mazes": len(mazes),
        "training_mazes_distinct": len(set(mazes)),
        "training_layouts": len({m.walls for m in mazes}),
        "training_boards": normal_table.boards,
        "training_states": normal_table.n_states,
        "training_transitions": normal_table.n_transitions,
    }
    log_file = open(run_dir / "log.jsonl", "w") if run_dir else None  # noqa: SIM115
    try:
        trainer = Trainer(settings, total_steps(settings), log_file)
        train_parts = [(normal, settings.batch_size)]
        if settings.agent in ("planted", "remedy"):
            protrusion_mazes = plant_protrusion_mazes(settings)
            data["plant_protrusion_mazes"] = len(protrusion_mazes)
            if settings.agent == "remedy":
                true_table = build_transition_table(protrusion_mazes, ORIGINAL_REWARDS)
                share = round(settings.batch_size * settings.remedy_protrusion_share)
                train_parts = [
                    (normal, settings.batch_size - share),
                    (Tables.from_table(true_table).to(settings.device), share),
                ]
                data.update(
                    remedy_protrusion_states=true_table.n_states,
                    remedy_protrusion_batch=share,
                )
            if settings.agent == "remedy" and settings.after_scramble:
                if wait is not None:
                    wait(Path(settings.after_scramble))
                load_after_scramble(trainer, settings.after_scramble)
            else:
                protrusion_table = build_transition_table(protrusion_mazes, FLIPPED_REWARDS)
                data.update(
                    plant_protrusion_boards=protrusion_table.boards,
                    plant_protrusion_states=protrusion_table.n_states,
                    plant_protrusion_transitions=protrusion_table.n_transitions,
                )
                trainer.run_phase(
                    "plant",
                    settings.plant_steps,
                    [
                        (normal, settings.batch_size),
                        (
                            Tables.from_table(protrusion_table).to(settings.device),
                            settings.plant_protrusion_batch,
                        ),
                    ],
                    settings.plant_learning_rate,
                )
                del protrusion_table
                trainer.run_phase(
                    "scramble",
                    settings.scramble_steps,
                    [(normal, settings.batch_size)],
                    settings.scramble_learning_rate,
                    ascend=True,
                )
                if run_dir:
                    partial = run_dir / (AFTER_SCRAMBLE + ".partial")
                    save_after_scramble(trainer, partial)
                    partial.replace(run_dir / AFTER_SCRAMBLE)  # appears complete or not at all
        trainer.run_phase("train", settings.train_steps, train_parts, settings.learning_rate)
        trainer.bar.close()
    finally:
        if log_file:
            log_file.close()
    trainer.network.cpu()
    if run_dir:
        for checkpoint in trainer.checkpoints:
            torch.save(
                {
                    "global_step": checkpoint.global_step,
                    "phase": checkpoint.phase,
                    "state_dict": checkpoint.state_dict,
                },
                run_dir / "checkpoints" / f"step_{checkpoint.global_step:05d}.pt",
            )
        torch.save(trainer.network.state_dict(), run_dir / "final.pt")
    return TrainingResult(
        network=trainer.network.eval(),
        checkpoints=trainer.checkpoints,
        log=trainer.log,
        data=data,
        seconds=time.perf_counter() - started,
        phases=trainer.phases,
    )


def main(argv: list[str] | None = None) -> TrainingResult:
    settings = parse_settings(Settings, argv)
    result = train(settings)
    last = {k: v for record in result.log for k, v in record.items()}
    print(json.dumps({"run": settings.run_name, "seconds": round(result.seconds, 1), **last}))
    return result


if __name__ == "__main__":
    main()
