// The site's service worker: SafeRLHub keeps working offline once loaded.
// Bundled by hooks/service_worker.py (esbuild, Workbox 7 from node_modules, nothing
// from a CDN), which then lets workbox-build inject the precache manifest.
//
// Two kinds of files:
// - the core (every page, its CSS and JS, the search index, fonts, pyscripts.zip):
//   precached when the service worker installs, revisioned by content hash, so a
//   new deployment downloads only what changed and drops what is gone;
// - on-demand runtimes (Pyodide ~12 MB, onnxruntime-web ~14 MB): kept only once a
//   page has used them (CacheFirst), so a reader of text pages never downloads them.
//   The page also asks for the ones it used before this worker controlled it
//   (docs/js/offline.js, message "keep"). Each is stored under a key carrying its
//   content hash, and keys of an older build are deleted when this worker activates.
//
// A new version waits until the reader accepts it ("Reload" in offline.js's notice,
// message "skip-waiting") or closes every tab, so one tab never mixes the scripts of
// two deployments.

import { cleanupOutdatedCaches, matchPrecache, precacheAndRoute } from "workbox-precaching";
import { NavigationRoute, registerRoute, setCatchHandler } from "workbox-routing";
import { CacheFirst, NetworkOnly } from "workbox-strategies";
import { clientsClaim } from "workbox-core";

/* global ON_DEMAND */ // {path relative to the site root: content hash}, from the build
const ON_DEMAND_CACHE = "saferlhub-on-demand";
const SCOPE = self.registration.scope;

// Request URL (no query) -> the cache key of this build's version of the file.
const onDemandKeys = new Map(
  Object.entries(ON_DEMAND).map(([path, revision]) => {
    const url = new URL(path, SCOPE).href;
    return [url, `${url}?saferlhub-revision=${revision}`];
  }),
);
const withoutQuery = (url) => {
  const parsed = new URL(url);
  return parsed.origin + parsed.pathname;
};

cleanupOutdatedCaches();
precacheAndRoute(self.__WB_MANIFEST, {
  // pyscripts.zip?v=<hash>: the precache entry is revisioned already.
  ignoreURLParametersMatching: [/^utm_/, /^fbclid$/, /^v$/],
});

registerRoute(
  ({ url }) => onDemandKeys.has(withoutQuery(url.href)),
  new CacheFirst({
    cacheName: ON_DEMAND_CACHE,
    plugins: [
      {
        cacheKeyWillBeUsed: async ({ request }) => onDemandKeys.get(withoutQuery(request.url)),
        // Revalidate with the server (a 304 when unchanged): an HTTP-cached copy may
        // predate this deployment, and it would be kept under this build's key.
        requestWillFetch: async ({ request }) => new Request(request, { cache: "no-cache" }),
      },
    ],
  }),
);

// A page that is not precached (a mistyped address) while offline: the site's 404 page
// rather than the browser's error page.
registerRoute(new NavigationRoute(new NetworkOnly()));
setCatchHandler(async ({ request }) => {
  if (request.mode === "navigate") return (await matchPrecache("404.html")) ?? Response.error();
  return Response.error();
});

/** Store the on-demand files among `urls` that are not stored yet; say which are. */
async function keep(urls) {
  const cache = await caches.open(ON_DEMAND_CACHE);
  const kept = [];
  const failed = [];
  for (const url of new Set(urls.map(withoutQuery))) {
    const key = onDemandKeys.get(url);
    if (!key) continue;
    if (!(await cache.match(key))) {
      try {
        const response = await fetch(url, { cache: "no-cache" }); // see requestWillFetch
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        await cache.put(key, response);
      } catch {
        failed.push(url);
        continue;
      }
    }
    kept.push(url);
  }
  return { kept, failed };
}

self.addEventListener("message", (event) => {
  const { type } = event.data ?? {};
  if (type === "skip-waiting") self.skipWaiting();
  if (type === "keep") {
    const reply = keep(event.data.urls ?? []).then((result) => event.ports[0]?.postMessage(result));
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
