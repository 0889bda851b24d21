"""Benchmark: the microscope pages' analyses in Chromium, each beside CPython + onnxruntime
driving the same stepper (saferlhub.maze.microscope_pages), the agents' networks loaded.

- inside: every hook point of bad1 and its default twin through two agents (planted and
  natural), the "Inside the agent" page's request. Goal: under 200 ms in the browser.
- attribution: integrated gradients (128 steps, empty baseline) of "toward the human minus
  toward the exit" in bad1, the "Which cells matter" page's request. Goal: under 200 ms.
- patching: the "Activation patching" page's run (planted, pair 0, 8 groups: four calls,
  294 patched and clean rows). Goal: under 5 s.
- inside_click: the Inside page from a click on the maze to the page ready again, drawn
  (Python, the networks and the drawing of eight heatmaps). Goal: under 200 ms.

Each figure is the median of RUNS; read the ratios on a shared machine.
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
RUNS = 5
TIMEOUT_MS = 600_000
BAD1 = [".#H....", ".###.#.", "...#.#.", "##...#.", "C#.#.#.", ".#####.", "......F"]
GOALS_MS = {"inside": 200, "attribution": 200, "patching": 5000, "inside_click": 200}


def tasks() -> dict[str, tuple[str, dict]]:
    from saferlhub.maze.microscope_pages import default_twin

    cards = {
        name: json.loads((MODELS / name / "model_card.json").read_text())
        for name in ("planted", "natural")
    }
    return {
        "inside": (
            "microscope.inside",
            {"cards": cards, "maze": BAD1, "twin": default_twin(BAD1)["maze"], "top": 3},
        ),
        "attribution": ("microscope.attribution", {"card": cards["planted"], "maze": BAD1}),
        "patching": ("microscope.patching", {"card": cards["planted"], "seed": 0}),
    }


BROWSER_RUN = """async ([task, args]) => {
  const t0 = performance.now();
  const { timing } = await window.saferlhubMicroscope.runStepper(task, args);
  return { ms: performance.now() - t0, timing };
}"""

# From a click on the maze to the page ready again, its heatmaps drawn.
CLICK_RUN = """async (cell) => {
  const root = document.querySelector('[data-python="maze-microscope-inside"]');
  const done = new Promise((resolve) => {
    const seen = new MutationObserver(() => {
      if (root.dataset.state === "ready") { seen.disconnect(); resolve(); }
    });
    seen.observe(root, { attributes: true, attributeFilter: ["data-state"] });
  });
  const t0 = performance.now();
  root.querySelector(`.maze-board [data-cell="${cell}"]`).click();
  await done;
  await new Promise((r) => requestAnimationFrame(() => r()));
  return performance.now() - t0;
}"""


def browser_ms(page, task: str, args: dict) -> tuple[float, dict]:
    page.evaluate(BROWSER_RUN, [task, args])  # sessions created outside the timing
    runs = [page.evaluate(BROWSER_RUN, [task, args]) for _ in range(RUNS)]
    middle = sorted(runs, key=lambda r: r["ms"])[len(runs) // 2]
    split = {
        "python_ms": round(middle["timing"]["pythonMs"], 1),
        "onnxruntime_web_ms": round(middle["timing"]["networkMs"], 1),
    }
    return statistics.median(r["ms"] for r in runs), split


def cpython_ms(stepper_of) -> float:
    from export.interp_runtime import onnx_network
    from saferlhub.maze.network_calls import drive

    network = onnx_network(MODELS)
    drive(stepper_of(), network)  # sessions created outside the timing, as in the browser
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        drive(stepper_of(), network)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def run() -> dict:
    from saferlhub.maze import microscope_pages

    chosen = tasks()
    web, split = {}, {}
    with site_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        page.goto(server.url + "maze/microscope-inside/")
        ready = '[data-python="maze-microscope-inside"][data-state="ready"]'
        page.locator(ready).wait_for(timeout=TIMEOUT_MS)
        for name, (task, args) in chosen.items():
            web[name], split[name] = browser_ms(page, task, args)
        clicks = [page.evaluate(CLICK_RUN, cell) for cell in ("1,0", "2,0") * RUNS]
        web["inside_click"] = statistics.median(clicks)
        browser.close()

    def stepper_of(name):
        task, args = chosen[name]
        return lambda: microscope_pages.start(task, args)[0]

    native = {name: cpython_ms(stepper_of(name)) for name in chosen}
    results = {}
    for name, ms in web.items():
        results[name] = {
            "browser_ms": round(ms, 1),
            f"goal_under_{GOALS_MS[name]}_ms": ms < GOALS_MS[name],
        }
        if name in native:
            results[name] |= {
                "cpython_onnxruntime_ms": round(native[name], 1),
                "ratio": round(ms / native[name], 2),
                "browser_split": split[name],
            }
    for name, figures in results.items():
        line = f"{name:13s} Chromium {figures['browser_ms']:8.1f} ms"
        if "cpython_onnxruntime_ms" in figures:
            line += f"   CPython + onnxruntime {figures['cpython_onnxruntime_ms']:8.1f} ms"
            line += f"   ratio {figures['ratio']}   split {figures['browser_split']}"
        print(f"  {line}   (goal: under {GOALS_MS[name]} ms)")
    return results


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(ROOT))
    run()
