"""`make bench`: every benchmark, each beside a reference measured in the same run.

Figures are printed and saved to benchmarks/results/latest.json. These machines
are shared and noisy: read the ratios, not the absolute times.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import (  # noqa: E402
    blackjack_throughput,
    goal_misgeneralization,
    gridworld_throughput,
    maze_lab,
    microscope,
    microscope_training,
    python_ready,
    reward_learned,
)

BENCHMARKS = {
    "python_ready": python_ready.run,
    "blackjack_throughput": blackjack_throughput.run,
    "gridworld_throughput": gridworld_throughput.run,
    "maze_lab": maze_lab.run,
    "microscope": microscope.run,
    "microscope_training": microscope_training.run,
    "goal_misgeneralization": goal_misgeneralization.run,
    "reward_learned": reward_learned.run,
}


def main(names: list[str]) -> None:
    selected = names or list(BENCHMARKS)
    unknown = set(selected) - set(BENCHMARKS)
    if unknown:
        sys.exit(f"unknown benchmark(s) {sorted(unknown)}; choose from {sorted(BENCHMARKS)}")
    results = {}
    for name in selected:
        print(f"== {name}")
        results[name] = BENCHMARKS[name]()
        print()
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"saved {out / 'latest.json'}")


if __name__ == "__main__":
    main(sys.argv[1:])
