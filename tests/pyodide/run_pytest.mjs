// Run the pyscripts tests (tests/pyscripts) inside real Pyodide, in Node.js.
//
// Pyodide is the pinned npm copy the site ships. pytest and hypothesis are pure
// Python, so they are taken from the project's virtual environment (mounted
// read-only); nothing is downloaded. Extra arguments go to pytest, e.g.
//   node tests/pyodide/run_pytest.mjs -k blackjack
import { existsSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const libDir = join(root, ".venv", "lib");
const pythonDir = existsSync(libDir) && readdirSync(libDir).find((name) => name.startsWith("python3"));
if (!pythonDir) {
  console.error("No .venv found: run `make setup` first.");
  process.exit(2);
}
const sitePackages = join(libDir, pythonDir, "site-packages");

const pyodide = await loadPyodide();
const { FS } = pyodide;
for (const [host, mount] of [[root, "/repo"], [sitePackages, "/venv-site-packages"]]) {
  FS.mkdirTree(mount);
  FS.mount(FS.filesystems.NODEFS, { root: host }, mount);
}
// Raw writes (copied out of wasm memory), so pytest's progress dots stay on one line.
pyodide.setStdout({ write: (bytes) => (process.stdout.write(Buffer.from(bytes)), bytes.length) });
pyodide.setStderr({ write: (bytes) => (process.stderr.write(Buffer.from(bytes)), bytes.length) });

const args = ["/repo/tests/pyscripts", "-q", "-p", "no:cacheprovider", ...process.argv.slice(2)];
const exitCode = await pyodide.runPythonAsync(`
import os, sys
# The package under test first; the venv's pure-Python test tools last, so that
# Pyodide's own standard library always wins.
sys.path.insert(0, "/repo/pyscripts")
sys.path.append("/venv-site-packages")
os.chdir("/repo")
sys.dont_write_bytecode = True
import pytest
print("pytest in Pyodide", sys.version.split()[0], "on", sys.platform)
int(pytest.main(${JSON.stringify(args)}))
`);
process.exit(exitCode);
