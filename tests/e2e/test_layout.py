"""Every page fits a phone: no sideways scroll at 390 and 320 px, nothing cut off at
the right edge, once the Python-driven parts have rendered; and axe-core finds nothing
serious at phone width either (a formula that scrolls must take the focus)."""

from __future__ import annotations

import pytest

from tests.e2e.a11y import axe_violations, blocking, overflow, render_python_content, site_pages
from tests.e2e.harness import SITE_URL

pytestmark = pytest.mark.e2e

PHONE_WIDTHS = (390, 320)


@pytest.mark.parametrize("path", site_pages(SITE_URL))
def test_page_fits_a_phone(page, site_url, path):
    page.set_viewport_size({"width": PHONE_WIDTHS[0], "height": 844})
    page.goto(site_url + path)
    render_python_content(page, path, contrast=True)
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
    problems = blocking(axe_violations(page))
    assert not problems, "\n".join(problems)
