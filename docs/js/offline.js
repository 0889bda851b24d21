// Offline support: registers the service worker that hooks/service_worker.py builds
// (site/sw.js, source docs/js/service-worker.js) and talks to it.
//
// - The service worker precaches the core of the site when it installs, so every
//   page opens offline after a first visit.
// - Big runtimes (Pyodide, onnxruntime-web) are cached only once used. Files this
//   page fetched before the service worker controlled it (the first visit) are
//   handed to it here ("keep"), and so are the files the Python worker loaded: each
//   was copied into a hand-off cache as it arrived (handOver), so the service worker
//   stores it without downloading it a second time. A maze page also asks it to keep
//   every agent, so an agent never run online still runs offline.
// - A new deployment installs in the background and waits; a notice offers to
//   reload into it, so a tab never runs half old and half new scripts.
//
// window.saferlhub.offline (main.js) exposes `status` for readers' tools and tests.

import { assetUrl } from "./assets.js";
import { getPython, stopHandOver } from "./python-client.js";

const UPDATE_CHECK_MS = 30 * 60 * 1000;
// Read and emptied by docs/js/service-worker.js; python-worker.js writes to it too.
export const HANDOFF_CACHE = "saferlhub-handoff";

export const status = {
  worker: "starting", // starting | active | blocked | unsupported | failed
  kept: [], // on-demand files (URLs) the service worker holds for offline use
  failed: [], // on-demand files it could not fetch
  update: false, // a new version is waiting
};

let registration = null;
let lastUpdateCheck = 0;
let reloadOnChange = false;
const toKeep = new Set();
let flushing = null;
let handingOver = false;
const handoffs = new Set(); // copies still being written

/** Whether a page that is not controlled yet should copy its fetches for the service
 * worker (the Python worker is told so by its name: python-client.js). */
function shouldHandOver() {
  const sw = navigator.serviceWorker;
  return Boolean(sw) && "caches" in globalThis && !sw.controller;
}

/** Copy a runtime file's response into the hand-off cache (keyed without its query). */
export function handOver(url, response) {
  const { origin, pathname } = new URL(url);
  const put = caches
    .open(HANDOFF_CACHE)
    .then((cache) => cache.put(origin + pathname, response))
    .catch(() => {}); // a copy lost: the service worker downloads that file instead
  handoffs.add(put);
  put.finally(() => handoffs.delete(put));
}

// The runtime files this page fetches itself (onnxruntime-web's wasm, the agents'
// networks, the battery's sets); Pyodide's come from the Python worker.
function isRuntimeFile(url) {
  return (
    url.startsWith(assetUrl("vendor/")) ||
    (url.startsWith(assetUrl("models/")) && url.endsWith(".onnx")) ||
    url.startsWith(assetUrl("saferlhub/battery_sets.json"))
  );
}

function handOverPageFetches() {
  if (!shouldHandOver()) return;
  handingOver = true;
  const pageFetch = window.fetch.bind(window);
  window.fetch = async (...args) => {
    const response = await pageFetch(...args);
    if (handingOver && response.ok && !navigator.serviceWorker.controller && isRuntimeFile(response.url)) {
      handOver(response.url, response.clone());
    }
    return response;
  };
}

function stopHandingOver() {
  handingOver = false;
  stopHandOver(); // a restarted Python worker (after Stop) copies nothing either
  handoffs.clear();
  caches.delete(HANDOFF_CACHE).catch(() => {});
}

/** Register the service worker; call once per page load. */
export async function startOffline() {
  if (!("serviceWorker" in navigator)) {
    status.worker = "unsupported";
    return;
  }
  // A controlled page fetches through the service worker; a first visit hands over.
  if (navigator.serviceWorker.controller) stopHandingOver();
  else handOverPageFetches();
  // Precaching must not compete with what the reader is waiting for: the page,
  // then Python on pages that start it.
  if (document.readyState !== "complete") {
    await new Promise((resolve) => addEventListener("load", resolve, { once: true }));
  }
  if (document.querySelector(".pycell, [data-python]")) await getPython().ready.catch(() => {});
  try {
    registration = await navigator.serviceWorker.register(assetUrl("../sw.js"), {
      scope: assetUrl("../"),
    });
  } catch (error) {
    // A site without sw.js, or a browser that refuses service workers: it still works online.
    status.worker = "failed";
    stopHandingOver();
    console.warn("SafeRLHub works online only here: the service worker did not register.", error);
    return;
  }
  if (!registration) {
    status.worker = "blocked"; // automated browsers that block service workers resolve nothing
    stopHandingOver();
    return;
  }
  lastUpdateCheck = Date.now();
  watchForUpdates(registration);
  await navigator.serviceWorker.ready;
  status.worker = "active";
  observeResources();
  flush();
}

