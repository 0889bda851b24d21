"""Serve the built site on 127.0.0.1 and drive Debian's Chromium with Playwright.

Shared by the end-to-end tests and the benchmarks.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
# SITE_DIR lets several builds (e.g. parallel work) use their own folder; make passes it on.
SITE = Path(os.environ.get("SITE_DIR") or ROOT / "site").resolve()
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Where GitHub Pages serves the site. The test server serves it under the same
# path, because instant navigation only follows links that match sitemap.xml.
SITE_URL = re.search(r"^site_url:\s*(\S+)", (ROOT / "mkdocs.yml").read_text(), re.M).group(1)
BASE_PATH = urlparse(SITE_URL).path

# Chromium's own background traffic (updates, sync, field trials) would otherwise
# try to reach Google's servers; the machine's network refuses it anyway.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def find_chromium() -> str:
    """Debian's chromium, or the browser named by $CHROMIUM_PATH."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), "chromium", "chromium-browser"):
        if candidate and (
            path := shutil.which(candidate) or (Path(candidate).exists() and candidate)
        ):
            return str(path)
    raise RuntimeError("no Chromium found: run `make chromium` (apt-get install chromium)")


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
    }

    def log_message(self, format, *args):  # keep test output readable
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    bytes_sent = 0  # response bodies, for the benchmarks
    # (URL path, body bytes) of every response, for the benchmarks; reset it with bytes_sent.
    responses: list[tuple[str, int]]

    def handle_error(self, request, client_address):
        # A browser closing a connection mid-download (a page navigated away) is normal.
        pass


@contextlib.contextmanager
def serve(directory: Path = SITE, extra: dict[str, Path] | None = None) -> Iterator[str]:
    """Serve the built site as `site_server` does; yield the site's URL."""
    with site_server(directory, extra) as server:
        yield server.url


@contextlib.contextmanager
def site_server(directory: Path = SITE, extra: dict[str, Path] | None = None) -> Iterator[_Server]:
    """Serve the built site under BASE_PATH on a free port of 127.0.0.1, as GitHub
    Pages would at SITE_URL; yield the server (its `url`, its `bytes_sent`).

    `extra` maps other URL prefixes (such as "/__bench__/") to folders.
    """
    if not (directory / "index.html").exists():
        raise RuntimeError(f"{directory} has no built site: run `make build` first")
    extra = extra or {}

    class Handler(_Handler):
        def translate_path(self, path):
            path = urlparse(path).path
            for prefix, folder in extra.items():
                if path.startswith(prefix):
                    return str(folder / path[len(prefix) :])
            if not path.startswith(BASE_PATH):
                return str(directory / "__not_under_the_site_path__")
            return super().translate_path("/" + path[len(BASE_PATH) :])

        def do_GET(self):
            if urlparse(self.path).path != BASE_PATH + "sitemap.xml":
                return super().do_GET()
            # The sitemap names pages at SITE_URL; name them at this server instead.
            own_url = f"http://127.0.0.1:{self.server.server_address[1]}{BASE_PATH}"
            body = (directory / "sitemap.xml").read_text().replace(SITE_URL, own_url).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.server.bytes_sent += len(body)

        def copyfile(self, source, outputfile):
            before = source.tell()
            super().copyfile(source, outputfile)
            self.server.bytes_sent += source.tell() - before
            self.server.responses.append((urlparse(self.path).path, source.tell() - before))

    server = _Server(("127.0.0.1", 0), functools.partial(Handler, directory=str(directory)))
    server.responses = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}{BASE_PATH}"
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"data", "blob", "about"} or parsed.hostname in LOCAL_HOSTS


def watch_states(locator, attribute: str = "data-state") -> None:
    """Record every value the element's `attribute` takes from now on. A quick run's
    "running" can come and go between two polls of `expect`; `saw_state` still sees it."""
    locator.evaluate(
        """(el, name) => {
            el.saferlhubStates = [];
            new MutationObserver(() => el.saferlhubStates.push(el.getAttribute(name)))
                .observe(el, { attributes: true, attributeFilter: [name] });
        }""",
        attribute,
    )


def saw_state(locator, state: str, timeout: float = 30_000) -> None:
    """Wait until the element watched by `watch_states` has taken `state`."""
    locator.page.wait_for_function(
        "([el, state]) => el.saferlhubStates.includes(state)",
        arg=[locator.element_handle(), state],
        timeout=timeout,
    )
