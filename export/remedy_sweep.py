"""Explore the remedy agent's recipe quickly: one planted run, then remedy variants from it.

The remedy agent is the planted agent's own plant and scramble, then a train
phase whose minibatches hold a share of protrusion mazes with the TRUE rewards.
This script trains the planted agent once (writing its after_scramble.pt),
then every (share, train recipe) variant from that state, in parallel
processes, and prints one JSON line per agent: the held-out evaluation table's
headline numbers (`export.evaluate.evaluation_table` on the torch network).

It is for exploring (e.g. `--device cuda` on a GPU machine); `make models`
builds the committed agents on the CPU, and their cards give the sweep measured
there. Usage:

    python -m export.remedy_sweep --device cuda --shares 0.01 0.05 0.2 --mazes 300
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch

from export import build_models, dqn, evaluate
from export.settings_cli import parse_settings


@dataclass(frozen=True)
class SweepSettings:
    """Train the planted agent once, then remedy variants from its state after the scramble."""

    device: str = "cpu"
    """torch device for training (cpu or cuda)"""
    shares: tuple[float, ...] = (0.01, 0.05, 0.2)
    """remedy_protrusion_share values to try"""
    recipes: tuple[str, ...] = ("1500:3e-4",)
    """remedy train phases to try, as steps:learning_rate"""
    hidden_sizes: tuple[int, ...] = (256, 256, 256, 256)
    """network widths (planted and remedy)"""
    mazes: int = 300
    """held-out mazes per distribution for each evaluation"""
    jobs: int = 4
    """remedy variants trained at the same time (one process each)"""
    run_dir: str = "build/sweep"
    """where the runs go"""
    out: str = ""
    """also write the results (JSON lines) to this file"""
    after_scramble: str = ""
    """an earlier sweep's planted after_scramble.pt: skip training the planted agent again"""


class TorchQ:
    """A torch network as the Q-function `evaluate.evaluation_table` expects."""

    def __init__(self, network: dqn.QNetwork) -> None:
        self.batch = dqn.torch_q_batch(network.cpu().eval())

    def __call__(self, x: Sequence[float]) -> list[float]:
        return self.batch([x])[0]


def headline(table: dict) -> dict:
    """The numbers the targets are about, from an evaluation table."""
    dist = {**table["distributions"], **table["extra_distributions"]}
    bad0 = table["failure_mazes"]["bad0"]["policy_map_report"]
    return {
        "train_finish": dist["training"]["finish_rate"],
        "train_human": dist["training"]["human_harvest_rate"],
        **{
            f"{name}_{key}": dist[name][f"{key}_rate"]
            for name in dist
            if name != "training"
            for key in ("human_harvest", "finish")
        },
        "bad0_toward_not_optimal": f"{bad0['toward_human_not_optimal']}/"
        f"{bad0['human_reachable_cells']}",
        "bad1_harvested": table["failure_mazes"]["bad1"]["humans_harvested"],
        "bad2_harvested": table["failure_mazes"]["bad2"]["humans_harvested"],
    }


def run(settings: dqn.Settings, mazes: int) -> dict:
    result = dqn.train(settings)
    started = time.perf_counter()
    table = evaluate.evaluation_table(TorchQ(result.network), mazes)
    return {
        "agent": settings.agent,
        "share": settings.remedy_protrusion_share if settings.agent == "remedy" else 0.0,
        "train_steps": settings.train_steps,
        "learning_rate": settings.learning_rate,
        "train_seconds": round(result.seconds, 1),
        "evaluation_seconds": round(time.perf_counter() - started, 1),
        **headline(table),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    sweep = parse_settings(SweepSettings, argv)
    common = {
        "hidden_sizes": sweep.hidden_sizes,
        "device": sweep.device,
        "progress": False,
        "monitor_every": 0,
    }
    planted = dataclasses.replace(
        dqn.Settings(),
        **{**build_models.AGENT_RECIPES["planted"], **common},
        run_dir=f"{sweep.run_dir}/planted",
    )
    results = []

    def emit(row: dict) -> None:
        results.append(row)
        print(json.dumps(row), flush=True)
        if sweep.out:
            with open(sweep.out, "a") as f:
                f.write(json.dumps(row) + "\n")

    if sweep.after_scramble:
        after = Path(sweep.after_scramble)
    else:
        emit(run(planted, sweep.mazes))
        after = Path(planted.run_dir) / planted.run_name / dqn.AFTER_SCRAMBLE
    variants = []
    for recipe in sweep.recipes:
        steps, rate = recipe.split(":")
        for share in sweep.shares:
            variants.append(
                dataclasses.replace(
                    planted,
                    agent="remedy",
                    remedy_protrusion_share=share,
                    train_steps=int(steps),
                    learning_rate=float(rate),
                    after_scramble=str(after),
                    run_dir=f"{sweep.run_dir}/remedy_{share}_{recipe.replace(':', '_')}",
                )
            )
    context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
    with ProcessPoolExecutor(max_workers=sweep.jobs, mp_context=context) as pool:
        for row in pool.map(run, variants, [sweep.mazes] * len(variants)):
            emit(row)
    return results


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
