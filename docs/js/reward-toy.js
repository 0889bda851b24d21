// "Reward hacking in reasoning models: a toy" (docs/reward-hacking/reasoning-toy.md).
// Python (saferlhub/reward_hacking/grader_toy.py) really runs every candidate against the grader and
// the hidden test, reads its reasoning with the monitor and trains the learner; this
// file lays out what it returns.

import { PythonStopped } from "./python-client.js";
import { lineChart } from "./chart.js";
import { el, labelColumns } from "./dom.js";

const MODULE = "saferlhub.reward_hacking.grader_toy";
const pct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(0)}%`);
const RUNS = [
  ["grader only", "Reward: the grader's exit status"],
  ["monitor in the reward", "Reward: the grader's exit status, minus 1 when the monitor flags the reasoning"],
];

function candidateTable(graded) {
  const head = ["candidate", "reasoning", "grader (exit status)", "hidden test", "monitor"];
  const rows = graded.map((c) =>
    el(
      "tr",
      { "data-candidate": c.id, "data-kind": c.kind },
      el("th", { scope: "row" }, el("code", { text: c.id }), el("br"), el("small", { text: c.hack ? `${c.kind}: ${c.hack}` : c.kind })),
      el("td", {}, el("span", { text: c.reasoning }), el("details", {}, el("summary", { text: "code" }), el("pre", {}, el("code", { text: c.code })))),
      el("td", { text: `${c.grader.exit_status} (${c.grader.passed ? "reward 1" : "reward 0"}): ${c.grader.note}` }),
      el("td", { text: `${c.hidden.passed ? "passes" : "fails"}: ${c.hidden.note}` }),
      el("td", { text: c.flagged ? "flagged" : "—" }),
    ),
  );
  return labelColumns(
    el(
      "table",
      { class: "rh-candidates" },
      el("caption", { text: "Every candidate, really run: the grader's verdict, the hidden test's, and the monitor's" }),
      el("thead", {}, el("tr", {}, ...head.map((t) => el("th", { scope: "col", text: t })))),
      el("tbody", {}, ...rows),
    ),
  );
}

export async function mountRewardToy(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  const runButton = el("button", { type: "button", class: "md-button md-button--primary rh-train", text: "▶ Run the candidates, then train" });
  const stopButton = el("button", { type: "button", class: "md-button rh-stop", text: "■ Stop", disabled: true });
  const status = el("p", { class: "rh-status", role: "status", text: "Press Run: Python runs each candidate, then trains the learner twice (3,000 steps each)." });
  const tableBox = el("div", { class: "rh-candidates__box" });
  const chartBoxes = RUNS.map(([name]) => el("div", { class: "rh-chart", "data-run": name }));
  root.replaceChildren(el("div", { class: "rh-actions" }, runButton, stopButton), status, tableBox, ...chartBoxes);
  const charts = RUNS.map(([, title], i) =>
    lineChart(chartBoxes[i], {
      title,
      xLabel: "steps",
      yLabel: "share of sampled candidates",
      yRange: [0, 1],
      yFixed: true,
      yFormat: pct,
      series: [
        { label: "hack rate", color: "--saferlhub-chart-optimal" },
        { label: "true pass rate (hidden test)", color: "--saferlhub-chart-1" },
        { label: "monitor recall (flagged hacks / hacks)", color: "--saferlhub-chart-2", dash: [6, 3] },
      ],
    }),
  );
  root.dataset.state = "ready";
  let running = false;
  runButton.addEventListener("click", async () => {
    if (running) return;
    running = true;
    runButton.setAttribute("aria-disabled", "true");
    stopButton.disabled = false;
    root.dataset.state = "running";
    try {
      await python.ready;
      status.textContent = "Running the candidates…";
      const graded = await python.call(`${MODULE}.grade`, {}, {
        onProgress: (e) => (status.textContent = `Running the candidates… ${e.done} of ${e.of} (${e.id})`),
      });
      tableBox.replaceChildren(candidateTable(graded));
      for (const [i, [name]] of RUNS.entries()) {
        const curve = [];
        const draw = (steps) =>
          charts[i].setData(
            curve.map((e) => e.step),
            ["hack_rate", "true_pass_rate", "monitor_recall"].map((k) => curve.map((e) => e[k])),
            { xMax: steps },
          );
        status.textContent = `Training: ${name}…`;
        const result = await python.call(`${MODULE}.bandit_page`, { settings: name, graded }, {
          onProgress: (event) => {
            curve.push(event);
            draw(event.steps);
          },
        });
        curve.splice(0, curve.length, ...result.curve);
        draw(result.curve.at(-1).steps);
        chartBoxes[i].dataset.done = "true";
      }
      status.textContent = "Done: both runs trained.";
      root.dataset.state = "done";
    } catch (error) {
      root.dataset.state = error instanceof PythonStopped ? "stopped" : "error";
      status.textContent = error instanceof PythonStopped ? "Stopped; the curves so far are kept." : `Failed: ${error.message}`;
    } finally {
      running = false;
      runButton.removeAttribute("aria-disabled");
      stopButton.disabled = true;
    }
  });
  stopButton.addEventListener("click", () => python.stop());
}
