"""Serve the built site on 127.0.0.1 and drive Debian's Chromium with Playwright.

Shared by the end-to-end tests and the benchmarks.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "site"
LOCAL_HOSTS = {"127.0.0.1", "localhost"}

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
        if candidate and (path := shutil.which(candidate) or (Path(candidate).exists() and candidate)):
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


@contextlib.contextmanager
def serve(directory: Path = SITE, extra: dict[str, Path] | None = None) -> Iterator[str]:
    """Serve `directory` on a free port of 127.0.0.1; yield its base URL.

    `extra` maps URL prefixes (such as "/__bench__/") to other folders.
    """
    if not (directory / "index.html").exists():
        raise RuntimeError(f"{directory} has no built site: run `make build` first")
    extra = extra or {}

    class Handler(_Handler):
        def translate_path(self, path):
            for prefix, folder in extra.items():
                if path.startswith(prefix):
                    return str(folder / urlparse(path).path[len(prefix) :])
            return super().translate_path(path)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(directory))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def is_local(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"data", "blob", "about"} or parsed.hostname in LOCAL_HOSTS
