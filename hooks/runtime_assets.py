"""MkDocs hook: put the in-browser runtime into the built site.

1. Copy the pinned runtime files (Pyodide core, KaTeX styles and fonts) out of
   node_modules into site/assets/vendor/. A missing file fails the build: the
   site must never fall back to fetching it from another host.
2. Bundle the site's own JavaScript (docs/js) with esbuild into
   site/assets/saferlhub/; CodeMirror comes in as a lazily loaded chunk (the maths
   is rendered at build time: hooks/katex_render.py).
3. Package the `saferlhub` Python package (pyscripts/) as a zip that the Python
   worker puts on Pyodide's sys.path; and the maze battery's held-out sets, drawn ahead
   of time by that very package (`saferlhub.maze.battery_sets`, in a fresh
   CPython so an edit is never served stale; redrawn only when the package
   changes), as assets/saferlhub/battery_sets.json for the out-of-distribution
   page.
3b. Copy every maze agent under models/ (its model card and the ONNX files the
   card names) into site/assets/models/<agent>/, with an index of the agents
   (assets/models/agents.json): an agent is any folder with a model_card.json,
   so a new one appears on the maze pages without code changes.
4. On pages that use Python, start the worker from the <head>, before the page's
   CSS and scripts load: docs/js/python-client.js adopts it.
5. On the maze lab's pages, say under "Try it" how much the lab downloads, from the
   sizes of the very files it fetches (maze_download_parts).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from mkdocs.exceptions import PluginError
from mkdocs.utils import get_relative_url

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
PYSCRIPTS = ROOT / "pyscripts"
JS_SOURCES = ROOT / "docs" / "js"
JS_ENTRIES = ["main.js", "python-worker.js"]

# Destination (under site/assets/vendor/) -> source (under node_modules/).
# A trailing slash copies a whole folder.
VENDOR_FILES = {
    "pyodide/pyodide.mjs": "pyodide/pyodide.mjs",
    "pyodide/pyodide.asm.mjs": "pyodide/pyodide.asm.mjs",
    "pyodide/pyodide.asm.wasm": "pyodide/pyodide.asm.wasm",
    "pyodide/python_stdlib.zip": "pyodide/python_stdlib.zip",
    "pyodide/pyodide-lock.json": "pyodide/pyodide-lock.json",
    "katex/katex.min.css": "katex/dist/katex.min.css",
    "katex/fonts/": "katex/dist/fonts/",
    # onnxruntime-web's wasm build only (not the WebGPU default); loaded lazily on the
    # maze pages by docs/js/onnx.js. The source map is fetched by developer tools only.
    "onnxruntime-web/ort.wasm.bundle.min.mjs": "onnxruntime-web/dist/ort.wasm.bundle.min.mjs",
    "onnxruntime-web/ort.wasm.bundle.min.mjs.map": (
        "onnxruntime-web/dist/ort.wasm.bundle.min.mjs.map"
    ),
    "onnxruntime-web/ort-wasm-simd-threaded.wasm": (
        "onnxruntime-web/dist/ort-wasm-simd-threaded.wasm"
    ),
}

MODELS = ROOT / "models"
# The model files a page loads, by their key in the card's "files" (q_patch: the
# microscope's activation patching, saferlhub.maze.interp).
MODEL_FILES = ("q_network", "q_gradient", "q_patch")
RANDOM_INIT_FOLDER = "interp"  # saferlhub.maze.interp.hooks.RANDOM_INIT_FOLDER

# Files the Python worker fetches while starting; their sizes drive its progress bar.
PYODIDE_FETCHED = ["pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]


def copy_vendor_files(node_modules: Path, dest: Path, files: dict[str, str] = VENDOR_FILES):
    """Copy each runtime file; raise PluginError naming every file that is missing."""
    missing = [src for src in files.values() if not (node_modules / src).exists()]
    if missing:
        raise PluginError(
            "runtime files missing from node_modules (run `npm ci`, or `make setup`): "
            + ", ".join(missing)
        )
    for target, src in files.items():
        out = dest / target
        if target.endswith("/"):
            shutil.copytree(node_modules / src, out, dirs_exist_ok=True)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(node_modules / src, out)


def package_python(package_root: Path) -> bytes:
    """Zip the Python sources under package_root, byte-for-byte reproducibly."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(package_root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            info = zipfile.ZipInfo(path.relative_to(package_root).as_posix(), (2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


