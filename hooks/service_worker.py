"""MkDocs hook: the service worker that makes the built site work offline.

After the build (keep this hook last in mkdocs.yml: it hashes the finished files),

1. sort the site's files into
   - the core, precached when the service worker installs: every page, CSS and
     JS, the search index, woff2 fonts, pyscripts.zip;
   - on-demand runtimes (Pyodide, onnxruntime-web, any .wasm or .onnx, the maze
     battery's sets): cached only once a page has used them, so text pages never
     download them;
   - files no browser fetches here (source maps, other font formats, lunr's
     non-English tokenisers), left out;
2. bundle docs/js/service-worker.js with esbuild (Workbox 7 from node_modules,
   nothing from a CDN), with the on-demand files and their content hashes, and
   those a maze page has kept in full (MAZE_LAB: every agent, onnxruntime-web);
3. let workbox-build's injectManifest add the precache manifest (URL and content
   hash of each core file) and write site/sw.js.

A core file over MAX_PRECACHED_FILE_BYTES, or a core over PRECACHE_BUDGET_BYTES,
fails the build: a big new file must be classified on purpose (ON_DEMAND or
EXCLUDED), because every first visit downloads the core.

`mkdocs serve` gets a service worker that unregisters itself instead, so live
reload never competes with a cache.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from functools import cache
from pathlib import Path

from mkdocs.exceptions import PluginError

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
SOURCE = ROOT / "docs" / "js" / "service-worker.js"
SW_NAME = "sw.js"

# Glob patterns relative to the site root ("**" spans folders, "*" does not).
ON_DEMAND = [
    "assets/vendor/pyodide/**",
    "assets/vendor/onnxruntime-web/**",
    "**/*.wasm",
    "**/*.onnx",
    "assets/saferlhub/battery_sets.json",  # the out-of-distribution page's only
]
# On-demand files every maze page asks the service worker to keep (each agent's
# networks and the runtime that runs them), so an agent never run online runs offline.
# Only the networks the card names (q_*.onnx): checkpoints/ and interp/ are the
# microscope's, cached once its pages use them.
MAZE_LAB = [
    "assets/models/*/q*.onnx",
    "assets/vendor/onnxruntime-web/**",
    "assets/saferlhub/battery_sets.json",
]
EXCLUDED = [
    SW_NAME,
    "**/*.map",
    "sitemap.xml.gz",
    # Material's tokenisers for languages other than English: never loaded here.
    "assets/javascripts/lunr/**",
    # Browsers that run this site take KaTeX's woff2 fonts, listed first.
    "assets/vendor/katex/fonts/*.ttf",
    "assets/vendor/katex/fonts/*.woff",
]
MAX_PRECACHED_FILE_BYTES = 2 * 2**20
PRECACHE_BUDGET_BYTES = 5 * 2**20

# Stands in for the real service worker under `mkdocs serve`.
SELF_UNREGISTERING = """// mkdocs serve: no offline cache while editing; drop any a build left.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.map((key) => caches.delete(key))))
      .then(() => self.registration.unregister()),
  );
});
"""

_serving = False


@cache
def _pattern(glob: str) -> re.Pattern:
    parts = re.split(r"(\*\*/|\*\*|\*)", glob)
    table = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*"}
    return re.compile("".join(table.get(part, re.escape(part)) for part in parts) + r"\Z")


def matches(path: str, globs: list[str]) -> bool:
    return any(_pattern(glob).match(path) for glob in globs)


def classify(site: Path) -> dict[str, list[str]]:
    """Every file of the site (relative POSIX paths, sorted) by how it is cached."""
    groups: dict[str, list[str]] = {"core": [], "on_demand": [], "excluded": []}
    for path in sorted(p for p in site.rglob("*") if p.is_file()):
        rel = path.relative_to(site).as_posix()
        group = (
            "excluded"
            if matches(rel, EXCLUDED)
            else "on_demand"
            if matches(rel, ON_DEMAND)
            else "core"
        )
        groups[group].append(rel)
    return groups


def content_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()[:16]


def check_core(site: Path, core: list[str]) -> None:
    sizes = {rel: (site / rel).stat().st_size for rel in core}
    too_big = [
        f"{rel} ({size / 2**20:.1f} MiB)"
        for rel, size in sizes.items()
        if size > MAX_PRECACHED_FILE_BYTES
    ]
    if too_big:
        raise PluginError(
            "service worker: files too big to precache on every first visit: "
            + ", ".join(too_big)
            + "; add them to ON_DEMAND (cached once used) or EXCLUDED in hooks/service_worker.py"
        )
    total = sum(sizes.values())
    if total > PRECACHE_BUDGET_BYTES:
        raise PluginError(
            f"service worker: the precached core is {total / 2**20:.1f} MiB, over the "
            f"{PRECACHE_BUDGET_BYTES / 2**20:.0f} MiB budget (hooks/service_worker.py)"
        )


def bundle(on_demand: dict[str, str], out: Path) -> None:
    maze_files = [path for path in sorted(on_demand) if matches(path, MAZE_LAB)]
    esbuild = NODE_MODULES / ".bin" / "esbuild"
    if not esbuild.exists():
        raise PluginError("esbuild is missing from node_modules (run `npm ci`, or `make setup`)")
    command = [
        str(esbuild),
        str(SOURCE),
        "--bundle",
        "--format=iife",
        "--minify",
        "--target=es2022",
        "--log-level=warning",
        f"--outfile={out}",
        f"--define:ON_DEMAND={json.dumps(on_demand, sort_keys=True)}",
        f"--define:MAZE_FILES={json.dumps(maze_files)}",
        '--define:process.env.NODE_ENV="production"',  # Workbox's quiet production build
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if result.returncode != 0:
        raise PluginError(f"esbuild failed on the service worker:\n{result.stderr}")


# workbox-build's injectManifest, run by Node.js; reads its options as JSON on stdin.
INJECT = """
const { injectManifest } = require("workbox-build");
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  try {
    const options = JSON.parse(input);
    options.dontCacheBustURLsMatching = new RegExp(options.dontCacheBustURLsMatching);
    const result = await injectManifest(options);
    process.stdout.write(JSON.stringify(result));
  } catch (error) {
    process.stderr.write(String(error?.stack ?? error));
    process.exit(1);
  }
});
"""


def inject_manifest(site: Path, source: Path, ignores: list[str]) -> dict:
    options = {
        "swSrc": str(source),
        "swDest": str(site / SW_NAME),
        "globDirectory": str(site),
        "globPatterns": ["**/*"],
        "globIgnores": ignores,
        "maximumFileSizeToCacheInBytes": MAX_PRECACHED_FILE_BYTES,
        # Hashed names (Material's bundle.<hash>.min.js, our chunks/<name>-<hash>.js)
        # need no separate revision.
        "dontCacheBustURLsMatching": r"\.[0-9a-f]{8}\.min\.(js|css)$|-[0-9A-Z]{8}\.js$",
    }
    result = subprocess.run(
        ["node", "-e", INJECT],
        input=json.dumps(options),
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if result.returncode != 0:
        raise PluginError(f"workbox-build injectManifest failed:\n{result.stderr}")
    return json.loads(result.stdout)


def build_service_worker(site: Path) -> dict:
    """Write site/sw.js; return what it precaches and what it caches on demand."""
    groups = classify(site)
    check_core(site, groups["core"])
    on_demand = {rel: content_hash(site / rel) for rel in groups["on_demand"]}
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "service-worker.js"
        bundle(on_demand, source)
        result = inject_manifest(site, source, EXCLUDED + ON_DEMAND)
    if result.get("warnings"):
        raise PluginError("workbox-build: " + "; ".join(result["warnings"]))
    if result["count"] != len(groups["core"]):
        raise PluginError(
            f"service worker: workbox-build precached {result['count']} files, "
            f"hooks/service_worker.py expected {len(groups['core'])}"
        )
    return {
        "core": groups["core"],
        "core_bytes": result["size"],
        "on_demand": on_demand,
        "maze": [path for path in sorted(on_demand) if matches(path, MAZE_LAB)],
    }


def on_startup(command, dirty):
    global _serving
    _serving = command == "serve"


def on_post_build(config):
    site = Path(config.site_dir)
    if _serving:
        (site / SW_NAME).write_text(SELF_UNREGISTERING)
        return
    build_service_worker(site)
