"""Benchmark: Q-learning on the reward-hacking levels, in the browser and in CPython.

In one run, with one Chromium and this CPython taking turns (so both see the same
load on a shared machine):
- throughput: `saferlhub.gridworlds.learners.train` on the boat race (the default
  settings, with 2,000 episodes of 100 steps so a run lasts long enough to time),
  timed inside Python by the same snippet in Pyodide (the site's own worker, in
  headless Chromium) and in CPython: after a warm-up in each, REPEATS rounds of one
  Pyodide run then one CPython run; the medians give the ratio, and each round's
  own ratio shows the spread;
- each level's default preset as the page runs it (`page.train_page`: training,
  exact scoring at every checkpoint, the replay, and the JSON to the page), timed in
  the page around the call, after a warm-up: the median of REPEATS runs.
Goals: Pyodide within 2x of CPython; each level's default run under 2 s in the browser.
"""

from __future__ import annotations

import contextlib
import io
import platform
import statistics

from playwright.sync_api import sync_playwright

from tests.e2e.harness import CHROMIUM_ARGS, find_chromium, site_server

LEVEL_PRESETS = ("boat race", "tomato watering", "absent supervisor")
EPISODES = 2_000
REPEATS = 7
# The same snippet runs in both interpreters; it leaves the seconds in `seconds`.
TIMED = f"""
import time
from saferlhub.gridworlds.learners import train
start = time.perf_counter()
train("boat race", episodes={EPISODES}, checkpoints=1)
seconds = time.perf_counter() - start
print(repr(seconds))
"""

VERSION = "import platform\nprint(platform.python_version())"


def cpython_seconds() -> float:
    namespace: dict = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(TIMED, namespace)  # noqa: S102 - our own constant snippet
    return namespace["seconds"]


class Browser:
    """The site's playground page with its Python ready."""

    def __init__(self, playwright, url: str):
        self.browser = playwright.chromium.launch(
            executable_path=find_chromium(), args=CHROMIUM_ARGS
        )
        self.page = self.browser.new_context().new_page()
        self.page.goto(url + "playground/", timeout=180_000)
        self.page.wait_for_function("window.saferlhub.python?.info?.readyAt", timeout=120_000)

    def timed_snippet(self, code: str = TIMED) -> float:
        """Seconds the snippet measured inside Pyodide."""
        return float(self.printed(code).strip().splitlines()[-1])

    def printed(self, code: str) -> str:
        """What `code` prints when run in the page's Pyodide."""
        return self.page.evaluate(
            """async (code) => {
                let out = "";
                const result = await window.saferlhub.python.run(code, {
                    onOutput: (stream, text) => { if (stream === "stdout") out += text; },
                });
                if (!result.ok) throw new Error(result.error);
                return out;
            }""",
            code,
        )

    def page_run(self, preset: str) -> float:
        """Seconds the page waits for `train_page` on a preset (call, run and JSON)."""
        return self.page.evaluate(
            """async (preset) => {
                const start = performance.now();
                await window.saferlhub.python.call("saferlhub.gridworlds.page.train_page",
                                                   {settings: preset});
                return (performance.now() - start) / 1000;
            }""",
            preset,
        )

    def close(self):
        self.browser.close()


def run() -> dict:
    with site_server() as server, sync_playwright() as playwright:
        browser = Browser(playwright, server.url)
        try:
            versions = {
                "pyodide_python": browser.printed(VERSION).strip(),
                "cpython": platform.python_version(),
            }
            browser.timed_snippet()  # warm-up: imports, the cached verdict, the caches
            cpython_seconds()
            pyodide_s, cpython_s = [], []
            for _ in range(REPEATS):
                pyodide_s.append(browser.timed_snippet())
                cpython_s.append(cpython_seconds())
            page_s = {}
            for preset in LEVEL_PRESETS:
                browser.page_run(preset)  # warm-up
                page_s[preset] = statistics.median(browser.page_run(preset) for _ in range(REPEATS))
        finally:
            browser.close()

    pyodide, cpython = statistics.median(pyodide_s), statistics.median(cpython_s)
    ratio = pyodide / cpython
    rounds = sorted(p / c for p, c in zip(pyodide_s, cpython_s, strict=True))
    print(
        f"Q-learning on the boat race, {EPISODES:,} episodes x 100 steps; "
        f"median of {REPEATS} interleaved rounds after a warm-up"
    )
    print(f"  Pyodide (Chromium)  {EPISODES / pyodide:8,.0f} episodes/s  {pyodide:6.3f} s")
    print(f"  CPython             {EPISODES / cpython:8,.0f} episodes/s  {cpython:6.3f} s")
    print(f"  Pyodide / CPython   {ratio:8.2f}x   goal <= 2x: {'met' if ratio <= 2 else 'NOT met'}")
    print(f"  per-round ratios    {', '.join(f'{r:.2f}' for r in rounds)}")
    print(
        f"  (Pyodide runs Python {versions['pyodide_python']}, "
        f"the CPython here is {versions['cpython']})"
    )
    print(f"Each level's default run as the page calls it (median of {REPEATS}, browser)")
    for preset in LEVEL_PRESETS:
        s = page_s[preset]
        print(f"  {preset:18s} {s:6.3f} s   goal < 2 s: {'met' if s < 2 else 'NOT met'}")
    return {
        "episodes": EPISODES,
        "repeats": REPEATS,
        "boat_race_pyodide_s": round(pyodide, 4),
        "boat_race_cpython_s": round(cpython, 4),
        "pyodide_episodes_per_s": round(EPISODES / pyodide),
        "cpython_episodes_per_s": round(EPISODES / cpython),
        "pyodide_vs_cpython": round(ratio, 2),
        "round_ratios": [round(r, 2) for r in rounds],
        **versions,
        "page_default_run_s": {p: round(s, 3) for p, s in page_s.items()},
    }
