"""Benchmark: the microscope pages "Probes" and "Over training", each default run in Chromium
beside CPython + onnxruntime driving the same stepper (saferlhub.maze.microscope_training).

- probes: the page's run on load (planted, a one-block protrusion, 300 states, 4 epochs:
  two network calls, then 12 probes trained in Python). Goal: under 5 s.
- training: the page's run on load (every checkpoint of the three agents on 50 training and
  50 protrusion mazes; 23 networks, the shared ones once). Goal: under 5 s.

Each is measured as a reader meets it: the first run on the page (the page's own run on
load, with the networks' loading and, for the checkpoints, their download), then the median
of RUNS more clicks of the page's button. CPython: the first run with fresh sessions, then
the median of RUNS. Read the ratios on a shared machine.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.e2e.harness import CHROMIUM_ARGS, find_chromium, site_server

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
RUNS = 2
TIMEOUT_MS = 600_000
GOAL_MS = 5000
# name -> (page, its root's data-python, its run button, where the page keeps its last run)
PAGES = {
    "probes": ("microscope-probes", "maze-probes", "Train probes", "lastProbes"),
    "training": (
        "microscope-training",
        "maze-over-training",
        "Run the checkpoints",
        "lastTraining",
    ),
}


def browser_runs(page, url: str, name: str) -> list[dict]:
    path, root_name, button, key = PAGES[name]
    page.goto(url + f"maze/{path}/")
    ready = f'[data-python="{root_name}"][data-state="ready"]'
    page.locator(ready).wait_for(timeout=TIMEOUT_MS)
    runs = [page.evaluate(f"window.saferlhubMicroscopeTraining.{key}")]
    root = page.locator(f'[data-python="{root_name}"]')
    for _ in range(RUNS):
        root.get_by_role("button", name=button).click()
        page.locator(f'[data-python="{root_name}"][data-state="running"]').wait_for()
        page.locator(ready).wait_for(timeout=TIMEOUT_MS)
        runs.append(page.evaluate(f"window.saferlhubMicroscopeTraining.{key}"))
    return runs


def cpython_runs(stepper_of) -> list[float]:
    from export.interp_runtime import onnx_network
    from saferlhub.maze.network_calls import drive

    network = onnx_network(MODELS)  # the first run creates its sessions, as the page's does
    times = []
    for _ in range(1 + RUNS):
        start = time.perf_counter()
        drive(stepper_of(), network)
        times.append((time.perf_counter() - start) * 1000)
    return times


def run() -> dict:
    from saferlhub.maze.microscope_training import ProbeRun, TrainingRun

    cards = {
        name: json.loads((MODELS / name / "model_card.json").read_text())
        for name in ("natural", "planted", "remedy")
    }
    steppers = {
        "probes": lambda: ProbeRun(cards["planted"]).steps(),
        "training": lambda: TrainingRun(cards).steps(),
    }
    web = {}
    with site_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_context(service_workers="block").new_page()
        for name in PAGES:
            web[name] = browser_runs(page, server.url, name)
        browser.close()
    results = {}
    for name, runs in web.items():
        native = cpython_runs(steppers[name])
        again = statistics.median(r["ms"] for r in runs[1:])
        native_again = statistics.median(native[1:])
        results[name] = {
            "browser_first_ms": round(runs[0]["ms"], 1),
            "browser_median_ms": round(again, 1),
            "browser_first_split": {
                "python_ms": round(runs[0]["timing"]["pythonMs"], 1),
                "onnxruntime_web_ms": round(runs[0]["timing"]["networkMs"], 1),
            },
            "cpython_onnxruntime_first_ms": round(native[0], 1),
            "cpython_onnxruntime_median_ms": round(native_again, 1),
            "ratio": round(again / native_again, 2),
            f"goal_under_{GOAL_MS}_ms": runs[0]["ms"] < GOAL_MS and again < GOAL_MS,
        }
        f = results[name]
        print(
            f"  {name:9s} Chromium first {f['browser_first_ms']:8.1f} ms, median "
            f"{f['browser_median_ms']:8.1f} ms   CPython + onnxruntime first "
            f"{f['cpython_onnxruntime_first_ms']:8.1f} ms, median "
            f"{f['cpython_onnxruntime_median_ms']:8.1f} ms   ratio {f['ratio']}   "
            f"first split {f['browser_first_split']}   (goal: under {GOAL_MS} ms)"
        )
    return results


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    run()