/** Ask the service worker to keep these files (it ignores all but on-demand runtimes). */
export function keepForOffline(urls) {
  for (const url of urls) toKeep.add(url);
  if (status.worker === "active") flush();
}

/** Keep what the page's Python loaded, each time a (re)started worker names it. */
const watchedPythons = new WeakSet();
export function keepPythonOffline(python) {
  if (watchedPythons.has(python)) return;
  watchedPythons.add(python);
  if (python.info?.fetched) keepForOffline(python.info.fetched);
  python.addEventListener("fetched", ({ detail }) => keepForOffline(detail));
}

/** Look for a new deployment now and then (instant navigation rarely reloads a page). */
export function checkForUpdate(force = false) {
  if (!registration || (!force && Date.now() - lastUpdateCheck < UPDATE_CHECK_MS)) return null;
  lastUpdateCheck = Date.now();
  return registration.update().catch(() => {}); // offline: try again later
}

function observeResources() {
  const scope = assetUrl("../");
  const add = (entries) =>
    keepForOffline(entries.map((entry) => entry.name).filter((url) => url.startsWith(scope)));
  add(performance.getEntriesByType("resource"));
  new PerformanceObserver((list) => add(list.getEntries())).observe({ type: "resource" });
}

// Maze pages (their labs are [data-python="maze-..."]) keep every agent.
const isMazePage = () => Boolean(document.querySelector('[data-python^="maze-"]'));
let mazeKept = false;

async function flush() {
  const maze = !mazeKept && isMazePage();
  if (flushing || !(toKeep.size || maze)) return;
  const urls = [...toKeep];
  toKeep.clear();
  mazeKept ||= maze;
  // Copies still being written would otherwise be downloaded again.
  flushing = Promise.all([...handoffs])
    .then(() => ask(registration.active, { type: "keep", urls, maze }))
    .then((result) => {
      for (const url of result.kept) if (!status.kept.includes(url)) status.kept.push(url);
      status.failed = result.failed;
    })
    .catch(() => {})
    .finally(() => {
      flushing = null;
      flush(); // anything that arrived meanwhile
    });
}

function ask(worker, message) {
  return new Promise((resolve, reject) => {
    if (!worker) return reject(new Error("no active service worker"));
    const channel = new MessageChannel();
    channel.port1.onmessage = ({ data }) => resolve(data);
    worker.postMessage(message, [channel.port2]);
  });
}

function watchForUpdates(reg) {
  const offer = () => {
    // Without a controller this is the first install, not an update.
    if (reg.waiting && navigator.serviceWorker.controller) showUpdateNotice(reg.waiting);
  };
  offer();
  reg.addEventListener("updatefound", () => {
    const incoming = reg.installing;
    incoming?.addEventListener("statechange", () => incoming.state === "installed" && offer());
  });
  let hadController = Boolean(navigator.serviceWorker.controller);
  navigator.serviceWorker.addEventListener("controllerchange", () => {
    if (reloadOnChange) {
      reloadOnChange = false;
      location.reload();
    } else if (hadController) {
      // The reader accepted the new version in another tab: this one still runs the old.
      showUpdateNotice(null);
    }
    hadController = true;
  });
}

let notice = null;

function showUpdateNotice(waiting) {
  status.update = true;
  notice?.remove();
  notice = document.createElement("div");
  notice.className = "saferlhub-update";
  notice.setAttribute("role", "status");
  const text = document.createElement("p");
  text.textContent = "A new version of SafeRLHub is available.";
  const reload = document.createElement("button");
  reload.type = "button";
  reload.className = "saferlhub-update__reload";
  reload.textContent = "Reload";
  reload.addEventListener("click", () => {
    reload.disabled = true;
    if (!waiting) return location.reload(); // already active (accepted in another tab)
    reloadOnChange = true;
    waiting.postMessage({ type: "skip-waiting" });
  });
  const later = document.createElement("button");
  later.type = "button";
  later.textContent = "Later";
  later.addEventListener("click", () => notice.remove());
  notice.append(text, reload, later);
  document.body.append(notice);
}
