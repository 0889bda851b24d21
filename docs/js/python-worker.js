// The site's Python: Pyodide in a Web Worker. Page code talks to it through
// python-client.js. It loads the pinned Pyodide copied into the site, puts the
// `saferlhub` package's zip on sys.path, then serves requests one at a time:
//   {id, type: "run", code, namespace, filename}   a reader's code cell
//   {id, type: "call", fn, kwargs}                 a saferlhub function (JSON in/out;
//                                                  typed arrays cross as bytes)
// and answers with "status", "ready", "fetched" (the files it loaded), "fatal" and
// per-request "output", "truncated", "notice", "progress", "done" and "error" messages.

/* global BUILD_INFO */
const INFO = BUILD_INFO;
const PYODIDE_BASE = new URL("../vendor/pyodide/", self.location.href);
const PYSCRIPTS_URL = new URL(`pyscripts.zip?v=${INFO.pyscriptsHash}`, self.location.href);
const PYSCRIPTS_PATH = "/home/pyodide/pyscripts.zip"; // on sys.path: saferlhub/... inside
// Packages beyond the core (numpy, ...) only exist on Pyodide's CDN; the site's
// demos never need them, readers' cells may.
const PACKAGE_CDN = `https://cdn.jsdelivr.net/pyodide/v${INFO.pyodideVersion}/full/`;
const MAX_OUTPUT_CHARS = 200_000; // per run: beyond this the page would freeze
const FLUSH_CHARS = 8_192;
const FLUSH_MS = 50;

const post = (message, transfer = []) => self.postMessage(message, transfer);

// On a page no service worker controls yet (a first visit), each file is copied into
// the hand-off cache as it arrives, for the service worker to keep without a second
// download (docs/js/offline.js and service-worker.js; the page names this worker so).
const HANDOFF_CACHE = "saferlhub-handoff";
const handingOver = self.name.endsWith(" hand-over") && "caches" in self;
const handoffs = [];
function handOver(response) {
  if (!handingOver || !response.ok || !response.url.startsWith(PYODIDE_BASE.href)) return;
  const { origin, pathname } = new URL(response.url);
  const copy = response.clone();
  handoffs.push(caches.open(HANDOFF_CACHE).then((cache) => cache.put(origin + pathname, copy)).catch(() => {}));
}
let startError = null; // why start() failed, once it has

// ---- start-up progress -------------------------------------------------------
// Two stages a reader can see: downloading (the bytes of the files Pyodide fetches,
// counted as they arrive: a percentage), then compiling and starting Python, which
// takes seconds more with no byte to count: its own stage, without a percentage.
const expectedBytes = Object.values(INFO.startupBytes).reduce((a, b) => a + b, 0);
let loadedBytes = 0;
let lastReport = 0;
let downloaded = false;
function reportLoading(stage, force = false) {
  if (startError) return; // the start failed: a download finishing late changes nothing
  const now = performance.now();
  if (!force && now - lastReport < 100) return;
  lastReport = now;
  post({ type: "status", state: "loading", stage, fraction: Math.min(loadedBytes / expectedBytes, 0.99) });
}
function reportStage(stage) {
  if (startError) return;
  lastReport = performance.now();
  post({ type: "status", state: "loading", stage, fraction: null });
}

