"""The learned reward-hacking lab (reasoning-toy page): a tiny run from the keyboard at
phone width, the sentences and tables it writes, Stop, and a refused setting."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations, blocking, overflow
from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew
PAGE = "reward-hacking/reasoning-toy/"
LAB = '[data-python="reward-learned"]'


@pytest.fixture
def lab(page, site_url):
    page.set_viewport_size({"width": 390, "height": 800})
    visit(page, site_url + PAGE)
    root = page.locator(LAB)
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    return root


def focused(page) -> str:
    return page.evaluate("document.activeElement.id || document.activeElement.className")


def test_a_tiny_run_from_the_keyboard_at_phone_width(lab, page):
    # Before any run, the charts already say what they will show.
    expect(lab.locator(".saferlhub-chart")).to_have_count(4)
    lab.locator("#rhl-seeds").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    assert focused(page) == "rhl-updates"
    page.keyboard.press("Control+A")
    page.keyboard.type("20")
    page.keyboard.press("Tab")  # past the closed "More settings"
    assert page.evaluate("document.activeElement.textContent") == "More settings"
    page.keyboard.press("Tab")
    assert "rh-train" in focused(page)
    page.keyboard.press("Enter")
    expect(lab).to_have_attribute("data-state", "done", timeout=PYTHON_READY_TIMEOUT_MS)
    assert "rh-train" in focused(page)  # the focus stays where the reader was
    for chart in lab.locator(".saferlhub-chart").all():
        assert int(chart.get_attribute("data-points")) >= 2
        expect(chart.locator(".saferlhub-chart__summary")).not_to_have_text("No data yet.")
    # The sentences are Python's, for this run: 2 seeds per regime.
    findings = lab.locator(".rhl-findings li")
    expect(findings).to_have_count(4)
    expect(lab.locator('[data-claim="honest"]')).to_contain_text("of 2 seeds")
    expect(lab.locator(".rhl-results table").first).to_contain_text("grader minus monitor penalty")
    expect(lab.locator(".rhl-examples li, .rhl-results p").first).to_be_visible()
    # Phone width: nothing sideways, nothing cut off, no serious axe violation in the lab.
    page.evaluate(f"document.querySelectorAll('{LAB} details').forEach((d) => (d.open = true))")
    page.wait_for_timeout(200)
    found = overflow(page)
    assert found["scrollWidth"] <= found["clientWidth"] and not found["outside"], found
    assert not blocking(axe_violations(page, LAB))


def test_stop_keeps_the_curves_so_far(lab, page):
    lab.locator(".rh-train").click()
    expect(lab.locator(".saferlhub-chart").first).not_to_have_attribute(
        "data-points", "0", timeout=PYTHON_READY_TIMEOUT_MS
    )
    lab.locator(".rh-stop").click()
    expect(lab).to_have_attribute("data-state", "stopped", timeout=30_000)
    expect(lab.locator(".rh-status")).to_contain_text("Stopped")
    assert int(lab.locator(".saferlhub-chart").first.get_attribute("data-points")) >= 1
    # A fresh Python serves the next run.
    lab.locator("#rhl-seeds").fill("1")
    lab.locator("#rhl-updates").fill("5")
    lab.locator(".rh-train").click()
    expect(lab).to_have_attribute("data-state", "done", timeout=PYTHON_READY_TIMEOUT_MS)


def test_a_bad_setting_is_refused_where_it_was_typed(lab, page):
    lab.locator("#rhl-seeds").fill("0")
    lab.locator(".rh-train").click()
    expect(lab).to_have_attribute("data-state", "invalid", timeout=PYTHON_READY_TIMEOUT_MS)
    expect(lab.locator('[data-setting="seeds"] .rh-field__error')).to_contain_text("Seeds")
    expect(lab.locator("#rhl-seeds")).to_have_attribute("aria-invalid", "true")
    assert focused(page) == "rhl-seeds"
    # An empty field is refused as empty, with what to enter.
    lab.locator("#rhl-seeds").fill("")
    lab.locator(".rh-train").click()
    expect(lab.locator('[data-setting="seeds"] .rh-field__error')).to_have_text(
        "Seeds is empty: enter a number from 1 to 50.", timeout=PYTHON_READY_TIMEOUT_MS
    )


def test_a_refused_setting_under_more_settings_opens_them(lab, page):
    lab.locator(".rh-more summary").click()
    lab.locator("#rhl-give_away_logit").fill("20")
    lab.locator(".rh-more summary").click()  # closed again before Train
    lab.locator(".rh-train").click()
    expect(lab).to_have_attribute("data-state", "invalid", timeout=PYTHON_READY_TIMEOUT_MS)
    expect(lab.locator(".rh-more")).to_have_attribute("open", "")
    expect(lab.locator('[data-setting="give_away_logit"] .rh-field__error')).to_contain_text(
        "Give-away words at the start"
    )
    assert focused(page) == "rhl-give_away_logit"
