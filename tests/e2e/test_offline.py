"""Offline and recovery: the service worker, and a Python that failed to start.

The offline tests run their own server and shut it down mid-test (besides
`context.set_offline`), so whatever still works afterwards can only come from
the service worker's caches. Each server listens on a new port, a new origin,
so no test inherits another's service worker or caches.
"""

from __future__ import annotations

import collections
import functools
import json
import re
import shutil
from pathlib import Path
from urllib.parse import quote, urlparse

import pytest
from playwright.sync_api import expect

from hooks import service_worker
from hooks.runtime_assets import MODEL_FILES
from tests.e2e.conftest import wait_for_python
from tests.e2e.harness import BASE_PATH, SITE, is_local, site_server

pytestmark = pytest.mark.e2e
# Offline tests change the context's network and routes, and count what a first visit keeps.
COLD_PROFILE = True

# Starting Python from the service worker's cache, or a second time in one test,
# can take minutes on a loaded 2-core machine.
SLOW_PYTHON_MS = 180_000

# bad2 as the Play page's ?maze= parameter reads it: its seven rows, one after another.
BAD2 = [
    ".#....H",
    ".##.###",
    ".#.....",
    ".#.###.",
    ".#C#...",
    ".###.#.",
    ".....#F",
]

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
def test_the_maze_lab_plays_offline_from_a_link_with_any_agent_once_one_has_run(page, context):
    """The issue's offline reader: one agent run online on the Play page; then, with the
    server gone, a shared link (an address with ?maze=...) opens, and that agent and one
    never run online play bad2 with the routes their model cards record."""
    models = Path(__file__).resolve().parents[2] / "models"
    cards = {
        path.parent.name: json.loads(path.read_text()) for path in models.glob("*/model_card.json")
    }
    bad2 = {name: card["evaluation"]["failure_mazes"]["bad2"] for name, card in cards.items()}
    agent_files = [  # the networks the site copies (hooks/runtime_assets.py)
        f"assets/models/{name}/{card['files'][key]['path']}"
        for name, card in cards.items()
        for key in MODEL_FILES
    ]

    def play_bad2(agent):
        lab = page.locator('[data-python="maze-play"]')
        expect(lab).to_have_attribute("data-state", "ready", timeout=SLOW_PYTHON_MS)
        lab.locator("#maze-play-agent").select_option(agent)
        lab.locator(".maze-lab__run").click()
        # The first run loads onnxruntime-web and the network (from the cache, offline).
        expect(lab).to_have_attribute("data-state", "ready", timeout=SLOW_PYTHON_MS)
        expect(lab.locator(".maze-lab__summary")).to_contain_text(
            f"Route: {bad2[agent]['actions']}."
        )

    link = "maze/play/?maze=" + quote("".join(BAD2), safe="")  # "#" is %23
    with site_server() as server:
        page.goto(server.url + link)
        play_bad2("planted")
        wait_until_controlled(page)
        # Every agent's networks are kept, not only the one that ran.
        wanted = [server.url + path for path in agent_files]
        wanted += [server.url + "assets/vendor/pyodide/pyodide.asm.wasm"]
        wanted += [server.url + "assets/vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm"]
        page.wait_for_function(
            "(wanted) => wanted.every((url) => window.saferlhub.offline.kept.includes(url))",
            arg=wanted,
            timeout=90_000,
        )
        assert page.evaluate("window.saferlhub.offline.failed") == []

        go_offline(context, server)
        # A shared link: an address with a query, which the service worker must not miss.
        page.goto(server.url + link)
        expect(page.locator("h1")).not_to_contain_text("404")
        play_bad2("planted")
        play_bad2("natural")  # never run online


def count_bodies_sent(server):
    """Record each response body the server sends: {path: [bytes, ...]} (a 304 sends none)."""
    sent = collections.defaultdict(list)
    base = server.RequestHandlerClass  # functools.partial(Handler, directory=...)

    class Counting(base.func):
        def copyfile(self, source, outputfile):
            before = source.tell()
            super().copyfile(source, outputfile)
            sent[urlparse(self.path).path].append(source.tell() - before)

    server.RequestHandlerClass = functools.partial(Counting, *base.args, **base.keywords)
    return sent


def test_a_cold_visit_to_the_play_page_downloads_each_runtime_file_once(browser):
    """The issue's 56.4 MB visit (32.2 MB unique): the service worker re-downloaded both
    wasm files after Python was ready. Here a reader's cold visit, up to an agent's first
    run and the service worker keeping every agent, sends each runtime file's bytes once,
    and they add up to the figure the page states."""
    # Its own context: the other tests' request routing turns off Chromium's HTTP cache,
    # which a reader's browser has (Pyodide's modules are fetched, then imported from it).
    context = browser.new_context(service_workers="allow")
    context.set_default_timeout(60_000)
    requested = []
    context.on("request", lambda request: requested.append(request.url))
    page = context.new_page()
    with site_server() as server:
        sent = count_bodies_sent(server)
        page.goto(server.url + "maze/play/")
        lab = page.locator('[data-python="maze-play"]')
        expect(lab).to_have_attribute("data-state", "ready", timeout=SLOW_PYTHON_MS)
        lab.locator(".maze-lab__run").click()
        expect(lab).to_have_attribute("data-state", "ready", timeout=SLOW_PYTHON_MS)
        wait_until_controlled(page)
        # The service worker has kept all a maze page asks for: Python and the maze lab's
        # files (every agent's networks, onnxruntime-web, the held-out mazes).
        maze_page_files = [
            path
            for path in service_worker.classify(SITE)["on_demand"]
            if path.startswith("assets/vendor/pyodide/")
            or service_worker.matches(path, service_worker.MAZE_LAB)
        ]
        page.wait_for_function(
            "(paths) => paths.every((path) => window.saferlhub.offline.kept.includes(path))",
            arg=[server.url + path for path in maze_page_files],
            timeout=90_000,
        )
        page.wait_for_load_state("networkidle")
        note = page.locator(".saferlhub-download")
        stated = int(note.get_attribute("data-bytes"))
        handoff = page.evaluate(
            "caches.has('saferlhub-handoff').then(async (has) => has && "
            "(await (await caches.open('saferlhub-handoff')).keys()).length)"
        )
    context.close()
    assert not [url for url in requested if not is_local(url)]

    runtime = {
        path: bodies
        for path, bodies in sent.items()
        if service_worker.matches(path.removeprefix(BASE_PATH), service_worker.ON_DEMAND)
    }
    twice = {path: bodies for path, bodies in runtime.items() if len(bodies) > 1}
    assert not twice, f"runtime files downloaded more than once: {twice}"
    # Every runtime file of the lab came, each exactly as big as in the site.
    assert sum(sum(bodies) for bodies in runtime.values()) == stated
    assert not handoff  # the hand-off cache was emptied into the service worker's
    expect_text = f"downloads about {stated / 1e6:.1f} MB the first time"
    assert expect_text in (SITE / "maze/play/index.html").read_text()


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
