"""The goal-misgeneralization page: a tiny training run from the keyboard, its chart and
text alternative, the committed measurement drawn, the live dial stopped, 390 px."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from saferlhub.goal_misgeneralization.learner import train
from tests.e2e.a11y import axe_violations, blocking, overflow
from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew


@pytest.fixture
def lab(page, site_url):
    visit(page, site_url + "maze/unplanted/")
    root = page.locator('[data-python="gm-lab"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    return root


def test_a_tiny_run_trains_draws_its_chart_and_agrees_with_cpython(lab, page):
    lab.locator("#gm-episodes").fill("40")
    lab.locator("#gm-test_share").select_option("25")
    lab.locator("#gm-seed").fill("2")
    lab.locator(".gm-train").focus()
    page.keyboard.press("Enter")
    expect(lab).to_have_attribute("data-state", "done", timeout=60_000)
    # The same run in CPython: the page shows the very same test results.
    test = train(world="coin", episodes=40, test_share=25, seed=2)["test"]
    summary = lab.locator(".gm-summary")
    expect(summary).to_have_attribute("data-wrong-goal", str(test["wrong_goal"]))
    expect(summary).to_contain_text(
        f"{test['optimal']} optimal, {test['wrong_goal']} lost to the wrong goal, "
        f"{test['incompetent']} lost to wandering"
    )
    # The chart has its text alternative: caption, summary and a data table.
    figure = lab.locator("figure.saferlhub-chart").first
    expect(figure.locator("figcaption")).to_contain_text("The greedy agent on the test levels")
    expect(lab.locator(".saferlhub-chart__summary").first).not_to_have_text("No data yet.")
    figure.locator(".saferlhub-chart__data summary").click()
    expect(figure.locator(".saferlhub-chart__numbers tbody tr")).to_have_count(10)
    # Test episodes drawn, each with its rows as text for a screen reader.
    expect(lab.locator(".gm-episodes .rh-figure").first).to_be_visible()
    expect(lab.locator(".gm-episodes .rh-sr-only").first).to_contain_text("Rows: ")
    found = blocking(axe_violations(page, '[data-python="gm-lab"]'))
    assert not found, found


def test_the_measurement_is_drawn_and_the_live_dial_stops(lab, page):
    for world in ("coin", "keys"):
        host = page.locator(f'[data-gm-measured="{world}"]')
        expect(host).to_have_attribute("data-state", "done")
        expect(host.locator("table.gm-measured tbody tr")).to_have_count(6)
    expect(
        page.locator('[data-gm-measured="coin"] table.gm-measured tbody tr').last
    ).to_contain_text("10 of 10")
    lab.locator(".gm-dial-run").click()
    status = lab.locator(".gm-dial-status")
    # Each agent takes a fraction of a second: any count will do, the dial goes on for seconds.
    expect(status).to_contain_text(re.compile(r"Trained \d+ of 18 agents"), timeout=60_000)
    lab.locator(".gm-stop").click()
    expect(lab.locator(".gm-dial")).to_have_attribute("data-dial", "stopped", timeout=30_000)
    expect(lab).to_have_attribute("data-state", "stopped")
    expect(lab.locator(".gm-train")).not_to_have_attribute("aria-disabled", "true")


def test_the_page_fits_a_phone(page, site_url):
    page.set_viewport_size({"width": 390, "height": 844})
    visit(page, site_url + "maze/unplanted/")
    root = page.locator('[data-python="gm-lab"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    root.locator("#gm-episodes").fill("20")
    root.locator(".gm-train").click()
    expect(root).to_have_attribute("data-state", "done", timeout=60_000)
    page.evaluate("document.querySelectorAll('article details').forEach((d) => (d.open = true))")
    page.wait_for_timeout(200)
    found = overflow(page)
    assert found["scrollWidth"] <= found["clientWidth"], found
    assert not found["outside"], found
