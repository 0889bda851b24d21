"""Benchmark: the learned reward-hacking lab's default run, in Chromium beside CPython.

`saferlhub.reward_hacking.learned_hacking.learned_hacking_page` with its default
settings (every regime from every seed), as the reasoning-toy page calls it, timed in
the page around the call (Python, its progress events and the JSON to the page; not
the charts' drawing): the first call and the median of REPEATS after it, each beside
the same call in this CPython, taking turns so that both see the same load.
Goals (issue 21): under 10 s in Chromium, under about 4 s in CPython.
"""

from __future__ import annotations

import statistics
import time

from playwright.sync_api import sync_playwright

from benchmarks.gridworld_throughput import Browser
from saferlhub.reward_hacking.learned_hacking import learned_hacking_page
from tests.e2e.harness import site_server

REPEATS = 2
GOAL_CHROMIUM_S = 10.0
GOAL_CPYTHON_S = 4.0
PATH = "saferlhub.reward_hacking.learned_hacking.learned_hacking_page"


def chromium_seconds(browser: Browser) -> float:
    return browser.page.evaluate(
        """async (path) => {
            const start = performance.now();
            await window.saferlhub.python.call(path, {}, { onProgress: () => {} });
            return (performance.now() - start) / 1000;
        }""",
        PATH,
    )


def cpython_seconds() -> float:
    start = time.perf_counter()
    learned_hacking_page(progress=lambda event: False)
    return time.perf_counter() - start


def run() -> dict:
    with site_server() as server, sync_playwright() as playwright:
        browser = Browser(playwright, server.url)
        try:
            first = (chromium_seconds(browser), cpython_seconds())
            chromium_s, cpython_s = [], []
            for _ in range(REPEATS):
                chromium_s.append(chromium_seconds(browser))
                cpython_s.append(cpython_seconds())
        finally:
            browser.close()
    result = {
        "repeats": REPEATS,
        "chromium_first_s": round(first[0], 3),
        "cpython_first_s": round(first[1], 3),
        "chromium_s": round(statistics.median(chromium_s), 3),
        "cpython_s": round(statistics.median(cpython_s), 3),
    }
    result["goal_chromium_met"] = max(first[0], *chromium_s) < GOAL_CHROMIUM_S
    result["goal_cpython_met"] = max(first[1], *cpython_s) < GOAL_CPYTHON_S
    print(f"The learned lab's default run (first call; then median of {REPEATS})")
    print(
        f"  Chromium {result['chromium_first_s']:6.2f} s, {result['chromium_s']:6.2f} s   "
        f"CPython {result['cpython_first_s']:6.2f} s, {result['cpython_s']:6.2f} s   "
        f"ratio {result['chromium_s'] / result['cpython_s']:4.2f}x   "
        f"goals (< {GOAL_CHROMIUM_S:g} s, < {GOAL_CPYTHON_S:g} s): "
        f"{'met' if result['goal_chromium_met'] else 'NOT met'}, "
        f"{'met' if result['goal_cpython_met'] else 'NOT met'}"
    )
    return result


if __name__ == "__main__":
    run()
