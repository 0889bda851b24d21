"""A visible focus ring on every kind of form control, in light and dark mode.

Material resets form elements, and the audit found sliders, checkboxes, radios and
number fields with no visible focus on the maze lab, the reward labs and the quiz
(only the Blackjack trainer had one). docs/css/saferlhub.css draws one ring site
wide; here each kind of control on those pages is focused from the keyboard and its
outline measured: solid, at least 2 px, and at least 3:1 against the page (WCAG
2.2's focus appearance asks 3:1 of the ring's colour change).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.a11y import PYTHON_TIMEOUT_MS
from tests.e2e.conftest import visit, wait_for_python

pytestmark = pytest.mark.e2e
SHARED_TAB = True  # one tab, Python started once (conftest.py); page.goto starts it anew

PAGES = [
    "maze/play/",
    "maze/ood/",
    "maze/dreaming/",
    "reward-hacking/",
    "learn/quiz/",
    "blackjack/train/",
]

# For the first visible control of each kind: focus it as the keyboard would, and
# measure its outline and the contrast of its colour with the page's background.
MEASURE_RINGS = """() => {
    const luminance = (color) => {
        const [r, g, b] = color.match(/[\\d.]+/g).slice(0, 3).map((v) => {
            const c = Number(v) / 255;
            return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
        });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const contrast = (a, b) => {
        const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
        return (hi + 0.05) / (lo + 0.05);
    };
    const page = getComputedStyle(document.body).backgroundColor;
    const seen = {};
    for (const el of document.querySelectorAll("article :is(input, select, textarea)")) {
        const kind = el.tagName.toLowerCase() + (el.type ? `:${el.type}` : "");
        if (kind in seen || !el.checkVisibility() || el.disabled) continue;
        el.focus();
        const style = getComputedStyle(el);
        seen[kind] = {
            focusVisible: el.matches(":focus-visible"),
            style: style.outlineStyle,
            width: parseFloat(style.outlineWidth),
            contrast: Math.round(contrast(style.outlineColor, page) * 100) / 100,
        };
        el.blur();
    }
    return seen;
}"""


def set_scheme(page, scheme):
    page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")


@pytest.mark.parametrize("path", PAGES)
def test_every_kind_of_control_shows_a_focus_ring_in_light_and_dark(page, site_url, path):
    visit(page, site_url + path)
    if page.locator("[data-python]").count():
        wait_for_python(page, timeout=PYTHON_TIMEOUT_MS)
    for root in page.locator("[data-python]").all():
        expect(root).not_to_have_attribute("data-state", "loading", timeout=PYTHON_TIMEOUT_MS)
    expect(page.locator("article :is(input, select, textarea)").first).to_be_attached()
    # Collapsed parts (more settings, the reward labs' editors) are checked too.
    page.evaluate("document.querySelectorAll('article details').forEach((d) => (d.open = true))")
    page.keyboard.press("Shift")  # the reader is on the keyboard: focus is shown
    rings = {}
    for scheme in ("default", "slate"):
        set_scheme(page, scheme)
        rings[scheme] = page.evaluate(MEASURE_RINGS)
    set_scheme(page, "default")  # as the next page in the shared tab expects
    assert rings["default"], f"no form controls found on {path}"
    weak = {
        f"{scheme} {kind}": ring
        for scheme, found in rings.items()
        for kind, ring in found.items()
        if not (
            ring["focusVisible"]
            and ring["style"] == "solid"
            and ring["width"] >= 2
            and ring["contrast"] >= 3
        )
    }
    assert not weak, f"{path}: controls without a visible focus ring: {weak}"
