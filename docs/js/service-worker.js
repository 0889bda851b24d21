// The site's service worker: SafeRLHub keeps working offline once loaded.
// Bundled by hooks/service_worker.py (esbuild, Workbox 7 from node_modules, nothing
// from a CDN), which then lets workbox-build inject the precache manifest.
//
// Two kinds of files:
// - the core (every page, its CSS and JS, the search index, fonts, pyscripts.zip):
//   precached when the service worker installs, revisioned by content hash, so a
//   new deployment downloads only what changed and drops what is gone;
// - on-demand runtimes (Pyodide ~13 MB, onnxruntime-web ~14 MB, the agents' networks):
//   kept only once a page has used them (cache first), so a reader of text pages never
//   downloads them. The page also asks for the ones it used before this worker
//   controlled it (docs/js/offline.js, message "keep"), having copied each into a
//   hand-off cache as it arrived, so no file is downloaded twice; a maze page asks for
//   every agent too. Each is stored under a key carrying its content hash, and keys of
//   an older build are deleted when this worker activates.
//
// A new version waits until the reader accepts it ("Reload" in offline.js's notice,
// message "skip-waiting") or closes every tab, so one tab never mixes the scripts of
// two deployments.

import { addPlugins, cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute, setCatchHandler } from "workbox-routing";
import { NetworkOnly } from "workbox-strategies";
import { clientsClaim } from "workbox-core";

/* global ON_DEMAND, MAZE_FILES */ // from the build: {path: content hash}; [path] of the maze lab
const ON_DEMAND_CACHE = "saferlhub-on-demand";
// Runtime files a page fetched before this worker controlled it, copied there by the
// page as they arrived (offline.js, python-worker.js): adopted here, never downloaded again.
const HANDOFF_CACHE = "saferlhub-handoff";
const SCOPE = self.registration.scope;

// Request URL (no query) -> the cache key of this build's version of the file.
const onDemandKeys = new Map(
  Object.entries(ON_DEMAND).map(([path, revision]) => {
    const url = new URL(path, SCOPE).href;
    return [url, `${url}?saferlhub-revision=${revision}`];
  }),
);
const revisionOf = (url) => new URL(onDemandKeys.get(url)).searchParams.get("saferlhub-revision");
const mazeUrls = MAZE_FILES.map((path) => new URL(path, SCOPE).href);
const withoutQuery = (url) => {
  const parsed = new URL(url);
  return parsed.origin + parsed.pathname;
};

// Cross-origin isolation. GitHub Pages cannot send the COOP/COEP headers, so this worker
// adds them to every page, script and runtime file it serves (as the coi-serviceworker
// package does). A page it controls from its start is then crossOriginIsolated and may
// use SharedArrayBuffer: onnxruntime-web runs its WebAssembly on several threads
// (docs/js/onnx.js). The site asks no other host for anything (the one exception, numpy
// from Pyodide's CDN in a reader's cell, is a CORS request, which require-corp allows).
// A first visit, before this worker controls the page, stays single-threaded.
function isolated(response) {
  if (!response || response.type === "opaque" || response.type === "error") return response;
  const headers = new Headers(response.headers);
  headers.set("Cross-Origin-Opener-Policy", "same-origin");
  headers.set("Cross-Origin-Embedder-Policy", "require-corp");
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}
const isolation = { handlerWillRespond: async ({ response }) => isolated(response) };

cleanupOutdatedCaches();
addPlugins([isolation]);
precacheAndRoute(self.__WB_MANIFEST, {
  // GitHub Pages serves a file whatever its query says: maze/play/?maze=... is
  // maze/play/, and pyscripts.zip?v=<hash> is revisioned by the manifest already.
  ignoreURLParametersMatching: [/.*/],
});

/** The first 16 hex digits of the SHA-256 of `response`'s body (the build's revision). */
async function contentHash(response) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", await response.arrayBuffer()));
  return Array.from(digest.slice(0, 8), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A copy the page already downloaded, if it is this build's version of the file. */
async function handedOver(url) {
  const handoff = await caches.open(HANDOFF_CACHE);
  const response = await handoff.match(url);
  if (!response) return null;
  await handoff.delete(url);
  return (await contentHash(response.clone())) === revisionOf(url) ? response : null;
}

// One download per file however many ask at once (a page's fetch and a "keep").
const storing = new Map();

/** Make sure this build's version of an on-demand file is stored; resolve its cache key. */
function store(url) {
  if (!storing.has(url)) {
    const key = onDemandKeys.get(url);
    const done = (async () => {
      const cache = await caches.open(ON_DEMAND_CACHE);
      if (await cache.match(key)) return key;
      // Revalidate (a 304 when unchanged) rather than trust the HTTP cache: an
      // HTTP-cached copy may predate this deployment, and it would be kept under this key.
      const response = (await handedOver(url)) ?? (await fetch(url, { cache: "no-cache" }));
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      await cache.put(key, response);
      return key;
    })();
    storing.set(url, done);
    done.finally(() => storing.delete(url)).catch(() => {});
  }
  return storing.get(url);
}

registerRoute(
  ({ url }) => onDemandKeys.has(withoutQuery(url.href)),
  async ({ request }) => {
    const key = await store(withoutQuery(request.url));
    return isolated((await caches.match(key, { cacheName: ON_DEMAND_CACHE })) ?? (await fetch(request)));
  },
);

// A page that is not precached (a mistyped address) while offline: the site's 404 page
// rather than the browser's error page.
registerRoute(new NavigationRoute(new NetworkOnly({ plugins: [isolation] })));
setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") return isolated(await matchPrecache("404.html")) ?? Response.error();
  return Response.error();
});

/** Store the on-demand files among `urls` (and, for a maze page, every agent and the
 * runtime they need, so agents never run online still run offline); say which are. */
async function keep(urls, { maze = false } = {}) {
  const kept = [];
  const failed = [];
  const wanted = new Set(urls.map(withoutQuery));
  // What the page handed over first: the maze files it did not fetch are downloaded after.
  const ordered = [...wanted, ...(maze ? mazeUrls.filter((url) => !wanted.has(url)) : [])];
  for (const url of ordered) {
    if (!onDemandKeys.has(url)) continue;
    try {
      await store(url);
      kept.push(url);
    } catch {
      failed.push(url);
    }
  }
  return { kept, failed };
}

self.addEventListener("message", (event) => {
  const { type } = event.data ?? {};
  if (type === "skip-waiting") self.skipWaiting();
  if (type === "keep") {
    const reply = keep(event.data.urls ?? [], { maze: Boolean(event.data.maze) }).then((result) =>
      event.ports[0]?.postMessage(result),
    );
    event.waitUntil(reply);
  }
});

// Old builds' versions of the on-demand files: delete them once this build takes over.
self.addEventListener("activate", (event) => {
  const current = new Set(onDemandKeys.values());
  event.waitUntil(
    caches.open(ON_DEMAND_CACHE).then(async (cache) => {
      for (const request of await cache.keys()) {
        if (!current.has(request.url)) await cache.delete(request);
      }
    }),
  );
});

// The first version takes control of the page that installed it at once (nothing
// older is running); later versions only once the reader accepted them.
clientsClaim();
