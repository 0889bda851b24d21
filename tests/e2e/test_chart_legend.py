"""Chart legends tell every series apart: each legend entry is a stretch of its series'
line (colour, width, dash), no two alike on a chart, and each opaque swatch has at least
3:1 contrast against the page in light and dark mode (WCAG 1.4.11)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS, visit

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew

SWATCHES = """figure => [...figure.querySelectorAll('.u-legend .u-series')].map(row => {
  const line = row.querySelector('svg.saferlhub-chart__swatch line');
  if (!line) return null;
  return {label: row.querySelector('.u-label').textContent,
          stroke: line.getAttribute('stroke'), width: line.getAttribute('stroke-width'),
          dash: line.getAttribute('stroke-dasharray') || 'solid'};
})"""

CONTRAST = """([stroke]) => {
  const probe = document.createElement('span');
  document.body.append(probe);
  const rgb = c => { probe.style.color = ''; probe.style.color = c;
    return getComputedStyle(probe).color.match(/[\\d.]+/g).map(Number); };
  const bg = rgb(getComputedStyle(document.body).getPropertyValue('--md-default-bg-color').trim());
  const fg = rgb(stroke);
  probe.remove();
  if (fg.length > 3 && fg[3] < 1) return null;  // a faded "previous run" line
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}"""


def check_legends(page, figures):
    for scheme in ("default", "slate"):
        page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
        for i in range(figures.count()):
            swatches = figures.nth(i).evaluate(SWATCHES)
            assert swatches and None not in swatches, swatches
            looks = [(s["stroke"], s["width"], s["dash"]) for s in swatches]
            assert len(set(looks)) == len(looks), (scheme, swatches)
            for s in swatches:
                ratio = page.evaluate(CONTRAST, [s["stroke"]])
                assert ratio is None or ratio >= 3, (scheme, s, ratio)


def test_the_reward_labs_legends_tell_their_series_apart(page, site_url):
    visit(page, site_url + "reward-hacking/")
    root = page.locator('[data-python="reward-lab"][data-level="boat_race"]')
    expect(root).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    figures = page.locator('[data-python="reward-lab"] figure.saferlhub-chart')
    assert figures.count() >= 1
    check_legends(page, figures)


def test_the_dreaming_restarts_legend_tells_restarts_apart(page, site_url):
    visit(page, site_url + "maze/dreaming/")
    lab = page.locator('[data-python="maze-dream"]')
    expect(lab).to_have_attribute("data-state", "ready", timeout=3 * PYTHON_READY_TIMEOUT_MS)
    lab.locator("#maze-dream-steps").fill("3")
    lab.locator("#maze-dream-restarts").fill("8")
    lab.get_by_role("button", name="Dream").click()
    expect(lab.locator(".maze-dream__pooled")).not_to_be_empty(timeout=3 * PYTHON_READY_TIMEOUT_MS)
    figures = lab.locator("figure.saferlhub-chart")
    expect(figures.locator(".u-legend .u-series")).to_have_count(8)
    check_legends(page, figures)
