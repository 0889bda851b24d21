"""Site-wide behaviour: text pages stay light, instant navigation keeps Python alive."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_python
from tests.e2e.harness import SITE

pytestmark = pytest.mark.e2e


def test_a_text_only_page_does_not_download_python(page, site_url):
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(site_url)
    expect(page.locator("h1")).to_have_text(re.compile("^SafeRLHub"))
    page.wait_for_load_state("networkidle")
    assert not [url for url in requested if "pyodide" in url or "python-worker" in url]
    assert page.evaluate("window.saferlhub.python") is None
    expect(page.locator(".saferlhub-status")).to_have_count(0)


def test_instant_navigation_keeps_cells_working_on_one_python(page, site_url):
    workers = []
    page.on("worker", lambda worker: workers.append(worker.url))
    page.goto(site_url)
    # The home page hides the sidebar; follow the learning path's link instead.
    page.locator("article").get_by_role("link", name="Python playground").first.click()
    expect(page.locator("h1")).to_have_text(re.compile("^Python playground"))
    wait_for_python(page)
    first = page.locator('.pycell[data-cell-id="define"]')
    first.locator(".pycell__run").click()
    expect(first).to_have_attribute("data-status", "done")

    # Away and back without a reload: Material swaps the page content in place.
    page.locator("nav.md-nav--primary").get_by_role("link", name="Home").click()
    expect(page.locator("h1")).to_have_text(re.compile("^SafeRLHub"))
    expect(page.locator(".saferlhub-status")).to_be_hidden()
    page.locator("article").get_by_role("link", name="Python playground").first.click()
    expect(page.locator("h1")).to_have_text(re.compile("^Python playground"))
    expect(page.locator(".saferlhub-status")).to_have_text("Python: ready")

    # The page's namespace survived the round trip: no second Python was started.
    use = page.locator('.pycell[data-cell-id="use"]')
    use.locator(".pycell__run").click()
    expect(use).to_have_attribute("data-status", "done"), use.inner_text()
    expect(use.locator(".pycell__output")).to_have_text("3 wins in 5 episodes: win rate 60%")
    assert len([url for url in workers if "python-worker" in url]) == 1


def test_maths_arrive_rendered_and_styled_also_after_an_instant_navigation(page, site_url):
    """The maths are rendered when the site is built (hooks/katex_render.py): no KaTeX
    script runs, and KaTeX's stylesheet styles them, also on a page swapped in by
    instant navigation from a page without maths."""
    scripts = []
    page.on(
        "request",
        lambda request: scripts.append(request.url) if request.resource_type == "script" else None,
    )
    page.goto(site_url)
    expect(page.locator("link[data-katex]")).to_have_count(0)  # the home page has no maths
    page.locator("article").get_by_role("link", name="Python playground").first.click()
    expect(page.locator("h1")).to_have_text(re.compile("^Python playground"))
    formula = page.locator(".arithmatex .katex").first
    expect(formula).to_be_visible()
    expect(page.locator("link[data-katex]")).to_have_count(1)
    # KaTeX's stylesheet keeps the MathML for screen readers only, off the screen.
    expect(formula.locator(".katex-mathml")).to_have_css("position", "absolute")
    assert not [url for url in scripts if "katex" in url.lower()]


def test_on_a_python_page_the_search_index_is_built_once_python_is_ready(page, site_url):
    """Material's search worker would build its index while Pyodide compiles; on a page
    that starts Python it is created once Python is ready (hooks/runtime_assets.py)."""
    page.goto(site_url + "playground/")
    wait_for_python(page)
    page.wait_for_function(
        "performance.getEntriesByType('resource').some((e) => e.name.includes('/workers/search.'))"
    )
    fetched_at, ready_at = page.evaluate(
        """() => [
            performance.getEntriesByType("resource")
                .find((e) => e.name.includes("/workers/search.")).startTime,
            window.saferlhub.python.info.readyAt,
        ]"""
    )
    assert fetched_at >= ready_at
    page.locator(".md-search__input").click()
    page.keyboard.type("bandit")
    expect(page.locator(".md-search-result__item").first).to_contain_text(
        "playground", ignore_case=True
    )


@pytest.mark.own_tab  # holds Python's start back with a route
def test_a_reader_who_searches_before_python_is_ready_is_not_kept_waiting(page, site_url):
    held = []
    page.route("**/pyodide.asm.wasm", lambda route: held.append(route))  # Python cannot start
    page.goto(site_url + "playground/")
    page.locator(".md-search__input").click()
    page.keyboard.type("bandit")
    expect(page.locator(".md-search-result__item").first).to_contain_text(
        "playground", ignore_case=True
    )
    assert page.evaluate("window.saferlhub.python.status.state") == "loading"
    for route in held:
        route.abort()


def test_light_and_dark_mode_toggle(page, site_url):
    page.goto(site_url)
    scheme = page.evaluate("document.body.dataset.mdColorScheme")
    page.locator("form[data-md-component=palette] label:visible").first.click()
    expect(page.locator("body")).not_to_have_attribute("data-md-color-scheme", scheme)


def test_search_finds_the_playground(page, site_url):
    page.goto(site_url)
    page.locator(".md-search__input").click()
    page.keyboard.type("bandit")  # Material listens to key events, not to fill()
    expect(page.locator(".md-search-result__item").first).to_contain_text(
        "playground", ignore_case=True
    )


def test_the_search_index_holds_no_tex():
    index = json.loads((SITE / "search" / "search_index.json").read_text())
    texts = [doc["text"] for doc in index["docs"]]
    assert any("ε" in text for text in texts)  # maths became text, it did not vanish
    # Code may hold backslashes of its own ("\\n" in a Python string): only prose counts.
    prose = [re.sub(r"<code>.*?</code>", "", t, flags=re.S) for t in texts]
    leftovers = [t for t in prose if re.search(r"\\[(\[]|\\[a-zA-Z]+", t)]
    assert not leftovers, leftovers[0][:300]


def test_search_results_show_maths_as_text(page, site_url):
    page.goto(site_url)
    page.locator(".md-search__input").click()
    page.keyboard.type("exploration")
    results = page.locator(".md-search-result__item")
    expect(results.first).to_be_visible()
    assert "\\(" not in page.locator(".md-search-result").inner_text()


def test_every_page_links_its_source_and_the_footer_the_licence(page, site_url):
    # The request guard fails this test if Material asks api.github.com for the
    # repository's stars, as its source link does unless overridden.
    repo = "https://github.com/saferlhub/saferlhub"
    for path, source in [("playground/", "playground.md"), ("", "index.md")]:
        page.goto(site_url + path)
        expect(
            page.locator(f'a.md-content__button[href="{repo}/edit/main/docs/{source}"]')
        ).to_have_count(1)
        footer = page.locator("footer")
        expect(footer.get_by_role("link", name="MIT licence")).to_have_attribute(
            "href", f"{repo}/blob/main/LICENSE"
        )
        expect(footer.get_by_role("link", name="Contributing")).to_have_attribute(
            "href", f"{repo}/blob/main/CONTRIBUTING.md"
        )
    page.wait_for_load_state("networkidle")
    expect(page.locator(".md-header a.md-source")).to_have_attribute("href", repo)


@pytest.mark.parametrize("scheme", ["default", "slate"])
def test_at_phone_width_the_python_dot_stays_in_the_margin(page, site_url, scheme):
    """At 390 px the ready pill is a dot that must not cover content (the audit saw it
    over a table's last digits): it lies right of the content column, and stays visible."""
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(site_url + "playground/")
    wait_for_python(page)
    page.evaluate(f"document.body.setAttribute('data-md-color-scheme', '{scheme}')")
    pill = page.locator(".saferlhub-status")
    expect(pill).to_have_attribute("data-state", "ready")
    dot, content = page.evaluate(
        """() => [
            document.querySelector(".saferlhub-status").getBoundingClientRect().toJSON(),
            document.querySelector(".md-content__inner").getBoundingClientRect().toJSON(),
        ]"""
    )
    assert dot["left"] >= content["right"], (dot, content)
    assert dot["right"] <= 390 and dot["width"] >= 8 and dot["height"] >= 8


def test_the_python_pill_does_not_flicker_through_a_burst_of_calls(page, site_url):
    """A page that calls Python many times in a row (the maze battery) shows "running"
    once and "ready" once after the burst, not a change of the aria-live pill per call."""
    page.goto(site_url + "playground/")
    wait_for_python(page)
    states = page.evaluate(
        """async () => {
            const pill = document.querySelector(".saferlhub-status");
            const seen = [];
            new MutationObserver(() => seen.push(pill.dataset.state))
                .observe(pill, { attributes: true, attributeFilter: ["data-state"] });
            for (let i = 0; i < 50; i++) {
                await window.saferlhub.python.call("saferlhub.runtime.reset_namespaces", {});
            }
            await new Promise((resolve) => setTimeout(resolve, 600));
            return seen;
        }"""
    )
    assert states == ["running", "ready"]
