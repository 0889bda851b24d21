"""Site-wide behaviour: text pages stay light, instant navigation keeps Python alive."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_python

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
