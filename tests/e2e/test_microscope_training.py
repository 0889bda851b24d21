"""The microscope pages "Probes" and "Over training" in Chromium: onnxruntime-web in the page
and onnxruntime in CPython, driving the same steppers (saferlhub.maze.microscope_training),
give the same numbers; each page draws them, worded findings and all; a tiny run, a refused
setting and Stop; the slider from the keyboard. Prints each default run's time in Chromium
beside the same run in CPython (the figures make bench reports)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew

MODELS = Path(__file__).resolve().parents[2] / "models"
TIMEOUT = 3 * PYTHON_READY_TIMEOUT_MS
# float32 sums in another order (onnxruntime-web against onnxruntime's CPU provider)
FLOAT_TOLERANCE = 1e-4


def card(agent):
    return json.loads((MODELS / agent / "model_card.json").read_text())


def cpython(stepper):
    pytest.importorskip("onnxruntime")
    from export.interp_runtime import onnx_network
    from saferlhub.maze.network_calls import drive

    t0 = time.perf_counter()
    result = drive(stepper, onnx_network(MODELS))
    return json.loads(json.dumps(result)), time.perf_counter() - t0


def close(ours, theirs, path="result"):
    """Equal JSON, floats within FLOAT_TOLERANCE."""
    if isinstance(theirs, dict):
        assert set(ours) == set(theirs), path
        for key in theirs:
            close(ours[key], theirs[key], f"{path}.{key}")
    elif isinstance(theirs, list):
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            close(a, b, f"{path}[{i}]")
    elif isinstance(theirs, float) and not isinstance(ours, bool):
        assert ours == pytest.approx(theirs, rel=FLOAT_TOLERANCE, abs=FLOAT_TOLERANCE), path
    else:
        assert ours == theirs, path


def seconds(shown):
    """A page run's time, and where it went (Python's turns, onnxruntime-web's calls)."""
    timing = shown["timing"]
    return (
        f"{shown['ms'] / 1000:.2f} s (Python {timing['pythonMs'] / 1000:.2f} s, "
        f"networks {timing['networkMs'] / 1000:.2f} s)"
    )


