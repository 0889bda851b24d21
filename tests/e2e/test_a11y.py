"""axe-core on every page, in light and dark mode, with the interactive parts rendered
(a quick-look run on the trainer, the loop's worked update, the exploration table,
chart data tables open). Any serious or critical violation fails, except the few
theme-level ones listed with their reasons in tests/e2e/a11y.py."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations, blocking, render_python_content, site_pages
from tests.e2e.harness import SITE_URL

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("path", site_pages(SITE_URL))
def test_no_serious_axe_violations_in_light_and_dark_mode(page, site_url, path):
    page.goto(site_url + path)
    render_python_content(page, path, contrast=True)
    body = page.locator("body")
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    found = {"light": blocking(axe_violations(page))}
    # Material's palette toggle, as a reader switches to dark mode.
    page.locator('label[for="__palette_1"]').click()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    page.wait_for_timeout(300)  # the toggle's colour transition
    found["dark"] = blocking(axe_violations(page))
    assert not found["light"] and not found["dark"], "\n".join(
        f"{mode}: {line}" for mode, lines in found.items() for line in lines
    )
