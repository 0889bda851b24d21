"""The reward labs' own tables are padded and ruled like the site's other tables (a class
opts a table out of Material's table style, so they need their own)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS

pytestmark = pytest.mark.e2e

CELLS = """table => [...table.querySelectorAll('th, td')].map(cell => {
  const style = getComputedStyle(cell);
  return [parseFloat(style.paddingLeft), parseFloat(style.paddingRight),
          parseFloat(style.paddingTop), style.borderBottomStyle];
})"""


def test_the_train_10_seeds_table_is_padded(page, site_url):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(site_url + "reward-hacking/", wait_until="domcontentloaded")
    lab = page.locator('[data-python="reward-lab"][data-level="boat_race"]')
    expect(lab).to_have_attribute("data-state", "ready", timeout=PYTHON_READY_TIMEOUT_MS)
    lab.get_by_role("button", name="Train 10 seeds").click()
    expect(lab.locator(".rh-seeds__summary")).to_be_visible(timeout=5 * PYTHON_READY_TIMEOUT_MS)
    cells = lab.locator("table.rh-seeds").evaluate(CELLS)
    assert len(cells) == 4 * 11
    for left, right, top, border in cells:
        assert left >= 5 and right >= 5 and top >= 2 and border == "solid", cells
