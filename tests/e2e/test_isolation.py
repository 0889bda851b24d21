"""Cross-origin isolation from the service worker, and the same numbers with threads.

GitHub Pages sends no COOP/COEP headers; the site's service worker adds them to what it
serves, so a page it controls from the start is crossOriginIsolated and onnxruntime-web
runs on several threads (docs/js/onnx.js). The first visit is not isolated. Either way
the agents must play exactly the same episodes.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import PYTHON_READY_TIMEOUT_MS

pytestmark = [pytest.mark.e2e, pytest.mark.service_workers]

RUN = """async (args) => {
  const { result } = await window.saferlhubMaze.runStepper("battery", args);
  return result;
}"""
BATTERY = {"agents": ["natural", "planted", "remedy"], "count": 40, "seed": 1, "chunk": 40}


def ort_threads(page) -> list[str]:
    """onnxruntime-web's WebAssembly threads (workers started from its module)."""
    return [w.url for w in page.workers if "onnxruntime-web" in w.url]


def ready_ood_page(page, site_url):
    page.goto(site_url + "maze/ood/")
    page.locator('[data-python="maze-ood"][data-state="ready"]').wait_for(
        timeout=PYTHON_READY_TIMEOUT_MS
    )


def test_the_service_worker_isolates_the_page_and_threads_change_no_number(page, site_url):
    ready_ood_page(page, site_url)
    assert page.evaluate("self.crossOriginIsolated") is False  # a first visit
    single_thread = page.evaluate(RUN, BATTERY)
    assert not ort_threads(page)

    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=60_000)
    page.reload()
    ready_ood_page(page, site_url)
    assert page.evaluate("self.crossOriginIsolated") is True
    assert page.evaluate("typeof SharedArrayBuffer") == "function"
    threaded = page.evaluate(RUN, BATTERY)
    assert ort_threads(page), "onnxruntime-web started no thread of its own"

    assert threaded == single_thread
    assert threaded["done"] == BATTERY["count"]
