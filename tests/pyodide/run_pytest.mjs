// Run the pyscripts tests (tests/pyscripts) inside real Pyodide, in Node.js.
//
// Pyodide is the pinned npm copy the site ships. pytest and hypothesis are pure
// Python, so they are taken from the project's virtual environment (mounted
// read-only); nothing is downloaded. Extra arguments go to pytest, e.g.
//   node tests/pyodide/run_pytest.mjs -k blackjack
//
// Pyodide uses one core, so on a machine with more the tests are shared out over
// one Node.js process per core, at most PYODIDE_SHARDS (default 2; tests/pyodide/
// shard.py says how); each process's report is printed when it ends.
import { spawn } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";

const SHARD = process.env.SAFERLHUB_PYODIDE_SHARD; // "k/n", set for the processes started below
const shards = Math.min(Number(process.env.PYODIDE_SHARDS ?? 2), availableParallelism());
if (!SHARD && shards > 1) process.exit(await runShards(shards));

/** Run n copies of this script, one shard each; print each one's output when it ends.
 *  Exit code: 0 if every shard passed (or had nothing to run), else the worst. */
async function runShards(n) {
  console.log(`pytest in Pyodide, ${n} processes (one per core), each with a share of the tests`);
  const runs = Array.from({ length: n }, (_, k) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
      env: { ...process.env, SAFERLHUB_PYODIDE_SHARD: `${k}/${n}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = [];
    child.stdout.on("data", (chunk) => output.push(chunk));
    child.stderr.on("data", (chunk) => output.push(chunk));
    return new Promise((done) =>
      child.on("close", (code, signal) => {
        process.stdout.write(`\n---- share ${k + 1} of ${n} ----\n`);
        process.stdout.write(Buffer.concat(output));
        done(code ?? (signal ? 1 : 0));
      }),
    );
  });
  const codes = await Promise.all(runs);
  const NO_TESTS = 5; // pytest: nothing collected (e.g. -k matched only the other shards' tests)
  const failed = codes.filter((code) => code !== 0 && code !== NO_TESTS);
  if (failed.length) return Math.max(...failed);
  return codes.includes(0) ? 0 : NO_TESTS;
}

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
plugins = []
if ${JSON.stringify(SHARD ?? "")}:
    sys.path.insert(0, "/repo/tests/pyodide")
    from shard import Shard
    plugins.append(Shard(*map(int, ${JSON.stringify(SHARD ?? "0/1")}.split("/"))))
int(pytest.main(${JSON.stringify(args)}, plugins=plugins))
`);
process.exit(exitCode);
