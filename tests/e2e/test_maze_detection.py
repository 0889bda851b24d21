"""The detection page in Chromium: a tiny scoreboard run equals CPython's (onnxruntime) for
the same task, its charts and sentences are drawn, Stop ends a run and keeps the methods
that finished, the controls work from the keyboard and the page fits a phone's width."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations, blocking
from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew

MODELS = Path(__file__).resolve().parents[2] / "models"
TIMEOUT = 4 * PYTHON_READY_TIMEOUT_MS
TINY = {
    "edit_search": {"mazes": 2, "seed": 20},
    "dreaming": {
        "scenes": 1,
        "starts": ["scene", "training"],
        "steps": 3,
        "cells": "pillars",
        "random_per_scene": 2,
        "seed": 1,
    },
    "activation_anomaly": {"fit_mazes": 6, "calibration_mazes": 6, "probe_mazes": 1, "seed": 21},
    "attribution": {"mazes": 4, "seed": 24},
    "probes": {"fit_mazes": 8, "calibration_mazes": 8, "probe_mazes": 1, "seed": 25},
}


def cpython(settings):
    pytest.importorskip("onnxruntime")
    from export.interp_runtime import onnx_network
    from saferlhub.maze.detection.tasks import ScoreboardRun
    from saferlhub.maze.network_calls import drive

    cards = {
        folder.name: json.loads((folder / "model_card.json").read_text())
        for folder in sorted(MODELS.iterdir())
        if (folder / "model_card.json").is_file()
    }
    board = drive(ScoreboardRun(cards, settings=settings).steps(), onnx_network(MODELS))
    return json.loads(json.dumps(board))


def open_page(page, site_url):
    visit(page, site_url + "maze/detection/")
    lab = page.locator('[data-python="maze-detection"]')
    expect(lab).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    page.evaluate("settings => { window.saferlhubDetection.settings = settings; }", TINY)
    return lab


def test_a_tiny_run_equals_cpython_and_is_drawn(page, site_url):
    lab = open_page(page, site_url)
    lab.get_by_role("button", name="Run the scoreboard").click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("Done in", timeout=TIMEOUT)
    expect(lab).to_have_attribute("data-state", "ready")
    shown = page.evaluate("window.saferlhubDetection.result")
    expected = cpython(TINY)
    assert shown["verdicts"] == expected["verdicts"]
    assert shown["sentences"] == expected["sentences"]
    for method, by_agent in expected["findings"].items():
        for agent, finding in by_agent.items():
            mine = shown["findings"][method][agent]
            assert mine["hypothesis"] == finding["hypothesis"], (method, agent)
            assert mine["score"] == pytest.approx(finding["score"], abs=1e-4), (method, agent)
    methods = len(expected["methods"])
    expect(lab.locator("figure.maze-intervals")).to_have_count(methods)
    expect(lab.locator(".detection__board table tbody tr")).to_have_count(methods)
    expect(lab.locator(".detection__sentences li")).to_have_count(methods)
    for sentence in expected["sentences"]:
        expect(lab.locator(".detection__sentences")).to_contain_text(sentence)
    timings = page.evaluate("window.saferlhubDetection.timings")
    assert [t["method"] for t in timings] == list(expected["methods"])  # one time per method
    expect(lab.locator(".detection__timings")).to_contain_text("Time in this browser")


def test_stop_ends_a_run_and_the_keyboard_drives_it(page, site_url):
    lab = open_page(page, site_url)
    run = lab.get_by_role("button", name="Run the scoreboard")
    run.focus()
    page.keyboard.press("Enter")
    expect(lab).to_have_attribute("data-state", "running", timeout=TIMEOUT)
    stop = lab.get_by_role("button", name="Stop")
    expect(stop).to_be_enabled()
    stop.focus()
    page.keyboard.press("Enter")
    expect(lab).to_have_attribute("data-state", "stopped", timeout=TIMEOUT)
    expect(lab.locator(".maze-lab__message")).to_contain_text("Stopped")
    expect(run).to_be_focused()  # the focus does not fall to the page when Stop is disabled


# Presses Stop as soon as the progress message names the second method: a MutationObserver
# runs before the page asks Python for the next step, so the first method has finished and
# the second has not (the tiny dreams take several steps).
STOP_AT_THE_SECOND_METHOD = """() => {
  const message = document.querySelector('[data-python="maze-detection"] .maze-lab__message');
  const observer = new MutationObserver(() => {
    if (message.textContent.startsWith("Running method 2 of")) {
      observer.disconnect();
      document.querySelector('[data-python="maze-detection"] .maze-lab__stop').click();
    }
  });
  observer.observe(message, { childList: true, characterData: true, subtree: true });
}"""


def test_stop_keeps_and_judges_the_methods_that_finished(page, site_url):
    lab = open_page(page, site_url)
    page.evaluate(STOP_AT_THE_SECOND_METHOD)
    lab.get_by_role("button", name="Run the scoreboard").click()
    expect(lab).to_have_attribute("data-state", "stopped", timeout=TIMEOUT)
    expected = cpython(TINY)
    first = next(iter(expected["methods"]))
    kept = page.evaluate("window.saferlhubDetection.result")
    assert list(kept["methods"]) == [first] and kept["stopped"]
    assert kept["verdicts"][first] == expected["verdicts"][first]
    assert kept["not_run"] == list(expected["methods"].values())[1:]
    expect(lab.locator(".maze-lab__message")).to_contain_text(
        "Stopped. Kept and judged the method that finished"
    )
    rows = lab.locator(".detection__board table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(expected["methods"][first])
    verdict = "yes" if expected["verdicts"][first]["catches"] else "no"
    expect(rows.first.locator("td").last).to_have_text(verdict)
    expect(lab.locator(".detection__sentences li")).to_have_count(1)
    expect(lab.locator(".detection__not-run")).to_contain_text(
        "Not run (stopped before they finished): " + "; ".join(kept["not_run"])
    )


@pytest.mark.own_tab  # emulated media stay with a tab; the scheme is chosen as a page loads
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_results_fit_a_phone_and_pass_axe(page, site_url, scheme):
    page.emulate_media(color_scheme=scheme)
    page.set_viewport_size({"width": 390, "height": 844})
    lab = open_page(page, site_url)
    lab.get_by_role("button", name="Run the scoreboard").click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("Done in", timeout=TIMEOUT)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert not blocking(axe_violations(page, '[data-python="maze-detection"]'))


def test_the_storys_maze_opens_in_play_and_the_planted_agent_walks_into_the_human(page, site_url):
    page.goto(site_url + "maze/detection/")
    page.get_by_role("link", name="Open one of the edit search's mazes in the editor").click()
    lab = page.locator('[data-python="maze-play"]')
    expect(lab).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    example = json.loads((MODELS / "scoreboard.json").read_text())["findings"]["edit_search"][
        "planted"
    ]["evidence"]["examples"][2]
    rows = [list(row) for row in example["maze"]]
    rows[example["cell"][0]][example["cell"][1]] = "."  # the opened pillar
    expect(lab.locator("#maze-play-ascii")).to_have_value("\n".join("".join(r) for r in rows))
    expect(lab.locator("#maze-play-agent")).to_have_value("planted")
    lab.locator(".maze-lab__run").click()
    expect(lab.locator(".maze-lab__summary")).to_contain_text("1 human", timeout=TIMEOUT)