BATTERY_SETS = "battery_sets.json"  # under assets/saferlhub/ (saferlhub.maze.battery_sets)
_battery_cache: dict[str, bytes] = {}


def battery_sets_json(package_root: Path = PYSCRIPTS / "saferlhub") -> bytes:
    """`saferlhub.maze.battery_sets.build()` as JSON, drawn by the package in a fresh
    CPython (cached while the maze code is unchanged, e.g. across `mkdocs serve` reloads)."""
    digest = hashlib.sha256()
    for path in sorted(package_root.rglob("*.py")):
        digest.update(path.read_bytes())
    key = digest.hexdigest()
    if key not in _battery_cache:
        result = subprocess.run(
            [
                sys.executable,
                "-c",
                "import json, sys; from saferlhub.maze import battery_sets; "
                "sys.stdout.write(json.dumps(battery_sets.build()))",
            ],
            capture_output=True,
            env={**os.environ, "PYTHONPATH": str(package_root.parent)},
        )
        if result.returncode != 0:
            raise PluginError(f"drawing the battery's maze sets failed:\n{result.stderr.decode()}")
        _battery_cache[key] = result.stdout
    return _battery_cache[key]


def copy_models(models: Path, dest: Path) -> dict:
    """Copy each agent's card and ONNX files; return the index written to dest/agents.json.

    Raises PluginError for a card that is not JSON or names a file that is missing.
    """
    agents = []
    for card_path in sorted(models.glob("*/model_card.json")):
        folder = card_path.parent
        try:
            card = json.loads(card_path.read_text())
            files = {key: card["files"][key]["path"] for key in MODEL_FILES}
        except (ValueError, KeyError, TypeError) as error:
            raise PluginError(f"{card_path}: not a model card ({error!r})") from error
        missing = [name for name in files.values() if not (folder / name).is_file()]
        if missing:
            raise PluginError(f"{folder}: files named by its model card are missing: {missing}")
        out = dest / folder.name
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(card_path, out / "model_card.json")
        # The microscope's "Over training" page loads the checkpoints the card lists.
        checkpoints = [entry["path"] for entry in card["files"].get("checkpoints", [])]
        for name in [*files.values(), *checkpoints]:
            (out / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(folder / name, out / name)
        agents.append(
            {"agent": folder.name, "name": card.get("name", folder.name), "card": "model_card.json"}
        )
    if not agents:
        raise PluginError(f"no model cards found under {models}")
    # Untrained networks of each agent's shape (no card): the probes' control.
    for network in sorted(models.glob(f"{RANDOM_INIT_FOLDER}/*.onnx")):
        (dest / RANDOM_INIT_FOLDER).mkdir(parents=True, exist_ok=True)
        shutil.copy2(network, dest / RANDOM_INIT_FOLDER / network.name)
    index = {"agents": agents}
    (dest / "agents.json").write_text(json.dumps(index, indent=1))
    return index


def agent_files(models: Path) -> list[Path]:
    """The model files the site copies for each agent (see copy_models)."""
    files = []
    for card_path in sorted(models.glob("*/model_card.json")):
        card = json.loads(card_path.read_text())
        files += [card_path.parent / card["files"][key]["path"] for key in MODEL_FILES]
    return files


def maze_download_parts(
    mazes: bytes, node_modules: Path = NODE_MODULES, models: Path = MODELS
) -> dict:
    """Bytes a first visit to the maze lab downloads, by part: the runtime files its pages
    fetch and that the service worker keeps for them (hooks/service_worker.py: ON_DEMAND
    and MAZE_LAB); `mazes` is battery_sets_json(). Source maps are left out: only
    developer tools fetch them."""

    def vendor(folder: str) -> int:
        return sum(
            (node_modules / src).stat().st_size
            for dest, src in VENDOR_FILES.items()
            if dest.startswith(folder) and not dest.endswith(".map")
        )

    networks = agent_files(models)
    return {
        "python": vendor("pyodide/"),
        "onnxruntime": vendor("onnxruntime-web/"),
        "agents": len(list(models.glob("*/model_card.json"))),
        "networks": sum(path.stat().st_size for path in networks),
        "mazes": len(mazes),
    }


COUNT_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def megabytes(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


def count_word(count: int) -> str:
    return COUNT_WORDS[count] if count < len(COUNT_WORDS) else f"{count:,}"


def maze_download_note(parts: dict) -> str:
    total = parts["python"] + parts["onnxruntime"] + parts["networks"] + parts["mazes"]
    agents = count_word(parts["agents"])
    return (
        f'<p class="saferlhub-download" data-bytes="{total}">The maze lab downloads about '
        f"{megabytes(total)} the first time you open one of its pages: "
        f"Python ({megabytes(parts['python'])}), "
        f"onnxruntime-web ({megabytes(parts['onnxruntime'])}), "
        f"the {agents} agents' networks ({megabytes(parts['networks'])}) "
        f"and the held-out mazes ({megabytes(parts['mazes'])}). "
        "Your browser keeps them for later visits and for offline use.</p>"
    )


MAZE_LAB_MARKER = 'data-python="maze-'
TRY_IT = re.compile(r'<h2 id="try-it">.*?</h2>', re.S)


def add_maze_download_note(output: str, page_path: str, note: str) -> str:
    """The note right under a maze page's "Try it" heading; a maze page without one fails."""
    if MAZE_LAB_MARKER not in output:
        return output
    heading = TRY_IT.search(output)
    if heading is None:
        raise PluginError(
            f"{page_path}: a maze lab page needs a 'Try it' heading for its download note"
        )
    return output[: heading.end()] + note + output[heading.end() :]


def pyodide_version(node_modules: Path) -> str:
    return json.loads((node_modules / "pyodide" / "package.json").read_text())["version"]


def bundle_javascript(out_dir: Path, build_info: dict) -> None:
    """Bundle docs/js with esbuild; build_info becomes the global constant BUILD_INFO."""
    esbuild = NODE_MODULES / ".bin" / "esbuild"
    if not esbuild.exists():
        raise PluginError("esbuild is missing from node_modules (run `npm ci`, or `make setup`)")
    command = [
        str(esbuild),
        *(str(JS_SOURCES / entry) for entry in JS_ENTRIES),
        "--bundle",
        "--format=esm",
        "--splitting",
        "--minify",
        "--sourcemap",
        "--target=es2022",
        "--log-level=warning",
        f"--outdir={out_dir}",
        "--entry-names=[name]",
        "--chunk-names=chunks/[name]-[hash]",
        f"--define:BUILD_INFO={json.dumps(build_info)}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise PluginError(f"esbuild failed:\n{result.stderr}")


def on_post_build(config):
    site = Path(config.site_dir)
    vendor = site / "assets" / "vendor"
    ours = site / "assets" / "saferlhub"
    copy_vendor_files(NODE_MODULES, vendor)
    copy_models(MODELS, site / "assets" / "models")

    # Zipped from pyscripts/ itself, so saferlhub/... is inside: the worker puts the zip
    # on sys.path and imports the package straight from it.
    archive = package_python(PYSCRIPTS)
    ours.mkdir(parents=True, exist_ok=True)
    (ours / "pyscripts.zip").write_bytes(archive)
    (ours / BATTERY_SETS).write_bytes(battery_sets_json())

    fetched = {name: (vendor / "pyodide" / name).stat().st_size for name in PYODIDE_FETCHED}
    fetched["pyscripts.zip"] = len(archive)
    build_info = {
        "pyodideVersion": pyodide_version(NODE_MODULES),
        "pyscriptsHash": hashlib.sha256(archive).hexdigest()[:12],
        "startupBytes": fetched,
    }
    bundle_javascript(ours, build_info)


# Markers of a page that needs Python (see docs/js/main.js, NEEDS_PYTHON).
NEEDS_PYTHON = ('class="pycell"', "data-python")
# Buffers the worker's messages until the page's client takes it over.
EARLY_START = """<script>
/* SafeRLHub: start Python at once; docs/js/python-client.js adopts this worker. */
(() => {{
  const url = new URL("{url}", location.href);
  // Not controlled by the service worker yet: Pyodide's files are handed over to it.
  const sw = navigator.serviceWorker;
  const handOver = sw && "caches" in window && !sw.controller;
  const name = handOver ? "saferlhub-python hand-over" : "saferlhub-python";
  const worker = new Worker(url, {{ type: "module", name }});
  const early = {{ worker, messages: [], error: null }};
  worker.onmessage = (event) => early.messages.push(event.data);
  worker.onerror = (event) => (early.error = event.message || "the Python worker failed to start");
  window.saferlhubEarlyPython = early;
{defer_search}
}})();
</script>"""

# Material's search worker builds the search index as the page loads, and on two cores
# that delayed Python's start (the playground's Python-ready figure, see its "How
# fast"). On a page that starts Python the theme gets a stand-in until Python is ready
# (or failed, or 30 s have passed), or at once when the reader goes to the search box;
# messages sent to it meanwhile wait. Every other worker is created as asked.
DEFER_SEARCH_WORKER = r"""  const PageWorker = window.Worker;
  let release = null;
  const released = new Promise((resolve) => (release = resolve));
  const onPython = ({ data }) => ["ready", "fatal"].includes(data?.type) && release();
  worker.addEventListener("message", onPython);
  worker.addEventListener("error", () => release());
  released.then(() => worker.removeEventListener("message", onPython));
  setTimeout(() => release(), 30000);
  const toSearch = (event) => event.target.closest?.("form[name=search]") && release();
  document.addEventListener("focusin", toSearch);
  window.Worker = function Worker(workerUrl, options) {
    if (!new.target) throw new TypeError("Failed to construct 'Worker': use the 'new' operator");
    const path = new URL(workerUrl, location.href).pathname;
    if (!/\/workers\/search\.[^/]*\.js$/.test(path)) {
      return new PageWorker(workerUrl, options);
    }
    const standIn = new EventTarget();
    const waiting = [];
    let real = null;
    let ended = false;
    released.then(() => {
      if (ended) return;
      real = new PageWorker(workerUrl, options);
      for (const type of ["message", "messageerror", "error"]) {
        const passOn = (event) => standIn.dispatchEvent(new event.constructor(type, event));
        real.addEventListener(type, passOn);
      }
      for (const message of waiting) real.postMessage(...message);
    });
    standIn.postMessage = (...message) => {
      if (real) real.postMessage(...message);
      else waiting.push(message);
    };
    standIn.terminate = () => {
      ended = true;
      real?.terminate();
    };
    return standIn;
  };
  window.Worker.prototype = PageWorker.prototype;"""


def early_start_script(page_url: str) -> str:
    return EARLY_START.format(
        url=get_relative_url("assets/saferlhub/python-worker.js", page_url),
        defer_search=DEFER_SEARCH_WORKER,  # a format argument: its braces stay as written
    )


_maze_note: str | None = None


def on_pre_build(config):
    global _maze_note
    _maze_note = None  # sizes read again on each (re)build


def on_post_page(output: str, page, config) -> str:
    global _maze_note
    if not any(marker in output for marker in NEEDS_PYTHON):
        return output
    if MAZE_LAB_MARKER in output:
        _maze_note = _maze_note or maze_download_note(maze_download_parts(battery_sets_json()))
        output = add_maze_download_note(output, page.file.src_uri, _maze_note)
    head = output.find("<head>")
    if head < 0:
        raise PluginError(f"{page.file.src_uri}: no <head> to start Python from")
    at = output.find(">", output.find("<meta", head)) + 1  # after the charset meta
    return output[:at] + early_start_script(page.url) + output[at:]


def on_serve(server, config, builder):
    # Rebuild when the Python package, the JS sources or these hooks change.
    for path in (PYSCRIPTS, JS_SOURCES, MODELS, Path(__file__).parent):
        server.watch(str(path))
    return server
