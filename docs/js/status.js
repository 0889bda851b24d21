// The "Python" status pill: loading (with progress), ready, running, error.
// Shown only on pages that use Python; it survives instant navigation.
// Loading has stages: "downloading Python" counts bytes (a percentage); the stages
// after it (compiling, loading SafeRLHub) have nothing to count, so the bar turns
// indeterminate rather than sticking at a percentage. In the error state a Retry
// button starts Python again.

const percent = (s) => (typeof s.fraction === "number" ? ` ${Math.round(s.fraction * 100)}%` : "");
const LABELS = {
  idle: () => "Python: not started",
  loading: (s) => `Python: ${s.stage ?? "loading"}…${percent(s)}`,
  ready: () => "Python: ready",
  running: () => "Python: running…",
  error: (s) => `Python failed to start: ${s.message}`,
};

let pill = null;
let retry = null;

function render(status) {
  pill.dataset.state = status.state;
  pill.querySelector(".saferlhub-status__label").textContent = LABELS[status.state](status);
  const bar = pill.querySelector("progress");
  bar.hidden = status.state !== "loading";
  if (typeof status.fraction === "number") bar.value = status.fraction;
  else bar.removeAttribute("value"); // indeterminate
  // The button exists only in the error state, so the pill's text is its label otherwise.
  if (status.state !== "error") retry.remove();
  else if (!retry.isConnected) pill.append(retry);
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
    retry = document.createElement("button");
    retry.type = "button";
    retry.className = "saferlhub-status__retry";
    retry.textContent = "Retry";
    retry.addEventListener("click", () => python.retry());
    python.addEventListener("status", (event) => render(event.detail));
  }
  if (!pill.isConnected) document.body.append(pill);
  pill.hidden = false;
  render(python.status);
}

export function hideStatus() {
  if (pill) pill.hidden = true;
}
