"""Accessibility and layout checks shared by the browser tests.

- `axe_violations(page)`: runs axe-core (the pinned npm package, injected from
  node_modules, so no request leaves the machine) on the page as it is now.
- `blocking(violations)`: the serious and critical ones, minus the narrow list of
  theme-level exclusions below, each with its reason.
- `overflow(page)`: what makes a page wider than the screen, or is cut off at its
  right edge, outside a container that scrolls on purpose.
- `site_pages(site_url)`: every page the site lists in its sitemap.
- `render_python_content(page, path)`: waits for, and drives, the interactive parts
  a reader would see (a quick-look training run on the trainer page).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from playwright.sync_api import expect

from tests.e2e.harness import ROOT, SITE, SITE_URL

AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING_IMPACTS = {"serious", "critical"}
PYTHON_TIMEOUT_MS = 120_000

# Theme-level violations we cannot fix in project code: (axe rule, the exact element
# it names, why). Each is Material for MkDocs' own markup, built by its JavaScript or
# templates; fixing them means forking Material's templates or bundle.
THEME_EXCLUSIONS = [
    (
        "aria-dialog-name",
        ".md-search",
        "Material's search overlay is a role=dialog <div> without a name (its input is"
        " labelled 'Search'); the dialog role comes from Material's template.",
    ),
    (
        "aria-progressbar-name",
        ".md-progress",
        "navigation.instant.progress: Material's JavaScript creates an unnamed"
        " role=progressbar while a page loads by instant navigation.",
    ),
]


def site_pages(site_url: str) -> list[str]:
    """Paths (relative to the site's root) of every page in the built sitemap."""
    tree = ET.parse(SITE / "sitemap.xml")
    locs = [el.text for el in tree.iter() if el.tag.endswith("loc")]
    return sorted(loc.replace(SITE_URL, "") for loc in locs)


def axe_violations(page, context: str | None = None) -> list[dict]:
    """axe-core's violations on the page (or the element matching `context`)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(
        """async (context) => {
            const result = await axe.run(context ?? document, { resultTypes: ["violations"] });
            return result.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({
                    target: n.target.join(" "),
                    summary: n.failureSummary,
                })),
            }));
        }""",
        context,
    )


def _excluded(rule: str, target: str) -> bool:
    return any(rule == r and target == t for r, t, _ in THEME_EXCLUSIONS)


def blocking(violations: list[dict]) -> list[str]:
    """Serious and critical violations not excused above, one line per element."""
    lines = []
    for v in violations:
        if v["impact"] not in BLOCKING_IMPACTS:
            continue
        for node in v["nodes"]:
            if not _excluded(v["id"], node["target"]):
                summary = re.sub(r"\s+", " ", node["summary"] or "")[:160]
                lines.append(f"{v['id']} [{v['impact']}] {node['target']}: {summary}")
    return lines


def overflow(page) -> dict:
    """The document's scroll width against the window's, and the elements that reach
    past the right edge without a horizontally scrolling container around them (code
    blocks and Material's table wrappers scroll on purpose; a clipped heatmap or a
    label drawn over its neighbour does not)."""
    return page.evaluate(
        """() => {
            const doc = document.scrollingElement;
            const width = doc.clientWidth;
            const scrolls = (node) => {
                for (let p = node.parentElement; p && p !== document.body; p = p.parentElement) {
                    const x = getComputedStyle(p).overflowX;
                    if (x === "auto" || x === "scroll") return true;
                }
                return false;
            };
            const out = [];
            for (const node of document.querySelectorAll("article *, .saferlhub-status")) {
                const box = node.getBoundingClientRect();
                if (!box.width || !box.height) continue;
                const style = getComputedStyle(node);
                if (style.visibility === "hidden") continue;
                // MathML copies for screen readers, clipped to nothing by KaTeX.
                if (node.closest(".katex-mathml, .saferlhub-sr-only")) continue;
                if (box.right > width + 1 || box.left < -1) {
                    if (scrolls(node)) continue;
                    const cls = typeof node.className === "string" ? node.className.trim() : "";
                    const dotted = cls ? "." + cls.split(/\\s+/).join(".") : "";
                    const name = node.tagName.toLowerCase() + dotted;
                    out.push(`${name} [${Math.round(box.left)}, ${Math.round(box.right)}]`);
                }
            }
            return { scrollWidth: doc.scrollWidth, clientWidth: width, outside: out.slice(0, 20) };
        }"""
    )


def render_python_content(page, path: str, *, contrast: bool = False) -> None:
    """Wait for a page's interactive parts as a reader would see them: Python ready,
    every component mounted, a quick-look run on the trainer, a few steps of the loop,
    and (if `contrast`) the exploration contrast table."""
    if not page.locator(".pycell, [data-python]").count():
        return
    expect(page.locator(".saferlhub-status")).to_have_attribute(
        "data-state", "ready", timeout=PYTHON_TIMEOUT_MS
    )
    for root in page.locator("[data-python]").all():
        expect(root).not_to_have_attribute("data-state", "loading", timeout=PYTHON_TIMEOUT_MS)
    for cell in page.locator(".pycell").all():
        expect(cell).to_have_attribute("data-mounted", "true")
        expect(cell).to_have_attribute("data-editor", "ready")  # set up once Python is ready
    trainer = page.locator('[data-python="blackjack-trainer"]')
    if trainer.count():
        trainer.locator("#bj-preset").select_option("quick look")
        trainer.locator(".bj-train").click()
        expect(trainer).to_have_attribute("data-state", "done", timeout=PYTHON_TIMEOUT_MS)
        trainer.locator(".bj-replay__deal").click()
        expect(trainer.locator(".bj-replay__step")).not_to_have_count(0)
    loop = page.locator('[data-python="rl-loop"]')
    if loop.count():
        expect(loop).to_have_attribute("data-state", "ready", timeout=PYTHON_TIMEOUT_MS)
        for _ in range(4):  # through the reward phase: the worked update appears
            loop.locator(".rl-step").click()
        expect(loop.locator(".rl-worked")).to_be_visible()
    exploration = page.locator('[data-python="rl-exploration"]')
    if contrast and exploration.count():
        exploration.locator(".rl-contrast-run").click()
        expect(exploration).to_have_attribute("data-state", "done", timeout=4 * PYTHON_TIMEOUT_MS)
    # Collapsed parts (chart data tables, more settings) are checked too.
    page.evaluate("document.querySelectorAll('article details').forEach((d) => (d.open = true))")
    page.wait_for_timeout(200)  # charts redraw at the new width on their ResizeObserver
