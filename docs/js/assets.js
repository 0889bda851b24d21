// URLs of the site's own assets, wherever the site is served from (GitHub Pages
// serves it under a sub-path). Derived from main.js's <script> tag, because code
// split into chunks cannot rely on import.meta.url pointing at assets/saferlhub/.

let base = null;

export function assetUrl(path) {
  if (!base) {
    const script = document.querySelector('script[src*="assets/saferlhub/main.js"]');
    base = new URL("../", script.src); // .../assets/
  }
  return new URL(path, base).href;
}