const realFetch = self.fetch.bind(self);
async function countingFetch(input, init) {
  const response = await realFetch(input, init);
  if (!response.ok || !response.body) return response;
  handOver(response);
  const counter = new TransformStream({
    transform(chunk, controller) {
      loadedBytes += chunk.byteLength;
      if (!downloaded) reportLoading("downloading");
      controller.enqueue(chunk);
    },
    flush() {
      if (!downloaded && loadedBytes >= expectedBytes) {
        downloaded = true;
        reportStage("compiling");
      }
    },
  });
  return new Response(response.body.pipeThrough(counter), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

let pyodide;
let runtime;

async function start() {
  const t0 = performance.now();
  reportLoading("downloading", true);
  self.fetch = countingFetch;
  // Fetched alongside Pyodide rather than after it.
  const archiveBuffer = fetch(PYSCRIPTS_URL).then((response) => {
    if (!response.ok) throw new Error(`${PYSCRIPTS_URL}: HTTP ${response.status}`);
    return response.arrayBuffer();
  });
  archiveBuffer.catch(() => {}); // reported below, once awaited
  try {
    // Pyodide's two modules are also fetched beside their imports: a failed fetch
    // rejects at once, while a failed dynamic import in a worker was seen to never
    // settle (Chromium, requests refused by the test harness), which would leave the
    // reader on "downloading" for ever. Fetching them first instead, then importing,
    // delayed the big downloads by one round trip and 1.3 MB; the browser's cache
    // serves each module once to both requests.
    const modulesFetched = Promise.all(
      ["pyodide.mjs", "pyodide.asm.mjs"].map(async (name) => {
        const response = await realFetch(new URL(name, PYODIDE_BASE));
        if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
        handOver(response);
        await response.arrayBuffer();
      }),
    );
    const unlessAFetchFailed = (promise) => Promise.race([promise, modulesFetched.then(() => promise)]);
    const { loadPyodide } = await unlessAFetchFailed(import(new URL("pyodide.mjs", PYODIDE_BASE).href));
    pyodide = await unlessAFetchFailed(
      loadPyodide({
        indexURL: PYODIDE_BASE.href,
        packageBaseUrl: PACKAGE_CDN,
      }),
    );
    downloaded = true;
    reportStage("loading SafeRLHub");
    // The package is imported from its zip (CPython's built-in zipimport), not unpacked
    // with Python's zipfile first: from Pyodide loaded to saferlhub.runtime imported took
    // 8-10 ms instead of 29-31 ms (Chromium, three cold loads each).
    pyodide.FS.writeFile(PYSCRIPTS_PATH, new Uint8Array(await archiveBuffer));
    pyodide.runPython(`import sys; sys.path.insert(0, ${JSON.stringify(PYSCRIPTS_PATH)})`);
    runtime = pyodide.pyimport("saferlhub.runtime");
  } finally {
    self.fetch = realFetch;
  }
  pyodide.setStdout({ write: (bytes) => output.write("stdout", bytes) });
  pyodide.setStderr({ write: (bytes) => output.write("stderr", bytes) });
  const version = pyodide.runPython("import sys; sys.version.split()[0]");
  // What this worker fetched, so that docs/js/offline.js can keep it for offline use.
  const fetched = performance.getEntriesByType("resource").map((entry) => entry.name);
  fetched.push(new URL("pyodide.mjs", PYODIDE_BASE).href, new URL("pyodide.asm.mjs", PYODIDE_BASE).href);
  for (const name of Object.keys(INFO.startupBytes)) {
    if (name !== "pyscripts.zip") fetched.push(new URL(name, PYODIDE_BASE).href);
  }
  post({ type: "ready", python: version, pyodide: pyodide.version, ms: performance.now() - t0 });
  // Named once their hand-over copies are written (the page then asks the service
  // worker to keep them); Python does not wait for the copies.
  Promise.all(handoffs).then(() => post({ type: "fetched", fetched: [...new Set(fetched)] }));
}

// ---- streamed output, batched and capped ------------------------------------
const output = {
  id: null,
  chunks: [], // [stream, text] pairs, consecutive same-stream text merged
  pending: 0,
  total: 0,
  truncated: false,
  lastFlush: 0,
  decoders: {},
  begin(id) {
    Object.assign(this, { id, chunks: [], pending: 0, total: 0, truncated: false });
    this.lastFlush = performance.now();
    this.decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };
  },
  write(stream, bytes) {
    if (this.id === null || this.truncated) return bytes.length;
    let text = this.decoders[stream].decode(bytes, { stream: true });
    if (this.total + text.length > MAX_OUTPUT_CHARS) {
      text = text.slice(0, MAX_OUTPUT_CHARS - this.total);
      this.truncated = true;
    }
    this.total += text.length;
    const last = this.chunks[this.chunks.length - 1];
    if (last && last[0] === stream) last[1] += text;
    else this.chunks.push([stream, text]);
    this.pending += text.length;
    if (this.truncated) {
      this.flush();
      post({ id: this.id, type: "truncated", limit: MAX_OUTPUT_CHARS });
    } else if (this.pending > FLUSH_CHARS || performance.now() - this.lastFlush > FLUSH_MS) {
      this.flush();
    }
    return bytes.length;
  },
  flush() {
    if (this.chunks.length) post({ id: this.id, type: "output", chunks: this.chunks });
    this.chunks = [];
    this.pending = 0;
    this.lastFlush = performance.now();
  },
  end() {
    this.flush();
    this.id = null;
  },
};

// ---- requests ---------------------------------------------------------------
async function loadImportedPackages(id, code) {
  const failures = [];
  await pyodide.loadPackagesFromImports(code, {
    messageCallback: () => {},
    errorCallback: (message) => failures.push(message),
  });
  if (!failures.length) return;
  const proxy = runtime.missing_modules(code);
  const missing = proxy.toJs();
  proxy.destroy();
  if (!missing.length) return;
  const names = missing.map((name) => `\`${name}\``).join(", ");
  post({
    id,
    type: "notice",
    text:
      `${names} could not be loaded. This site ships only Pyodide's core Python, so ` +
      `that it works offline; extra packages such as numpy come from Pyodide's package ` +
      `CDN (cdn.jsdelivr.net), which could not be reached. Connect to the internet and ` +
      `run the cell again. The site's own demos never need them.`,
  });
}

async function handleRun({ id, code, namespace, filename }) {
  await loadImportedPackages(id, code);
  output.begin(id);
  let result;
  try {
    const proxy = await runtime.run_cell(code, namespace ?? null, filename);
    result = proxy.toJs({ dict_converter: Object.fromEntries });
    proxy.destroy();
  } finally {
    output.end();
  }
  post({ id, type: "done", result });
}

// Typed arrays cross to and from Python as bytes, not as JSON text: in the JSON each
// stands as {"$bytes": i}, the i-th buffer passed beside it (saferlhub/runtime.py's call).
const BYTES_KEY = "$bytes";
const isBytesPlaceholder = (value) =>
  value !== null && typeof value === "object" && BYTES_KEY in value && Object.keys(value).length === 1;

function handleCall({ id, fn, kwargs }) {
  const progress = (eventJson) => post({ id, type: "progress", event: JSON.parse(eventJson) });
  const sent = [];
  const json = JSON.stringify(kwargs ?? {}, (key, value) =>
    ArrayBuffer.isView(value) ? { [BYTES_KEY]: sent.push(value) - 1 } : value,
  );
  const reply = runtime.call(fn, json, progress, sent);
  const [resultJson, buffers] = reply.toJs(); // the result's bytes, as Uint8Arrays (copies)
  reply.destroy();
  const result = JSON.parse(resultJson, (key, value) => (isBytesPlaceholder(value) ? buffers[value[BYTES_KEY]] : value));
  post({ id, type: "done", result }, buffers.map((bytes) => bytes.buffer));
}

const handlers = { run: handleRun, call: handleCall };
const ready = start().catch((error) => {
  startError = String(error?.message ?? error);
  post({ type: "fatal", message: startError });
});

// Requests are served strictly one after another, after start-up. If Python never
// started, each is answered with an error at once rather than never.
let queue = ready;
self.onmessage = ({ data }) => {
  queue = queue.then(async () => {
    try {
      if (startError) throw new Error(`Python failed to start: ${startError}`);
      await handlers[data.type](data);
    } catch (error) {
      post({ id: data.id, type: "error", message: String(error?.message ?? error) });
    }
  });
};
