// URLs of the site's own assets, wherever the site is served from (GitHub Pages
// serves it under a sub-path). Derived from main.js's <script> tag, because code
// split into chunks cannot rely on import.meta.url pointing at assets/saferlhub/.
// Computed once, at first load: after instant navigation the tag's relative src
// would resolve against the new page's address.

const script = document.querySelector('script[src*="assets/saferlhub/main.js"]');
const base = new URL("../", script.src); // .../assets/

export function assetUrl(path) {
  return new URL(path, base).href;
}
