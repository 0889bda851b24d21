"""Benchmark: Blackjack training throughput, in the browser and in CPython.

In one run:
- the `saferlhub` learner inside Pyodide in headless Chromium (through the site's
  own worker, as the page calls it), on the default preset (100,000 hands);
- the same code in CPython;
- the reference: the textbook loop a learner would otherwise write (Gymnasium's
  Blackjack-v1 with a dict Q-table, as in Gymnasium's Blackjack tutorial), in CPython.
Also the exact gap to the optimal policy of the default and "converge" presets.
Goals: browser >= 2x the Gymnasium loop's throughput; default preset < 2 s in the
browser; default gap <= 0.01; converge gap <= 0.002.
"""

from __future__ import annotations

import time
from collections import defaultdict

import gymnasium as gym
import numpy as np
from playwright.sync_api import sync_playwright

from saferlhub.blackjack.learners import train
from tests.e2e.harness import CHROMIUM_ARGS, find_chromium, site_server

EPISODES = 100_000


def gymnasium_tutorial_loop(episodes: int, seed: int = 0) -> float:
    """Gymnasium's Blackjack tutorial agent (Q-learning, dict Q-table); returns seconds."""
    env = gym.make("Blackjack-v1", sab=False)
    rng = np.random.default_rng(seed)
    q = defaultdict(lambda: np.zeros(2))
    lr, gamma, epsilon, final_epsilon = 0.01, 1.0, 1.0, 0.1
    decay = epsilon / (episodes / 2)
    start = time.perf_counter()
    obs, _ = env.reset(seed=seed)
    for _ in range(episodes):
        obs, _ = env.reset()
        done = False
        while not done:
            if rng.random() < epsilon:
                action = int(rng.integers(2))
            else:
                action = int(np.argmax(q[obs]))
            next_obs, reward, terminated, truncated, _ = env.step(action)
            future = (not terminated) * np.max(q[next_obs])
            q[obs][action] += lr * (reward + gamma * future - q[obs][action])
            done = terminated or truncated
            obs = next_obs
        epsilon = max(final_epsilon, epsilon - decay)
    return time.perf_counter() - start


def browser_seconds(preset: str) -> tuple[float, dict]:
    with site_server() as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        page = browser.new_context().new_page()
        page.goto(server.url + "playground/")
        page.wait_for_function("window.saferlhub.python?.info?.readyAt", timeout=120_000)
        measured = page.evaluate(
            """async (preset) => {
                const python = window.saferlhub.python;
                await python.call("saferlhub.blackjack.learners.train", {settings: "quick look"});
                const start = performance.now();
                const result = await python.call("saferlhub.blackjack.learners.train",
                                                 {settings: preset});
                return {ms: performance.now() - start, gap: result.gap};
            }""",
            preset,
        )
        browser.close()
    return measured["ms"] / 1000, measured


def run() -> dict:
    browser_s, browser_result = browser_seconds("default")
    start = time.perf_counter()
    cpython_result = train("default")
    cpython_s = time.perf_counter() - start
    gymnasium_s = gymnasium_tutorial_loop(EPISODES)
    converge = train("converge to optimal")
    result = {
        "episodes": EPISODES,
        "browser_s": round(browser_s, 3),
        "cpython_s": round(cpython_s, 3),
        "gymnasium_loop_s": round(gymnasium_s, 3),
        "browser_vs_gymnasium": round(gymnasium_s / browser_s, 2),
        "default_gap": browser_result["gap"],
        "default_gap_cpython": cpython_result["gap"],
        "converge_gap": converge["gap"],
        "converge_episodes": converge["episodes_done"],
    }
    rate = EPISODES / 1000
    print(f"Blackjack Q-learning, default preset ({EPISODES:,} hands), hands per second")
    print(f"  saferlhub in Pyodide (Chromium)   {rate / browser_s:8.0f}k/s   {browser_s:6.2f} s")
    print(f"  saferlhub in CPython              {rate / cpython_s:8.0f}k/s   {cpython_s:6.2f} s")
    print(
        f"  Gymnasium tutorial loop, CPython  {rate / gymnasium_s:8.0f}k/s   {gymnasium_s:6.2f} s"
    )
    ratio = result["browser_vs_gymnasium"]
    print(f"  browser / Gymnasium loop         {ratio:8.2f}x   goal >= 2x: {_met(ratio >= 2)}")
    print(
        f"  default preset in the browser     {browser_s:8.2f} s    "
        f"goal < 2 s: {_met(browser_s < 2)}"
    )
    gap = result["default_gap"]
    print(f"  default preset exact gap          {gap:8.4f}     goal <= 0.01: {_met(gap <= 0.01)}")
    gap = result["converge_gap"]
    print(f"  converge preset exact gap         {gap:8.4f}     goal <= 0.002: {_met(gap <= 0.002)}")
    return result


def _met(ok: bool) -> str:
    return "met" if ok else "NOT met"
