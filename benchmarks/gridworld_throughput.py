"""Benchmark: Q-learning on the reward-hacking levels, in the browser and in CPython.

In one run:
- `saferlhub.gridworlds.learners.train` on the boat race (default preset: 500
  episodes of 100 steps) inside Pyodide in headless Chromium, through the site's
  own worker, and the same call in CPython: the ratio is the figure to read;
- each level's default preset as the page runs it (`page.train_page`: training,
  exact scoring at every checkpoint, the replay), in the browser.
Goals: Pyodide within 2x of CPython; each level's default run under 2 s in the browser.
"""

from __future__ import annotations

import time

from playwright.sync_api import sync_playwright

from saferlhub.gridworlds.learners import train
from tests.e2e.harness import CHROMIUM_ARGS, find_chromium, site_server

LEVEL_PRESETS = ("boat race", "tomato watering", "absent supervisor")


def browser_seconds() -> dict:
    with site_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        page.goto(server.url + "playground/")
        page.wait_for_function("window.saferlhub.python?.info?.readyAt", timeout=120_000)
        measured = page.evaluate(
            """async (presets) => {
                const python = window.saferlhub.python;
                const time = async (fn, args) => {
                    const start = performance.now();
                    await python.call(fn, args);
                    return (performance.now() - start) / 1000;
                };
                // Warm up (imports, cached verdicts, the interpreter's caches): one full run.
                await python.call("saferlhub.gridworlds.learners.train",
                                  {settings: "boat race", checkpoints: 1});
                const out = {train: await time("saferlhub.gridworlds.learners.train",
                                               {settings: "boat race", checkpoints: 1})};
                for (const preset of presets) {
                    out[preset] = await time("saferlhub.gridworlds.page.train_page",
                                             {settings: preset});
                }
                return out;
            }""",
            list(LEVEL_PRESETS),
        )
        browser.close()
    return measured


def run() -> dict:
    browser = browser_seconds()
    train("boat race", checkpoints=1)  # warm up, as in the browser
    start = time.perf_counter()
    train("boat race", checkpoints=1)
    cpython_s = time.perf_counter() - start
    ratio = browser["train"] / cpython_s
    result = {
        "boat_race_browser_s": round(browser["train"], 3),
        "boat_race_cpython_s": round(cpython_s, 3),
        "pyodide_vs_cpython": round(ratio, 2),
        "page_default_run_s": {p: round(browser[p], 3) for p in LEVEL_PRESETS},
    }
    steps = 500 * 100 / 1000
    print("Q-learning on the boat race, default preset (500 episodes x 100 steps)")
    print(
        f"  Pyodide (Chromium)  {steps / browser['train']:8.0f}k steps/s  {browser['train']:6.2f} s"
    )
    print(f"  CPython             {steps / cpython_s:8.0f}k steps/s  {cpython_s:6.2f} s")
    print(f"  Pyodide / CPython   {ratio:8.2f}x   goal <= 2x: {'met' if ratio <= 2 else 'NOT met'}")
    for preset in LEVEL_PRESETS:
        s = browser[preset]
        print(f"  page run, {preset:18s} {s:6.2f} s   goal < 2 s: {'met' if s < 2 else 'NOT met'}")
    return result
