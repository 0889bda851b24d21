"""Benchmark: the page "Goal misgeneralization nobody planted", in Chromium beside CPython.

In one run, with one Chromium and this CPython taking turns (so both see the same
load on a shared machine):
- each world's default training run as the page calls it
  (`saferlhub.goal_misgeneralization.page.train_page`: training, scoring on the test
  levels at every checkpoint, the drawn test episodes, the JSON to the page), timed in
  the page around the call: the first call (what a reader's first Train costs, the
  test levels' optima included) and the median of REPEATS calls after it; the same
  calls in CPython beside them. Goal (issue 20): the default run under 5 s in Chromium;
- each world's live dial as the page runs it (`page.dial_page`: 3 seeds x 6 shares),
  once in each interpreter;
- the measurement the page cites (`remedy.dial` with MEASURED_RUN for both worlds, what
  benchmarks/goal_misgeneralization_dial.py --write saves), recomputed in CPython and
  compared with the committed `measured.MEASURED`: its reference is the committed
  figures, and "same" means every row equal.
"""

from __future__ import annotations

import statistics
import time

from playwright.sync_api import sync_playwright

from benchmarks.gridworld_throughput import Browser
from saferlhub.goal_misgeneralization import learner, page, remedy
from saferlhub.goal_misgeneralization.measured import MEASURED
from tests.e2e.harness import site_server

REPEATS = 3
GOAL_DEFAULT_RUN_S = 5.0


def browser_seconds(browser: Browser, function: str, args: dict) -> float:
    """Seconds the page waits for `saferlhub.goal_misgeneralization.page.<function>`."""
    return browser.page.evaluate(
        """async ([path, args]) => {
            const start = performance.now();
            await window.saferlhub.python.call(path, args);
            return (performance.now() - start) / 1000;
        }""",
        [f"saferlhub.goal_misgeneralization.page.{function}", args],
    )


def cpython_seconds(function: str, args: dict) -> float:
    start = time.perf_counter()
    getattr(page, function)(**args)
    return time.perf_counter() - start


def _forget_test_sets() -> None:
    """CPython's first call pays for the test levels' optima, as the page's first does."""
    learner._TEST_SETS.clear()


def run() -> dict:
    default_runs, dials = {}, {}
    with site_server() as server, sync_playwright() as playwright:
        browser = Browser(playwright, server.url)
        try:
            for world in learner.WORLDS:
                args = {"settings": {"world": world}}
                _forget_test_sets()
                first = (
                    browser_seconds(browser, "train_page", args),
                    cpython_seconds("train_page", args),
                )
                chromium_s, cpython_s = [], []
                for _ in range(REPEATS):
                    chromium_s.append(browser_seconds(browser, "train_page", args))
                    cpython_s.append(cpython_seconds("train_page", args))
                default_runs[world] = {
                    "chromium_first_s": round(first[0], 3),
                    "cpython_first_s": round(first[1], 3),
                    "chromium_s": round(statistics.median(chromium_s), 3),
                    "cpython_s": round(statistics.median(cpython_s), 3),
                }
                dials[world] = {
                    "chromium_s": round(browser_seconds(browser, "dial_page", {"world": world}), 3),
                    "cpython_s": round(cpython_seconds("dial_page", {"world": world}), 3),
                }
        finally:
            browser.close()

    print(
        "Each world's default training run as the page calls it "
        f"(first call; then median of {REPEATS})"
    )
    for world, r in default_runs.items():
        worst = max(r["chromium_first_s"], r["chromium_s"])
        met = "met" if worst < GOAL_DEFAULT_RUN_S else "NOT met"
        r["goal_chromium_under_5s"] = worst < GOAL_DEFAULT_RUN_S
        print(
            f"  {world:5s} Chromium {r['chromium_first_s']:6.2f} s, {r['chromium_s']:6.2f} s   "
            f"CPython {r['cpython_first_s']:6.2f} s, {r['cpython_s']:6.2f} s   "
            f"ratio {r['chromium_s'] / r['cpython_s']:4.2f}x   goal < 5 s: {met}"
        )
    dial = remedy.DEFAULT_DIAL
    print(
        f"The live dial ({dial['seeds']} seeds x {len(remedy.SHARES)} shares, "
        f"{dial['episodes']} episodes, {dial['test_levels']} test levels), once"
    )
    for world, r in dials.items():
        print(
            f"  {world:5s} Chromium {r['chromium_s']:6.2f} s   CPython {r['cpython_s']:6.2f} s   "
            f"ratio {r['chromium_s'] / r['cpython_s']:4.2f}x"
        )
    result = {"repeats": REPEATS, "default_run": default_runs, "live_dial": dials}
    result["measured"] = recompute_measured()
    return result


def recompute_measured() -> dict:
    """The page's measurement again (CPython), beside the committed figures."""
    out = {}
    print(
        "The measurement the page cites, recomputed in CPython "
        f"({remedy.MEASURED_RUN['seeds']} seeds per share), beside the committed figures"
    )
    for world in learner.WORLDS:
        start = time.perf_counter()
        again = remedy.dial(world=world, **remedy.MEASURED_RUN)
        seconds = time.perf_counter() - start
        committed = MEASURED[world]
        same = again["rows"] == committed["rows"] and again["fixed_at"] == committed["fixed_at"]
        print(f"  {world}: {seconds:.1f} s; the same as committed: {'yes' if same else 'NO'}")
        for row, old in zip(again["rows"], committed["rows"], strict=True):
            print(
                f"    {row['share']:>4g}%  share of optimum {row['share_of_optimum']:.3f} "
                f"(committed {old['share_of_optimum']:.3f})  wrong goal "
                f"{row['wrong_goal_rate']:.3f} (committed {old['wrong_goal_rate']:.3f})"
            )
        print(f"    fixed at {again['fixed_at']} (committed {committed['fixed_at']})")
        out[world] = {
            "seconds": round(seconds, 1),
            "same_as_committed": same,
            "fixed_at": again["fixed_at"],
            "share_of_optimum": {f"{r['share']:g}%": r["share_of_optimum"] for r in again["rows"]},
            "wrong_goal_rate": {f"{r['share']:g}%": r["wrong_goal_rate"] for r in again["rows"]},
        }
    return out
