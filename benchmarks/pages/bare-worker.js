const base = new URL(new URLSearchParams(self.location.search).get("base"), self.location.href);
const pyodideDir = new URL("assets/vendor/pyodide/", base).href;
const { loadPyodide } = await import(`${pyodideDir}pyodide.mjs`);
await loadPyodide({ indexURL: pyodideDir });
self.postMessage("ready");
