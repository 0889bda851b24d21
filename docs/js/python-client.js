// The page's handle on the Python worker. One instance per browser tab, kept
// across Material's instant navigation so Python loads once per visit.
//
//   const python = getPython();
//   await python.run(code, { namespace, filename, onOutput, onNotice, onTruncated });
//   await python.call("saferlhub.bandit.run_testbed", { runs: 50 }, { onProgress });
//   python.stop();   // terminate, reject what is pending, start a fresh worker
//   python.retry();  // after Python failed to start: try again
//
// Events (python.addEventListener): "status" ({state, fraction, stage, message}),
// "reset" (after stop() and retry()), "fetched" (the URLs the worker loaded, once ready).
//
// If Python failed to start (offline before its files were cached, say), it is dead:
// every request fails at once with PythonUnavailable, whose message says to retry,
// instead of waiting for an answer that never comes.

import { assetUrl } from "./assets.js";

export class PythonStopped extends Error {
  constructor() {
    super("Python was stopped and restarted; its variables are gone.");
    this.name = "PythonStopped";
  }
}

export class PythonError extends Error {
  constructor(message) {
    super(message);
    this.name = "PythonError";
  }
}

export class PythonUnavailable extends PythonError {
  constructor(reason) {
    super(
      `Python is not running: it failed to start (${reason}). ` +
        "Press Retry on the Python status at the bottom of the page to try again" +
        (navigator.onLine === false ? " once you are online." : "."),
    );
    this.name = "PythonUnavailable";
  }
}

// Offline before any page with Python was opened online (docs/js/offline.js keeps
// Python's files once a page has used them).
const OFFLINE_REASON = "you are offline, and this browser has not kept a copy of Python yet";

/** The worker's name; " hand-over" asks it to copy Pyodide's files for the service
 * worker (docs/js/offline.js), on a page that none controls yet. The same rule is in
 * hooks/runtime_assets.py's EARLY_START. */
let handOverAllowed = true;

/** No hand-over from workers started from now on (offline.js: no service worker here). */
export function stopHandOver() {
  handOverAllowed = false;
}

function pythonWorkerName() {
  const sw = navigator.serviceWorker;
  const handOver = handOverAllowed && Boolean(sw) && "caches" in window && !sw.controller;
  return handOver ? "saferlhub-python hand-over" : "saferlhub-python";
}

const SETTLE_MS = 150;

export class PythonClient extends EventTarget {
  #worker = null;
  #pending = new Map(); // id -> {resolve, reject, handlers}
  #nextId = 1;
  // "running" turns back to "ready" only once no call has come for SETTLE_MS: a page that
  // calls Python hundreds of times a second (the maze battery) would otherwise flip the
  // status pill, an aria-live region, twice per call.
  #settle = null;

  constructor(workerUrl) {
    super();
    this.workerUrl = workerUrl;
    this.status = { state: "idle" };
    this.#start();
  }

  #setStatus(status) {
    this.status = status;
    this.dispatchEvent(new CustomEvent("status", { detail: status }));
  }

  #start() {
    this.#setStatus({ state: "loading", fraction: 0, stage: "starting" });
    this.ready = new Promise((resolve, reject) => {
      this.#resolveReady = resolve;
      this.#rejectReady = reject;
    });
    this.ready.catch(() => {}); // observed through status; avoid unhandled rejections
    // The page's <head> may have started the worker already (hooks/runtime_assets.py).
    const early = window.saferlhubEarlyPython;
    window.saferlhubEarlyPython = undefined;
    const worker = early?.worker ?? new Worker(this.workerUrl, { type: "module", name: pythonWorkerName() });
    worker.onmessage = ({ data }) => this.#receive(data);
    worker.onerror = (event) => this.#fail(event.message || "the Python worker failed to start");
    this.#worker = worker;
    for (const message of early?.messages ?? []) this.#receive(message);
    if (early?.error) this.#fail(early.error);
  }

  #resolveReady = null;
  #rejectReady = null;

  #fail(reason) {
    if (this.status.state === "error") return; // already dead: report it once
    const message = navigator.onLine === false ? OFFLINE_REASON : reason;
    this.#setStatus({ state: "error", message });
    this.#rejectReady(new PythonUnavailable(message));
    for (const job of this.#pending.values()) job.reject(new PythonUnavailable(message));
    this.#pending.clear();
  }

  #receive(data) {
    // A failed start is final for this worker: a late progress message (a download
    // still finishing) must not turn the error back into "loading".
    if (data.type === "status") return this.status.state !== "error" && this.#setStatus(data);
    if (data.type === "ready") {
      // readyAt is on the page's clock (ms since navigation): the benchmark reads it.
      this.info = { ...data, readyAt: performance.now() };
      this.#resolveReady(data);
      return this.#setStatus({ state: this.#pending.size ? "running" : "ready", ...data });
    }
    if (data.type === "fatal") return this.#fail(data.message);
    if (data.type === "fetched") {
      this.info = { ...this.info, fetched: data.fetched };
      return this.dispatchEvent(new CustomEvent("fetched", { detail: data.fetched }));
    }
    const job = this.#pending.get(data.id);
    if (!job) return;
    const h = job.handlers;
    switch (data.type) {
      case "output":
        for (const [stream, text] of data.chunks) h.onOutput?.(stream, text);
        break;
      case "truncated":
        h.onTruncated?.(data.limit);
        break;
      case "notice":
        h.onNotice?.(data.text);
        break;
      case "progress":
        h.onProgress?.(data.event);
        break;
      case "done":
      case "error":
        this.#pending.delete(data.id);
        if (data.type === "done") job.resolve(data.result);
        else job.reject(new PythonError(data.message));
        if (this.status.state === "running" && !this.#pending.size) {
          clearTimeout(this.#settle);
          this.#settle = setTimeout(() => {
            if (this.status.state === "running" && !this.#pending.size) this.#setStatus({ ...this.status, state: "ready" });
          }, SETTLE_MS);
        }
        break;
    }
  }

  #request(message, handlers) {
    if (this.status.state === "error") {
      return Promise.reject(new PythonUnavailable(this.status.message));
    }
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, handlers });
      clearTimeout(this.#settle);
      if (this.status.state === "ready") this.#setStatus({ ...this.status, state: "running" });
      this.#worker.postMessage({ id, ...message });
    });
  }

  /** Run a reader's code. Resolves to {ok, error?}; output arrives through handlers. */
  run(code, { namespace = null, filename = "<cell>", ...handlers } = {}) {
    return this.#request({ type: "run", code, namespace, filename }, handlers);
  }

  /** Call a saferlhub function with JSON keyword arguments; resolves to its JSON result. */
  call(fn, kwargs = {}, handlers = {}) {
    return this.#request({ type: "call", fn, kwargs }, handlers);
  }

  get busy() {
    return this.#pending.size > 0;
  }

  /** Stop whatever runs: terminate the worker (the only way to interrupt Python
   *  without cross-origin isolation), reject every pending request, start afresh. */
  stop() {
    clearTimeout(this.#settle);
    this.#worker.terminate();
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const job of pending) job.reject(new PythonStopped());
    this.#start();
    this.dispatchEvent(new CustomEvent("reset"));
  }

  /** Start Python again after it failed to start (the status pill's Retry button). */
  retry() {
    if (this.status.state === "error") this.stop();
  }
}

let instance = null;

/** The tab's Python, started on first use. */
export function getPython() {
  instance ??= new PythonClient(assetUrl("saferlhub/python-worker.js"));
  return instance;
}

export function pythonStarted() {
  return instance !== null;
}
