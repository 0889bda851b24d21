"""hooks/service_worker.py: what the service worker precaches, and the file it writes."""

import hashlib
import json
import re

import pytest
import service_worker
from mkdocs.exceptions import PluginError


def make_site(root, files):
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return root


SMALL_SITE = {
    "index.html": "<h1>Home</h1>",
    "404.html": "<h1>404</h1>",
    "lesson/index.html": "<h1>Lesson</h1>",
    "search/search_index.json": "{}",
    "assets/saferlhub/main.js": "console.log(1)",
    "assets/saferlhub/main.js.map": "{}",
    "assets/vendor/pyodide/pyodide.asm.wasm": b"\0asm" + b"\0" * 100,
    "assets/vendor/pyodide/pyodide.mjs": "export {}",
    "assets/vendor/katex/fonts/KaTeX_Main-Regular.woff2": b"woff2",
    "assets/vendor/katex/fonts/KaTeX_Main-Regular.ttf": b"ttf",
    "assets/models/agent/q.onnx": b"onnx",
}


@pytest.mark.parametrize(
    ("path", "glob", "expected"),
    [
        ("a/b/c.map", "**/*.map", True),
        ("c.map", "**/*.map", True),
        ("assets/vendor/pyodide/x/y.js", "assets/vendor/pyodide/**", True),
        ("assets/vendor/pyodide2/y.js", "assets/vendor/pyodide/**", False),
        ("assets/vendor/katex/fonts/a.ttf", "assets/vendor/katex/fonts/*.ttf", True),
        ("assets/vendor/katex/fonts/x/a.ttf", "assets/vendor/katex/fonts/*.ttf", False),
        ("sw.js", "sw.js", True),
        ("a/sw.js", "sw.js", False),
    ],
)
def test_globs_match_as_workbox_reads_them(path, glob, expected):
    assert service_worker.matches(path, [glob]) is expected


def test_pages_and_assets_are_core_runtimes_on_demand_maps_left_out(tmp_path):
    groups = service_worker.classify(make_site(tmp_path, SMALL_SITE))
    assert groups["core"] == [
        "404.html",
        "assets/saferlhub/main.js",
        "assets/vendor/katex/fonts/KaTeX_Main-Regular.woff2",
        "index.html",
        "lesson/index.html",
        "search/search_index.json",
    ]
    assert groups["on_demand"] == [
        "assets/models/agent/q.onnx",
        "assets/vendor/pyodide/pyodide.asm.wasm",
        "assets/vendor/pyodide/pyodide.mjs",
    ]
    assert "assets/saferlhub/main.js.map" in groups["excluded"]


def test_a_big_unclassified_file_fails_the_build_and_says_where_to_classify_it(tmp_path):
    site = make_site(tmp_path, {"index.html": "x", "assets/huge.bin": b"\0" * (3 * 2**20)})
    groups = service_worker.classify(site)
    with pytest.raises(PluginError, match=r"assets/huge.bin \(3.0 MiB\).*ON_DEMAND"):
        service_worker.check_core(site, groups["core"])


def test_the_service_worker_precaches_the_core_and_knows_the_on_demand_files(tmp_path):
    site = make_site(tmp_path, SMALL_SITE)
    result = service_worker.build_service_worker(site)
    sw = (site / "sw.js").read_text()
    # Workbox's runtime is bundled in: nothing is imported from another host.
    assert "importScripts(" not in sw
    # The one address in it is a link inside one of Workbox's error messages.
    assert set(re.findall(r"https?://[^\s\"'`]+", sw)) <= {"https://bit.ly/wb-precache"}
    manifest = json.loads(re.search(r"\[\{.*?\}\]", sw).group(0))
    assert sorted(entry["url"] for entry in manifest) == result["core"]
    assert all(entry["revision"] for entry in manifest)
    # Each on-demand file with its content hash; a changed file gets a new one.
    assert set(result["on_demand"]) == {
        "assets/models/agent/q.onnx",
        "assets/vendor/pyodide/pyodide.asm.wasm",
        "assets/vendor/pyodide/pyodide.mjs",
    }
    for path, revision in result["on_demand"].items():
        assert f'"{path}":"{revision}"' in sw
    # A maze page keeps every agent's files (so one never run online runs offline).
    assert result["maze"] == ["assets/models/agent/q.onnx"]
    assert '["assets/models/agent/q.onnx"]' in sw
    # The revision the worker checks a handed-over copy against is the one it stores.
    wasm = site / "assets/vendor/pyodide/pyodide.asm.wasm"
    assert (
        result["on_demand"]["assets/vendor/pyodide/pyodide.asm.wasm"]
        == (hashlib.sha256(wasm.read_bytes()).hexdigest()[:16])
    )
    (site / "assets/vendor/pyodide/pyodide.mjs").write_text("export const changed = 1")
    again = service_worker.build_service_worker(site)
    changed = {p for p in again["on_demand"] if again["on_demand"][p] != result["on_demand"][p]}
    assert changed == {"assets/vendor/pyodide/pyodide.mjs"}


def test_mkdocs_serve_gets_a_service_worker_that_removes_itself(tmp_path, monkeypatch):
    class Config:
        site_dir = str(tmp_path)

    service_worker.on_startup(command="serve", dirty=False)
    try:
        service_worker.on_post_build(Config())
    finally:
        service_worker.on_startup(command="build", dirty=False)
    sw = (tmp_path / "sw.js").read_text()
    assert "unregister()" in sw and "__WB_MANIFEST" not in sw
