"""End-to-end fixtures: the built site on 127.0.0.1, headless Debian Chromium.

Every test fails if the page asks any host other than localhost for anything,
or logs a console error, unless the test declares exactly what it expects with
`@pytest.mark.external(...)` or `@pytest.mark.console_errors(...)`.

Service workers are blocked unless a test is marked `@pytest.mark.service_workers`:
the site's service worker (docs/js/offline.js) precaches the whole site in the
background, which would add requests to tests that count them and load to
tests that time out. tests/e2e/test_offline.py tests it on its own.

The tests of one file share one browser profile (`warm_context`): its HTTP cache,
and the compiled WebAssembly Chromium keeps beside it, stay warm, so Python and
onnxruntime-web start without downloading and compiling again, which is most of
an e2e test's time. Between tests the profile forgets everything else (pages,
cookies, local and session storage, IndexedDB, Cache Storage), so no test sees
another's state. A test that needs a cold, empty profile (one that counts what a
first visit downloads, or changes the context's routes or network) is marked
`@pytest.mark.cold_profile`, or its file sets `COLD_PROFILE = True`; tests marked
`service_workers` always get a cold profile.

A file that sets `SHARED_TAB = True` goes one step further: its tests share one tab,
and `visit(page, url)` moves it to the next page as a reader's click on a link does
(Material's instant navigation: the document stays, so Python, started once, stays
warm; the page's content and components are new). Between tests the tab goes back to
the home page and its storage is cleared; a tab a test failed in, reloaded into dark
mode, or left with Python busy is closed, and the next test opens a fresh one. Tests
that must see Python start use `page.goto` (or `page.reload`), which starts it anew;
a test that changes the tab itself (its routes, emulated media) is marked
`@pytest.mark.own_tab` and gets a tab of its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlparse

import pytest
from playwright.sync_api import sync_playwright

from tests.e2e.harness import CHROMIUM_ARGS, find_chromium, is_local, serve

PYTHON_READY_TIMEOUT_MS = 60_000
# No host name but localhost resolves in the tests' browser: a request to another host
# fails even where no route refuses it (the warm profiles, see `watch_requests`).
NO_OTHER_HOSTS = "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1"


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Keep each test file on one pytest-xdist worker (`--dist loadgroup`: files share a
    module's fixtures and warm pages), except files that set SPREAD_OVER_WORKERS, whose
    tests (one per page) spread over the workers so no worker is left with them all."""
    for item in items:
        if not getattr(item.module, "SPREAD_OVER_WORKERS", False):
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test, so fixtures can ask whether it failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


def pytest_configure(config):
    config.addinivalue_line("markers", "external(*hosts): external hosts this test expects")
    config.addinivalue_line("markers", "console_errors(*patterns): console errors it expects")
    config.addinivalue_line("markers", "service_workers: let the site's service worker run")
    config.addinivalue_line("markers", "cold_profile: a fresh browser profile, empty cache")
    config.addinivalue_line("markers", "own_tab: a tab of its own in a SHARED_TAB file")


@pytest.fixture(scope="session")
def site_url():
    with serve() as url:
        yield url


@pytest.fixture(scope="session")
def playwright():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(
        executable_path=find_chromium(), args=[*CHROMIUM_ARGS, NO_OTHER_HOSTS]
    )
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


VIEWPORT = {"width": 1280, "height": 900}
# Generous: test files run in parallel (pytest-xdist), two browsers on a 2-core CI box.
DEFAULT_TIMEOUT_MS = 30_000
# What a profile forgets between two tests that share it: all but the HTTP cache.
FORGOTTEN = (
    "cookies,file_systems,indexeddb,local_storage,websql,service_workers,cache_storage,"
    "shader_cache,storage_buckets"
)


