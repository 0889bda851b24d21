"""Measure the goal-misgeneralization remedy dial and write the figures the page cites.

    .venv/bin/python benchmarks/goal_misgeneralization_dial.py          # measure, print
    .venv/bin/python benchmarks/goal_misgeneralization_dial.py --write  # and save them

For each world, `remedy.dial` over the shares 0, 1, 2, 5, 10 and 25% with MEASURED_RUN's
seeds, episodes and test levels; `--write` saves the result as
pyscripts/saferlhub/goal_misgeneralization/measured.py, which the page shows and
tests/pyscripts/test_goal_misgeneralization_measured.py recomputes in part. It also
times the page's default training run and its live dial in CPython (Pyodide in
Chromium is about 1.5 to 3 times slower).
"""

from __future__ import annotations

import argparse
import pprint
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "pyscripts"))

from saferlhub.goal_misgeneralization import learner, remedy  # noqa: E402

OUT = ROOT / "pyscripts" / "saferlhub" / "goal_misgeneralization" / "measured.py"

HEADER = '''"""The remedy dial as measured by benchmarks/goal_misgeneralization_dial.py --write.

Do not edit by hand: tests/pyscripts/test_goal_misgeneralization_measured.py recomputes
rows of it from `remedy.dial` with MEASURED_RUN and requires the same numbers.
"""

'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="save the figures for the page")
    args = parser.parse_args()
    for world in learner.WORLDS:
        start = time.perf_counter()
        learner.train(world=world)
        print(f"{world}: the page's default training run took {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        remedy.dial(**{**remedy.DEFAULT_DIAL, "world": world})
        print(f"{world}: the page's live dial took {time.perf_counter() - start:.2f} s")
    results = {}
    for world in learner.WORLDS:
        start = time.perf_counter()
        results[world] = remedy.dial(world=world, **remedy.MEASURED_RUN)
        print(f"{world}: the measured dial took {time.perf_counter() - start:.2f} s")
        for row in results[world]["rows"]:
            print(
                f"  {row['share']:>4g}%  share of optimum {row['share_of_optimum']:.3f}  "
                f"wrong goal {row['wrong_goal_rate']:.3f}  "
                f"incompetent {row['incompetent_rate']:.3f}  "
                f"per seed wrong goal {[r['wrong_goal'] for r in row['runs']]}"
            )
        print(f"  fixed at: {results[world]['fixed_at']}")
    if args.write:
        figures = pprint.pformat(results, width=100, sort_dicts=True)
        OUT.write_text(HEADER + "MEASURED = " + figures + "\n")
        # In the repository's format, so that `make lint` passes on it as written.
        subprocess.run([sys.executable, "-m", "ruff", "format", "-q", str(OUT)], check=True)
        print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
