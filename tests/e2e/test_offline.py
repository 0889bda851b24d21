"""Offline and recovery: the service worker, and a Python that failed to start.

The offline tests run their own server and shut it down mid-test (besides
`context.set_offline`), so whatever still works afterwards can only come from
the service worker's caches. Each server listens on a new port, a new origin,
so no test inherits another's service worker or caches.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import wait_for_python
from tests.e2e.harness import BASE_PATH, SITE, site_server

pytestmark = pytest.mark.e2e

# Starting Python from the service worker's cache, or a second time in one test,
# can take minutes on a loaded 2-core machine.
SLOW_PYTHON_MS = 180_000

PYODIDE_FILES = [
    "pyodide.mjs",
    "pyodide.asm.mjs",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
]


@pytest.fixture(autouse=True)
def patient(context):
    # Whole-page loads from a cold service worker compete with its precaching.
    context.set_default_timeout(60_000)


def wait_until_controlled(page):
    # The service worker registers once the page (and its Python) finished loading.
    page.wait_for_function(
        "window.saferlhub.offline.worker === 'active' && !!navigator.serviceWorker.controller",
        timeout=90_000,
    )


def go_offline(context, server):
    context.set_offline(True)
    server.shutdown()
    server.server_close()


def run_cell(page, cell_id, status="done"):
    cell = page.locator(f'.pycell[data-cell-id="{cell_id}"]')
    cell.locator(".pycell__run").click()
    expect(cell).to_have_attribute("data-status", status, timeout=30_000)
    return cell


@pytest.mark.service_workers
def test_after_a_first_visit_pages_and_code_cells_work_offline(page, context):
    with site_server() as server:
        page.goto(server.url + "playground/")
        wait_for_python(page, timeout=SLOW_PYTHON_MS)
        wait_until_controlled(page)
        # Pyodide was fetched before the service worker controlled the page; the
        # page hands those files over, and the service worker keeps every one.
        page.wait_for_function("window.saferlhub.offline.kept.length >= 5", timeout=30_000)
        kept = page.evaluate("window.saferlhub.offline.kept")
        assert sorted(url.rsplit("/", 1)[1] for url in kept) == sorted(PYODIDE_FILES)
        assert page.evaluate("window.saferlhub.offline.failed") == []

        go_offline(context, server)

        # Instant navigation, to a page never opened before.
        page.locator("nav.md-nav--primary").get_by_role("link", name="Home").click()
        expect(page.locator("h1")).to_have_text(re.compile("^SafeRLHub"))
        page.locator("article").get_by_role("link", name="RL under the hood").first.click()
        expect(page.locator("h1")).to_have_text(re.compile("^Blackjack: RL under the hood"))

        # Full page loads: the page, its scripts and a fresh Python all from the caches.
        page.goto(server.url + "playground/")
        expect(page.locator("h1")).to_have_text(re.compile("^Python playground"))
        wait_for_python(page, timeout=SLOW_PYTHON_MS)
        cell = run_cell(page, "hello")
        expect(cell.locator(".pycell__output")).to_contain_text("Hello from Python")
        page.reload()
        wait_for_python(page, timeout=SLOW_PYTHON_MS)
        run_cell(page, "define")
        expect(run_cell(page, "use").locator(".pycell__output")).to_have_text(
            "3 wins in 5 episodes: win rate 60%"
        )

        # An address the site does not have: its own 404 page, not the browser's error.
        page.goto(server.url + "no-such-page/")
        expect(page.locator("h1")).to_contain_text("404")


@pytest.mark.service_workers
def test_the_maze_lab_plays_bad2_offline_once_an_agent_has_run(page, context):
    """The issue's offline reader: the Play page's runtimes (Pyodide, onnxruntime-web, the
    planted agent's network) kept after one online run, then bad2 played with the server
    gone, with the route the planted agent's model card records."""
    card = Path(__file__).resolve().parents[2] / "models" / "planted" / "model_card.json"
    bad2 = json.loads(card.read_text())["evaluation"]["failure_mazes"]["bad2"]

    def play_bad2():
        lab = page.locator('[data-python="maze-play"]')
        expect(lab).to_have_attribute("data-state", "ready", timeout=SLOW_PYTHON_MS)
        lab.locator("#maze-play-agent").select_option("planted")
        lab.locator(".maze-lab__run").click()
        # The first run loads onnxruntime-web and the network (from the cache, offline).
        expect(lab).to_have_attribute("data-state", "ready", timeout=SLOW_PYTHON_MS)
        expect(lab.locator(".maze-lab__summary")).to_contain_text(f"Route: {bad2['actions']}.")

    with site_server() as server:
        page.goto(server.url + "maze/play/")
        play_bad2()
        wait_until_controlled(page)
        page.wait_for_function(
            """() => ["q_network.onnx", ".wasm", "pyodide.asm.wasm"].every((end) =>
                window.saferlhub.offline.kept.some((url) => url.endsWith(end)))""",
            timeout=60_000,
        )
        assert page.evaluate("window.saferlhub.offline.failed") == []

        go_offline(context, server)
        page.goto(server.url + "maze/play/")
        play_bad2()


@pytest.mark.service_workers
def test_a_text_page_precaches_no_python(page, context):
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    with site_server() as server:
        page.goto(server.url)
        wait_until_controlled(page)
        page.wait_for_load_state("networkidle")
        # The core is precached (every page, the search index) but not the runtimes.
        cached = page.evaluate(
            """async () => {
                const urls = [];
                for (const name of await caches.keys())
                    for (const request of await (await caches.open(name)).keys())
                        urls.push(request.url);
                return urls;
            }"""
        )
    assert any("/playground/index.html" in url for url in cached)
    assert any("/search/search_index.json" in url for url in cached)
    assert not [url for url in cached + requested if "pyodide" in url or url.endswith(".wasm")]
    assert not [url for url in requested if url.endswith(".map")]


@pytest.mark.service_workers
def test_a_new_deployment_replaces_the_cache_after_the_reader_accepts_it(page, context, tmp_path):
    # Two files of "the next deployment": the home page with a new line, and a
    # service worker whose manifest gives the home page a new revision.
    sw = tmp_path / "sw.js"
    home = tmp_path / "index.html"
    shutil.copy(SITE / "sw.js", sw)
    shutil.copy(SITE / "index.html", home)
    extra = {f"{BASE_PATH}sw.js": sw, f"{BASE_PATH}index.html": home}
    with site_server(extra=extra) as server:
        page.goto(server.url)
        wait_until_controlled(page)
        expect(page.locator("#next-deployment")).to_have_count(0)

        old = sw.read_text()
        revision = re.search(r'\{"revision":"([0-9a-f]+)","url":"index\.html"\}', old).group(1)
        sw.write_text(old.replace(revision, "0" * len(revision)))
        home.write_text(
            home.read_text().replace("<h1", '<p id="next-deployment">Next deployment</p><h1', 1)
        )
        page.evaluate("window.saferlhub.checkForUpdate()")

        # The new version waits: the open page keeps the old one until the reader agrees.
        notice = page.locator(".saferlhub-update")
        expect(notice).to_contain_text("A new version of SafeRLHub is available", timeout=60_000)
        page.goto(server.url)  # a plain navigation does not switch versions mid-visit
        expect(page.locator("#next-deployment")).to_have_count(0)
        notice.get_by_role("button", name="Reload").click(timeout=60_000)
        expect(page.locator("#next-deployment")).to_have_text("Next deployment", timeout=30_000)

        # Offline, the new home page comes from the cache, and the old one is gone from it.
        go_offline(context, server)
        page.reload()
        expect(page.locator("#next-deployment")).to_have_text("Next deployment")
        homes = page.evaluate(
            """async () => {
                const found = [];
                for (const name of await caches.keys())
                    for (const request of await (await caches.open(name)).keys())
                        if (new URL(request.url).pathname.endsWith("/saferlhub/index.html"))
                            found.push(request.url);
                return found;
            }"""
        )
        assert len(homes) == 1 and "0" * len(revision) in homes[0]


@pytest.mark.service_workers
@pytest.mark.console_errors("Failed to load resource: net::ERR_FAILED")
def test_offline_before_python_was_kept_python_says_so_and_runs_fail_at_once(page, context):
    with site_server() as server:
        page.goto(server.url)  # a text page: Python is not downloaded, so not kept
        wait_until_controlled(page)
        go_offline(context, server)
        page.goto(server.url + "playground/")
        status = page.locator(".saferlhub-status")
        expect(status).to_have_attribute("data-state", "error", timeout=30_000)
        expect(status).to_contain_text("you are offline")
        expect(status.get_by_role("button", name="Retry")).to_be_visible()
        hello = page.locator('.pycell[data-cell-id="hello"]')
        hello.locator(".pycell__run").click()
        expect(hello).to_have_attribute("data-status", "error", timeout=1_000)
        expect(hello.locator(".pycell__output")).to_contain_text("once you are online")


def unreachable(route):
    route.fulfill(status=503, body="unreachable")


@pytest.mark.console_errors(r"Failed to load resource: .*503")
def test_when_python_cannot_restart_a_run_fails_at_once_and_retry_recovers(page, context, site_url):
    page.goto(site_url + "playground/")
    wait_for_python(page)
    # Python's files become unreachable; then Stop restarts Python, which cannot start.
    context.route("**/assets/vendor/pyodide/**", unreachable)
    forever = page.locator('.pycell[data-cell-id="forever"]')
    forever.locator(".pycell__run").click()
    expect(forever).to_have_attribute("data-status", "running")
    forever.locator(".pycell__stop").click()
    status = page.locator(".saferlhub-status")
    expect(status).to_have_attribute("data-state", "error", timeout=30_000)
    retry = status.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()

    # A run on the dead Python fails at once, saying why and what to do.
    hello = page.locator('.pycell[data-cell-id="hello"]')
    hello.locator(".pycell__run").click()
    expect(hello).to_have_attribute("data-status", "error", timeout=1_000)
    expect(hello.locator(".pycell__output")).to_contain_text("Python is not running")
    expect(hello.locator(".pycell__output")).to_contain_text("Retry")

    # Reachable again: Retry starts Python, and cells run.
    context.unroute("**/assets/vendor/pyodide/**", unreachable)
    retry.click()
    wait_for_python(page, timeout=SLOW_PYTHON_MS)
    expect(retry).to_be_hidden()
    expect(run_cell(page, "hello").locator(".pycell__output")).to_contain_text("Hello from Python")


def test_loading_shows_a_compile_stage_after_the_download(page, site_url):
    # Record every status message the Python worker sends, in order.
    page.add_init_script(
        """
        window.pythonStatuses = [];
        const PageWorker = window.Worker;
        window.Worker = class extends PageWorker {
            constructor(...args) {
                super(...args);
                this.addEventListener("message", ({ data }) => {
                    if (data?.type === "status") window.pythonStatuses.push(data);
                });
            }
        };
        """
    )
    page.goto(site_url + "playground/")
    wait_for_python(page)
    statuses = page.evaluate("window.pythonStatuses")
    stages = [status["stage"] for status in statuses]
    assert stages[0] == "downloading" and "compiling" in stages, stages
    compiling = stages.index("compiling")
    assert set(stages[:compiling]) == {"downloading"}, stages
    assert stages[compiling:] == ["compiling", "loading SafeRLHub"], stages
    # Bytes have a percentage; the stages after them claim none.
    assert all(isinstance(status["fraction"], float | int) for status in statuses[:compiling])
    assert all(status["fraction"] is None for status in statuses[compiling:])
    # The pill says so too: no percentage once the download is done.
    expect(page.locator(".saferlhub-status")).to_have_text("Python: ready")
