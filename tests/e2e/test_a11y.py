"""Every page, as every reader meets it: once its interactive parts have rendered (a
quick-look run on the trainer, the loop's worked update, the exploration table, chart
data tables open), it fits a phone (no sideways scroll at 390 and 320 px, nothing cut
off at the right edge, the Python pill a dot in the margin) and axe-core finds no
serious or critical violation at 320 px, nor at 1280 px in light and dark mode, except
the few theme-level ones listed with their reasons in tests/e2e/a11y.py.

One test per page renders the page once and checks it at every width and in both
modes. The tests share a tab (conftest.py, SHARED_TAB) and reach each page as a reader
following a link does, so Python starts once per worker rather than once per page.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import axe_violations, blocking, overflow, render_python_content, site_pages
from tests.e2e.conftest import visit
from tests.e2e.harness import SITE_URL

pytestmark = pytest.mark.e2e
SPREAD_OVER_WORKERS = True  # one independent test per page: share them out (conftest.py)
SHARED_TAB = True

PHONE_WIDTHS = (390, 320)


def check_phone_widths(page, path):
    for width in PHONE_WIDTHS:
        page.set_viewport_size({"width": width, "height": 844})
        page.wait_for_timeout(300)  # charts and grids follow their container's new width
        found = overflow(page)
        assert found["scrollWidth"] <= found["clientWidth"], f"/{path} at {width} px: {found}"
        assert not found["outside"], f"/{path} at {width} px, past the right edge: {found}"
        # The Python pill shrinks to a dot in the page margin instead of covering text.
        pill = page.locator('.saferlhub-status[data-state="ready"]')
        if pill.count() and pill.is_visible():
            box = pill.bounding_box()
            assert box["width"] <= 28 and box["x"] + box["width"] <= width, box
    # A formula that scrolls on a phone must take the focus: axe at the narrowest width.
    return blocking(axe_violations(page))


@pytest.mark.parametrize("path", site_pages(SITE_URL))
def test_page_fits_a_phone_and_passes_axe_in_light_and_dark_mode(page, site_url, path):
    page.set_viewport_size({"width": PHONE_WIDTHS[0], "height": 844})
    visit(page, site_url + path)
    render_python_content(page, path, contrast=True)
    found = {"phone": check_phone_widths(page, path)}
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_timeout(300)
    body = page.locator("body")
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    found["light"] = blocking(axe_violations(page))
    # Material's palette toggle, as a reader switches to dark mode.
    page.locator('label[for="__palette_1"]').click()
    expect(body).to_have_attribute("data-md-color-scheme", "slate")
    page.wait_for_timeout(300)  # the toggle's colour transition
    found["dark"] = blocking(axe_violations(page))
    page.locator('label[for="__palette_0"]').click()  # back to light, as the next page expects
    expect(body).to_have_attribute("data-md-color-scheme", "default")
    assert not any(found.values()), "\n".join(
        f"{mode}: {line}" for mode, lines in found.items() for line in lines
    )