def open_page(page, site_url, path, name):
    visit(page, site_url + f"maze/{path}/")
    root = page.locator(f'[data-python="{name}"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    return root


def test_probes_page_gives_cpythons_probes_and_says_what_they_show(page, site_url):
    from saferlhub.maze.microscope_training import ProbeRun

    lab = open_page(page, site_url, "microscope-probes", "maze-probes")
    shown = page.evaluate("window.saferlhubMicroscopeTraining.lastProbes")
    assert shown["args"] == {"agent": "planted", "concept": "protrusion", "count": 300, "epochs": 4}
    expected, cpython_s = cpython(ProbeRun(card("planted"), "protrusion").steps())
    close(shown["result"], expected)
    print(f"\nprobes default run: Chromium {seconds(shown)}, CPython {cpython_s:.2f} s")
    # Drawn: the chart (three variants on four layers), its data table, the findings, the table.
    expect(lab.locator(".maze-intervals__plot")).to_have_count(1)
    expect(lab.locator(".saferlhub-chart__summary")).to_contain_text("hidden.3")
    for sentence in expected["findings"]:
        expect(lab.locator(".microscope__findings")).to_contain_text(sentence)
    expect(lab.locator(".probes__table tbody tr")).to_have_count(4)
    lab.locator(".saferlhub-chart__data summary").click()  # the chart's data table, named
    expect(lab.locator(".saferlhub-chart__numbers thead")).to_contain_text("test states")
    expect(lab.locator(".saferlhub-chart__numbers tbody tr")).to_have_count(12)
    # A tiny run from the keyboard adds four rows for another agent and concept.
    lab.locator("#probes-agent").select_option("natural")
    lab.locator("#probes-concept").select_option("crop_adjacent")
    lab.locator("#probes-states").fill("80")
    lab.locator("#probes-epochs").fill("1")
    lab.get_by_role("button", name="Train probes").focus()
    page.keyboard.press("Enter")
    expect(lab.locator(".probes__table tbody tr")).to_have_count(8, timeout=TIMEOUT)
    expect(lab.locator(".maze-lab__message")).to_contain_text("natural, a crop next to the agent")
    tiny = page.evaluate("window.saferlhubMicroscopeTraining.lastProbes.result")
    expected, _ = cpython(ProbeRun(card("natural"), "crop_adjacent", count=80, epochs=1).steps())
    close(tiny, expected)
    # A refused setting says why and keeps the focus on it.
    lab.locator("#probes-states").fill("5")
    lab.get_by_role("button", name="Train probes").click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("States must be")
    expect(lab.locator("#probes-states")).to_be_focused()
    # Stop between two probes: the last results stay.
    lab.locator("#probes-states").fill("600")
    lab.locator("#probes-epochs").fill("8")
    lab.get_by_role("button", name="Train probes").click()
    expect(lab).to_have_attribute("data-state", "running")
    lab.get_by_role("button", name="Stop").click()
    expect(lab).to_have_attribute("data-state", "stopped", timeout=TIMEOUT)
    expect(lab.locator(".maze-lab__message")).to_contain_text("Stopped")
    expect(lab.locator(".probes__table tbody tr")).to_have_count(8)


def test_over_training_page_gives_cpythons_checkpoints_and_the_slider_walks_them(page, site_url):
    from saferlhub.maze.microscope_training import TrainingRun

    lab = open_page(page, site_url, "microscope-training", "maze-over-training")
    shown = page.evaluate("window.saferlhubMicroscopeTraining.lastTraining")
    agents = ["natural", "planted", "remedy"]
    assert shown["args"] == {"agents": agents, "mazes": 50, "probe": None}
    expected, cpython_s = cpython(TrainingRun({a: card(a) for a in agents}).steps())
    close(shown["result"], expected)
    print(f"\nover training default run: Chromium {seconds(shown)}, CPython {cpython_s:.2f} s")
    for sentence in expected["findings"]:
        expect(lab.locator(".microscope__findings")).to_contain_text(sentence)
    rows = sum(len(expected["agents"][a]["rows"]) for a in agents)
    expect(lab.locator(".training__table tbody tr")).to_have_count(rows)
    expect(lab.locator(".saferlhub-chart__summary >> nth=0")).not_to_have_text("No data yet.")
    # The slider from the keyboard: Home is the first checkpoint of any agent.
    slider = lab.locator("#training-step")
    slider.focus()
    page.keyboard.press("Home")
    expect(lab.locator(".training__at")).to_contain_text("Step 3,000: natural at its step 3000")
    expect(lab.locator(".training__at")).to_contain_text("planted: no checkpoint yet")
    page.keyboard.press("ArrowRight")
    expect(lab.locator(".training__at")).to_contain_text("planted at its step 3160 (plant phase)")
    at = lab.locator('.maze-intervals[data-metric="training-at"] .saferlhub-chart__summary')
    first = expected["agents"]["planted"]["rows"][0]["protrusion_human_rate"]
    expect(at).to_contain_text(f"planted {100 * first:.1f}%")
    # A tiny run with a probe per checkpoint: one agent, ten mazes.
    for agent in ("planted", "remedy"):
        lab.locator(f"#training-agent-{agent}").uncheck()
    lab.locator("#training-mazes").fill("10")
    lab.locator("#training-probe").select_option("protrusion")
    lab.get_by_role("button", name="Run the checkpoints").click()
    expect(lab.locator(".training__table tbody tr")).to_have_count(10, timeout=TIMEOUT)
    expect(lab.locator(".training__table thead")).to_contain_text("probe: protrusion on hidden.1")
    tiny = page.evaluate("window.saferlhubMicroscopeTraining.lastTraining.result")
    probe = ["protrusion", "hidden.1"]
    expected, _ = cpython(TrainingRun({"natural": card("natural")}, mazes=10, probe=probe).steps())
    close(tiny, expected)
    # No agent is refused; Stop ends a run between two rounds.
    lab.locator("#training-agent-natural").uncheck()
    lab.get_by_role("button", name="Run the checkpoints").click()
    expect(lab.locator(".maze-lab__message")).to_contain_text("Choose at least one agent")
    lab.locator("#training-agent-remedy").check()
    lab.locator("#training-mazes").fill("200")
    lab.get_by_role("button", name="Run the checkpoints").click()
    expect(lab).to_have_attribute("data-state", "running")
    lab.get_by_role("button", name="Stop").click()
    expect(lab).to_have_attribute("data-state", "stopped", timeout=TIMEOUT)
    expect(lab.locator(".training__table tbody tr")).to_have_count(10)