def watch_requests(context, watched: Callable[[], PageWatch], routed: bool = True) -> None:
    """Record every request to another host in the watch `watched()` returns then, and fail it.

    `routed`: refused by Playwright's routing (which turns the HTTP cache off); otherwise
    seen as a request event and failed by the browser itself, whose host resolver knows
    no other host (`NO_OTHER_HOSTS`), so the cache keeps working.
    """
    if not routed:
        context.on(
            "request",
            lambda request: is_local(request.url) or watched().external.append(request.url),
        )
        return

    def guard(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            watched().external.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", guard)


@pytest.fixture(scope="module")
def warm_context(playwright, tmp_path_factory):
    """One on-disk profile for the tests of a file (an incognito context's memory cache
    keeps no file as large as Pyodide's wasm), and the slot for the running test's watch."""
    current = {"watch": PageWatch()}
    context = playwright.chromium.launch_persistent_context(
        tmp_path_factory.mktemp("profile"),
        executable_path=find_chromium(),
        args=[*CHROMIUM_ARGS, NO_OTHER_HOSTS],
        viewport=VIEWPORT,
        service_workers="block",
    )
    watch_requests(context, lambda: current["watch"], routed=False)
    yield context, current
    context.close()


def forget_everything_but_the_cache(context, site_url: str, keep=None) -> None:
    for open_page in context.pages:
        if open_page is not keep:
            open_page.close()
    blank = context.new_page()
    origin = "{0.scheme}://{0.netloc}".format(urlparse(site_url))
    cdp = context.new_cdp_session(blank)
    cdp.send("Storage.clearDataForOrigin", {"origin": origin, "storageTypes": FORGOTTEN})
    cdp.detach()
    blank.close()
    context.clear_cookies()
    context.clear_permissions()


def wants_cold_profile(request) -> bool:
    node = request.node
    return bool(
        node.get_closest_marker("service_workers")
        or node.get_closest_marker("cold_profile")
        or getattr(request.module, "COLD_PROFILE", False)
    )


@pytest.fixture
def context(browser, watch, request, site_url):
    node = request.node
    if wants_cold_profile(request):
        service_workers = "allow" if node.get_closest_marker("service_workers") else "block"
        context = browser.new_context(viewport=VIEWPORT, service_workers=service_workers)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        watch_requests(context, lambda: watch)
        yield context
        context.close()
    else:
        context, current = request.getfixturevalue("warm_context")
        current["watch"] = watch
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        try:
            yield context
        finally:
            forget_everything_but_the_cache(context, site_url, keep=current.get("tab"))
            current["watch"] = PageWatch()

    allowed_hosts = [h for m in node.iter_markers("external") for h in m.args]
    unexpected = [u for u in watch.external if not any(h in u for h in allowed_hosts)]
    assert not unexpected, f"requests to other hosts: {unexpected}"
    allowed_errors = [p for m in node.iter_markers("console_errors") for p in m.args]
    errors = [e for e in watch.console_errors if not any(re.search(p, e) for p in allowed_errors)]
    assert not errors, f"console errors: {errors}"


def watched_page(context, watched: Callable[[], PageWatch]):
    """A new tab whose console errors go to the watch `watched()` returns then."""
    page = context.new_page()

    def on_console(message):
        if message.type == "error":
            watched().console_errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched().console_errors.append(f"page error: {error}"))
    page.on("worker", lambda worker: worker.on("console", on_console))
    return page


def uses_shared_tab(request) -> bool:
    return (
        bool(getattr(request.module, "SHARED_TAB", False))
        and not wants_cold_profile(request)
        and not request.node.get_closest_marker("own_tab")
    )


@pytest.fixture
def page(context, watch, request, site_url):
    if not uses_shared_tab(request):
        yield watched_page(context, lambda: watch)
        return
    _, current = request.getfixturevalue("warm_context")
    tab = current.get("tab")
    if tab is None or tab.is_closed():
        tab = current["tab"] = watched_page(context, lambda: current["watch"])
    tab.set_viewport_size(VIEWPORT)
    yield tab
    if not reusable_after(tab, request.node):
        current["tab"] = None  # the context's teardown closes it
        return
    try:
        visit(tab, site_url)  # the next test starts from the home page, as after a goto
        tab.evaluate("sessionStorage.clear()")
    except Exception:  # the way home failed: the next test opens a tab of its own
        current["tab"] = None


def reusable_after(tab, node) -> bool:
    """Whether the next test may have this tab: the test passed, the tab is on the
    site in light mode, and its Python (if started) is not running anything."""
    reports = (getattr(node, f"report_{when}", None) for when in ("setup", "call"))
    failed = any(getattr(report, "failed", False) for report in reports)
    if failed or tab.is_closed():
        return False
    try:
        return tab.evaluate(
            """() => Boolean(window.document$)
                && document.body.getAttribute("data-md-color-scheme") === "default"
                && !(window.saferlhub?.python?.busy)"""
        )
    except Exception:  # a page mid-navigation or crashed: start afresh
        return False


def visit(page, url: str) -> None:
    """Go to `url` as a reader's click on a link does: Material swaps the page in
    without reloading (instant navigation), so a started Python stays warm. A tab not
    showing a site page yet loads it (page.goto)."""
    on_site = urlparse(page.url).netloc == urlparse(url).netloc
    if not on_site or not page.evaluate("Boolean(window.document$)"):
        page.goto(url)
        return
    page.evaluate(
        """(href) => {
            window.saferlhubVisit = href; // gone if the browser loaded a new document instead
            document.querySelector("article")?.setAttribute("data-left", "");
            const link = Object.assign(document.createElement("a"), { href, textContent: "next" });
            document.body.append(link);
            link.click();
            link.remove();
        }""",
        url,
    )
    # Material has swapped in the new page once its article (without our mark) is there.
    # The hash is not compared (navigation.tracking sets it to the heading in view), nor
    # the query unless the link has one (the maze lab writes its maze into it).
    page.wait_for_function(
        """(href) => {
            const want = new URL(href, location.href);
            return location.pathname === want.pathname
                && (!want.search || location.search === want.search)
                && document.querySelector("article:not([data-left])");
        }""",
        arg=url,
    )
    assert page.evaluate("window.saferlhubVisit") == url, "the link reloaded the page"


def wait_for_python(page, timeout=PYTHON_READY_TIMEOUT_MS):
    """Wait until the page's Python worker says it is ready, and the code cells' editors,
    set up at that moment (docs/js/cells.js), are in place: a click aimed while an editor
    replaces its cell's rendered code can land where the layout was a moment before."""
    page.wait_for_selector('.saferlhub-status[data-state="ready"]', timeout=timeout)
    page.wait_for_function(
        """() => [...document.querySelectorAll(".pycell")]
            .every((cell) => cell.dataset.editor === "ready")""",
        timeout=timeout,
    )
