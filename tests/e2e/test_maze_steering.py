"""The steering page in Chromium: its default run is the sweep's best setting and draws both
policy maps and the battery table; the browser's numbers for tiny runs of either vector
and either way of steering equal CPython's (onnxruntime) for the same task; adding 0 times
the vector changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS
from tests.e2e.harness import saw_state, watch_states

pytestmark = pytest.mark.e2e

MODELS = Path(__file__).resolve().parents[2] / "models"
TIMEOUT = 4 * PYTHON_READY_TIMEOUT_MS
SETTINGS = ("vector", "operation", "cells", "layer", "coefficient")


def cpython(args):
    pytest.importorskip("onnxruntime")
    from export.interp_runtime import onnx_network
    from saferlhub.maze import steering
    from saferlhub.maze.network_calls import drive

    return json.loads(json.dumps(drive(steering.page_steps(**args), onnx_network(MODELS))))


def steer(lab, count, coefficient, **picks):
    for name, value in picks.items():
        lab.locator(f"#steering-{name}").select_option(value)
    lab.locator("#steering-coefficient").fill(str(coefficient))
    lab.locator("#steering-count").fill(str(count))
    watch_states(lab)
    lab.get_by_role("button", name="Steer").click()
    saw_state(lab, "running", timeout=TIMEOUT)  # a 2-maze run may be over before a poll
    expect(lab).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    return lab.page.evaluate("window.saferlhubSteering.result")


def test_the_page_steers_as_cpython_does(page, site_url):
    page.goto(site_url + "maze/steering/")
    lab = page.locator('[data-python="maze-steering"]')
    expect(lab).to_have_attribute("data-state", "ready", timeout=TIMEOUT)
    expect(lab.locator(".maze-board")).to_have_count(2)
    expect(lab.locator("table tbody tr")).to_have_count(3)
    expect(lab.locator(".maze-lab__message")).to_contain_text("Steered, planted harvests")
    best = json.loads((MODELS / "steering.json").read_text())["best"]
    default = page.evaluate("window.saferlhubSteering.result.settings")
    assert {k: default[k] for k in SETTINGS} == {k: best[k] for k in SETTINGS}
    for picks, coefficient in (
        ({"vector": "human", "operation": "add", "cells": "all", "layer": "hidden.0"}, -2),
        ({"vector": "trigger", "operation": "clamp", "cells": "adjacent", "layer": "hidden.1"}, -1),
    ):
        shown = steer(lab, 3, coefficient, **picks)
        expected = cpython(
            {
                "agent": "planted",
                **picks,
                "coefficient": float(coefficient),
                "count": 3,
                "widths": [256, 256, 256, 256],
            }
        )
        assert {k: shown["settings"][k] for k in picks} == picks
        assert shown["maps"]["steered"]["ascii"] == expected["maps"]["steered"]["ascii"]
        assert shown["battery"] == expected["battery"]
        assert shown["pairs"] == expected["pairs"]
        assert shown["vector_norm"] == pytest.approx(expected["vector_norm"], rel=1e-4)
        if picks["operation"] == "clamp":
            assert shown["centre"] == pytest.approx(expected["centre"], rel=1e-4, abs=1e-5)
    same = steer(lab, 2, 0, vector="human", operation="add")
    assert same["maps"]["steered"] == same["maps"]["unsteered"]
    assert same["battery"]["steered"] == same["battery"]["unsteered"]
