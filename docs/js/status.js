// The "Python" status pill: loading (with progress), ready, running, error.
// Shown only on pages that use Python; it survives instant navigation.

const LABELS = {
  idle: () => "Python: not started",
  loading: (s) => `Python: ${s.stage ?? "loading"}… ${Math.round((s.fraction ?? 0) * 100)}%`,
  ready: () => "Python: ready",
  running: () => "Python: running…",
  error: (s) => `Python failed to start: ${s.message}`,
};

let pill = null;

function render(status) {
  pill.dataset.state = status.state;
  pill.querySelector(".saferlhub-status__label").textContent = LABELS[status.state](status);
  const bar = pill.querySelector("progress");
  bar.hidden = status.state !== "loading";
  bar.value = status.fraction ?? 0;
  pill.title =
    status.state === "ready" || status.state === "running"
      ? `Python ${status.python} (Pyodide ${status.pyodide}) runs in your browser`
      : "";
}

export function showStatus(python) {
  if (!pill) {
    pill = document.createElement("div");
    pill.className = "saferlhub-status";
    pill.setAttribute("role", "status");
    pill.setAttribute("aria-live", "polite");
    pill.innerHTML =
      '<span class="saferlhub-status__label"></span><progress max="1" value="0" aria-label="Python loading progress"></progress>';
    python.addEventListener("status", (event) => render(event.detail));
  }
  if (!pill.isConnected) document.body.append(pill);
  pill.hidden = false;
  render(python.status);
}

export function hideStatus() {
  if (pill) pill.hidden = true;
}
