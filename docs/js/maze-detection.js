// "Catch it before deployment" (docs/maze/detection.md): the blind detection scoreboard's
// default run. Python runs every method blind on every agent and judges afterwards from
// the cards (saferlhub/maze/detection, task "detection.scoreboard" of
// saferlhub.maze.stepper); onnxruntime-web answers the network calls (onnx.js runStepper).
// This file shows progress, a chart per method, the board as a table and its sentences.
// Stop keeps the methods that finished: Python judges them when the run is closed
// (ScoreboardRun.report) and the board shows them, naming the methods that did not run.
//
// root.dataset.state: loading | ready | running | stopped | error.

import { el, endRun, labelColumns, markBusy } from "./dom.js";
import { intervalChart } from "./maze-interval-chart.js";
import { loadAgents, problemText, runStepper } from "./onnx.js";
import { PythonStopped } from "./python-client.js";

const TASK = "detection.scoreboard";
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

export async function mountMazeDetection(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";
  const runButton = el("button", { type: "button", class: "md-button md-button--primary", text: "Run the scoreboard" });
  const stopButton = el("button", { type: "button", class: "md-button maze-lab__stop", text: "Stop", disabled: "" });
  const bar = el("progress", { id: "detection-progress", max: "1", value: "0" });
  const message = el("p", { class: "maze-lab__message", role: "status", "aria-live": "polite", text: "Loading Python and the agents…" });
  const problems = el("div", { class: "maze-lab__problems", role: "alert" });
  const charts = el("div", { class: "detection__charts" });
  const board = el("div", { class: "detection__board" });
  const said = el("ul", { class: "detection__sentences" });
  const notRun = el("p", { class: "detection__not-run" });
  const timed = el("p", { class: "detection__timings" });
  root.replaceChildren(
    el("div", { class: "maze-lab__controls" }, runButton, stopButton),
    el("div", { class: "maze-ood__progress" }, el("label", { for: "detection-progress", text: "Progress" }), bar),
    message,
    problems,
    said,
    charts,
    board,
    notRun,
    timed,
  );
  const state = { python, agents: [], result: null, timings: null, settings: null };
  window.saferlhubDetection = state;
  let stopRequested = false;
  let running = false;
  stopButton.addEventListener("click", () => (stopRequested = true));

  function draw(result) {
    const truth = result.ground_truth;
    const agents = [truth.planted, ...truth.controls];
    const series = agents.map((a) => ({ key: a, label: a }));
    charts.replaceChildren();
    Object.entries(result.methods).forEach(([method, label]) => {
      const host = el("div", { class: "detection__chart" });
      charts.append(host);
      const chart = intervalChart(host, { title: label, series, percent: true, id: `detection-${method}` });
      const findings = result.findings[method];
      const values = Object.fromEntries(agents.map((a) => [a, { value: findings[a].score, interval: findings[a].interval }]));
      chart.setData([{ group: "suspicion score", values }]); // its summary says every score and interval
      chart.details.remove(); // the board below is the table of every number
    });
    const head = ["Method", ...agents.map((a) => `${a} (95% interval)`), "Hypothesis", "Catches?"];
    const table = el(
      "table",
      {},
      el("caption", { text: "This run's scoreboard: each agent's suspicion score, the planted agent's hypothesis and the verdict" }),
      el("thead", {}, el("tr", {}, ...head.map((text) => el("th", { scope: "col", text })))),
      el(
        "tbody",
        {},
        ...Object.entries(result.methods).map(([method, label]) => {
          const findings = result.findings[method];
          return el(
            "tr",
            {},
            el("th", { scope: "row", text: label }),
            ...agents.map((a) => el("td", { text: `${pct(findings[a].score)} [${pct(findings[a].interval[0])}, ${pct(findings[a].interval[1])}]` })),
            el("td", { text: findings[truth.planted].hypothesis ?? "none" }),
            el("td", { text: result.verdicts[method].catches ? "yes" : "no" }),
          );
        }),
      ),
    );
    board.replaceChildren(labelColumns(table));
    said.replaceChildren(...result.sentences.map((text) => el("li", { text })));
    const missing = result.not_run ?? [];
    notRun.textContent = missing.length ? `Not run (stopped before they finished): ${missing.join("; ")}.` : "";
  }

  function clear() {
    for (const part of [charts, board, said]) part.replaceChildren();
    notRun.textContent = timed.textContent = "";
  }

  function showTimings(timings, labels) {
    timed.textContent =
      "Time in this browser: " +
      timings.map(({ method, ms }) => `${labels[method] ?? method} ${seconds(ms)}`).join("; ") +
      ` (the dreams of both dreaming variants are timed under the first).`;
  }

  async function run() {
    if (running) return;
    running = true;
    stopRequested = false;
    markBusy(runButton, true);
    stopButton.disabled = false;
    root.dataset.state = "running";
    problems.textContent = "";
    state.result = null;
    clear();
    bar.value = 0;
    message.textContent = "Starting the methods…";
    const cards = Object.fromEntries(state.agents.filter((a) => a.card && !a.problems.length).map((a) => [a.agent, a.card]));
    const args = { cards, ...(state.settings ? { settings: state.settings } : {}) };
    // Each method's time: from the first progress report naming it to the next method's.
    const timings = [];
    let current = null;
    let since = performance.now();
    const started = since;
    try {
      const ran = await runStepper(python, TASK, args, {
        agents: state.agents,
        shouldStop: () => stopRequested,
        onProgress: (progress) => {
          if (progress.method !== current) {
            const now = performance.now();
            if (current) timings.push({ method: current, ms: now - since });
            current = progress.method;
            since = current && timings.length === 0 ? started : now;
          }
          const index = progress.methods.indexOf(progress.method);
          bar.value = Math.max(0, index) / progress.methods.length;
          message.textContent = `Running method ${index + 1} of ${progress.methods.length} (${progress.method.replaceAll("_", " ")}): ${progress.steps} network steps…`;
        },
      });
      if (current) timings.push({ method: current, ms: performance.now() - since });
      state.timings = timings;
      if (ran.stopped) {
        root.dataset.state = "stopped";
        const kept = ran.result && Object.keys(ran.result.methods).length ? ran.result : null;
        if (kept) {
          state.result = kept;
          draw(kept);
          showTimings(timings.filter(({ method }) => method in kept.methods), kept.methods);
        }
        const finished = kept ? Object.keys(kept.methods).length : 0;
        message.textContent = kept
          ? `Stopped. Kept and judged the ${finished === 1 ? "method" : `${finished} methods`} that finished; the others did not run.`
          : "Stopped before any method finished: nothing to judge yet.";
      } else {
        state.result = ran.result;
        draw(ran.result);
        showTimings(timings, ran.result.methods);
        bar.value = 1;
        const caught = Object.entries(ran.result.verdicts).filter(([, v]) => v.catches).map(([m]) => ran.result.methods[m]);
        message.textContent = `Done in ${seconds(performance.now() - started)}. ` + (caught.length ? `Catches the planted goal in this run: ${caught.join("; ")}.` : "No method catches the planted goal in this run.");
        root.dataset.state = "ready";
      }
    } catch (err) {
      root.dataset.state = "error";
      if (!(err instanceof PythonStopped)) problems.textContent = problemText(err);
    } finally {
      running = false;
      endRun(runButton, stopButton);
    }
  }

  state.run = run;
  runButton.addEventListener("click", run);
  try {
    await python.ready;
    state.agents = await loadAgents(python);
    problems.textContent = state.agents.flatMap((a) => a.problems).join(" ");
    message.textContent = "Ready: press Run the scoreboard (the default run, every method on every agent).";
    root.dataset.state = "ready";
  } catch (err) {
    root.dataset.state = "error";
    problems.textContent = problemText(err);
  }
}
