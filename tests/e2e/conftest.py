"""End-to-end fixtures: the built site on 127.0.0.1, headless Debian Chromium.

Every test fails if the page asks any host other than localhost for anything,
or logs a console error, unless the test declares exactly what it expects with
`@pytest.mark.external(...)` or `@pytest.mark.console_errors(...)`.

Service workers are blocked unless a test is marked `@pytest.mark.service_workers`:
the site's service worker (docs/js/offline.js) precaches the whole site in the
background, which would add requests to tests that count them and load to
tests that time out. tests/e2e/test_offline.py tests it on its own.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.harness import CHROMIUM_ARGS, find_chromium, is_local, serve

PYTHON_READY_TIMEOUT_MS = 60_000


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Keep each test file on one pytest-xdist worker (`--dist loadgroup`: files share a
    module's fixtures and warm pages), except files that set SPREAD_OVER_WORKERS, whose
    tests (one per page) spread over the workers so no worker is left with them all."""
    for item in items:
        if not getattr(item.module, "SPREAD_OVER_WORKERS", False):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


def pytest_configure(config):
    config.addinivalue_line("markers", "external(*hosts): external hosts this test expects")
    config.addinivalue_line("markers", "console_errors(*patterns): console errors it expects")
    config.addinivalue_line("markers", "service_workers: let the site's service worker run")


@pytest.fixture(scope="session")
def site_url():
    with serve() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageWatch:
    """What a page did that a test must know about."""

    def __init__(self):
        self.external: list[str] = []
        self.console_errors: list[str] = []


@pytest.fixture
def watch():
    return PageWatch()


@pytest.fixture
def context(browser, watch, request):
    service_workers = "allow" if request.node.get_closest_marker("service_workers") else "block"
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, service_workers=service_workers
    )
    # Generous: test files run in parallel (pytest-xdist), two browsers on a 2-core CI box.
    context.set_default_timeout(30_000)

    def guard(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            watch.external.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", guard)
    yield context
    context.close()

    allowed_hosts = [h for m in request.node.iter_markers("external") for h in m.args]
    unexpected = [u for u in watch.external if not any(h in u for h in allowed_hosts)]
    assert not unexpected, f"requests to other hosts: {unexpected}"
    allowed_errors = [p for m in request.node.iter_markers("console_errors") for p in m.args]
    errors = [e for e in watch.console_errors if not any(re.search(p, e) for p in allowed_errors)]
    assert not errors, f"console errors: {errors}"


@pytest.fixture
def page(context, watch):
    page = context.new_page()

    def on_console(message):
        if message.type == "error":
            watch.console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: watch.console_errors.append(f"page error: {error}"))
    page.on("worker", lambda worker: worker.on("console", on_console))
    return page


def wait_for_python(page, timeout=PYTHON_READY_TIMEOUT_MS):
    """Wait until the page's Python worker says it is ready."""
    page.wait_for_selector('.saferlhub-status[data-state="ready"]', timeout=timeout)
