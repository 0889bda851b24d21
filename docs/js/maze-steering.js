// "Steering the planted agent" (docs/maze/steering.md): the human or trigger vector added at
// one layer, or the layer's component along it clamped.
// Python builds the vector, plays the policy maps and the battery unsteered and steered
// (saferlhub/maze/steering.py, task "steering" of saferlhub.maze.stepper); onnxruntime-web
// answers the network calls (onnx.js runStepper). This file reads the settings and draws.
//
// root.dataset.state: loading | ready | running | stopped | error.

import { el, endRun, labelColumns, markBusy } from "./dom.js";
import { createBoard } from "./maze-board.js";
import { readNumber } from "./number-field.js";
import { loadAgents, problemText, runStepper } from "./onnx.js";
import { PythonStopped } from "./python-client.js";

const AGENTS = ["planted", "natural", "remedy"];
const PAIRS = [
  ["all", "every cell"],
  ["adjacent", "cells next to the human"],
];
const VECTORS = [
  ["human", "human vector"],
  ["trigger", "trigger vector"],
];
const OPERATIONS = [
  ["add", "adding it"],
  ["clamp", "clamping along it"],
];
const VECTOR_NAMES = { human: "human vector", trigger: "trigger vector" };
// The sweep's best setting (models/steering.json "best"; the e2e test checks they agree).
const DEFAULTS = { agent: "planted", vector: "trigger", operation: "clamp", layer: "hidden.0", cells: "adjacent", coefficient: "-0.25", count: "100" };
const ROWS = [
  ["protrusion_human_rate", "Protrusion mazes: human harvested"],
  ["protrusion_finish_rate", "Protrusion mazes: reached the finish"],
  ["training_finish_rate", "Training mazes: reached the finish"],
];

const pct = (x) => `${(100 * x).toFixed(1)}%`;
// "-1.5 × human vector" or "trigger vector clamped at its training median -0.5 × its length"
const how = (s) =>
  s.operation === "clamp"
    ? `${VECTOR_NAMES[s.vector]} clamped at its training median ${s.coefficient < 0 ? "−" : "+"} ${Math.abs(s.coefficient)} × its length`
    : `${s.coefficient} × ${VECTOR_NAMES[s.vector]}`;
const field = (id, text, control) => el("span", { class: "microscope__field" }, el("label", { for: id, text }), control);

function select(id, options, value) {
  const node = el("select", { id });
  for (const [v, text] of options) node.append(el("option", { value: v, text }));
  node.value = value;
  return node;
}

export async function mountMazeSteering(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";
  const agentSelect = select("steering-agent", AGENTS.map((a) => [a, a]), DEFAULTS.agent);
  const vectorSelect = select("steering-vector", VECTORS, DEFAULTS.vector);
  const operationSelect = select("steering-operation", OPERATIONS, DEFAULTS.operation);
  const layerSelect = select("steering-layer", [0, 1, 2, 3].map((k) => [`hidden.${k}`, `hidden.${k}`]), DEFAULTS.layer);
  const cellsSelect = select("steering-cells", PAIRS, DEFAULTS.cells);
  const coefficientInput = el("input", { id: "steering-coefficient", type: "number", step: "0.25", min: "-10", max: "10", value: DEFAULTS.coefficient });
  const countInput = el("input", { id: "steering-count", type: "number", step: "50", min: "1", max: "1000", value: DEFAULTS.count });
  const runButton = el("button", { type: "button", class: "md-button md-button--primary", text: "Steer" });
  const stopButton = el("button", { type: "button", class: "md-button maze-lab__stop", text: "Stop", disabled: "" });
  const message = el("p", { class: "maze-lab__message", role: "status", "aria-live": "polite" });
  const problems = el("div", { class: "maze-lab__problems", role: "alert" });
  const before = createBoard({ label: "Policy map without steering" });
  const after = createBoard({ label: "Policy map with steering" });
  const table = el("div", { class: "steering__table" });
  root.replaceChildren(
    el(
      "div",
      { class: "maze-lab__controls" },
      field("steering-agent", "Agent ", agentSelect),
      field("steering-vector", "Vector ", vectorSelect),
      field("steering-operation", "Steer by ", operationSelect),
      field("steering-layer", "Layer ", layerSelect),
      field("steering-cells", "Pairs at ", cellsSelect),
      field("steering-coefficient", "Coefficient ", coefficientInput),
      field("steering-count", "Mazes per set ", countInput),
      runButton,
      stopButton,
    ),
    message,
    problems,
    el(
      "div",
      { class: "maze-lab__main" },
      el("figure", { class: "maze-lab__boardbox" }, before.element, el("figcaption", { text: "Unsteered: the best move in each cell" })),
      el("figure", { class: "maze-lab__boardbox" }, after.element, el("figcaption", { text: "Steered (moves that changed are marked)" })),
    ),
    table,
  );
  let agents = [];
  let stopRequested = false;
  let running = false;
  stopButton.addEventListener("click", () => (stopRequested = true));

  function draw(result) {
    const arrows = (map) => Object.fromEntries(map.cells.map(([r, c, a]) => [`${r},${c}`, a]));
    const plain = arrows(result.maps.unsteered);
    const steered = arrows(result.maps.steered);
    const differ = new Set(Object.keys(steered).filter((k) => steered[k] !== plain[k]));
    before.render(result.settings.maze, { arrows: plain });
    after.render(result.settings.maze, { arrows: steered, differ });
    const s = result.settings;
    const t = el(
      "table",
      {},
      el("caption", { text: `${s.agent}, ${how(s)} at ${s.layer} (${result.pairs} training pairs), ${s.count} held-out mazes per set (seed 1)` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Measure" }), el("th", { scope: "col", text: "Unsteered" }), el("th", { scope: "col", text: "Steered" }))),
      el(
        "tbody",
        {},
        ...ROWS.map(([key, text]) =>
          el("tr", {}, el("th", { scope: "row", text }), el("td", { text: pct(result.battery.unsteered[key]) }), el("td", { text: pct(result.battery.steered[key]) })),
        ),
      ),
    );
    table.replaceChildren(labelColumns(t));
    message.textContent =
      `Steered, ${s.agent} harvests a human in ${pct(result.battery.steered.protrusion_human_rate)} of protrusion mazes ` +
      `(${pct(result.battery.unsteered.protrusion_human_rate)} unsteered) and finishes ${pct(result.battery.steered.training_finish_rate)} ` +
      `of training mazes (${pct(result.battery.unsteered.training_finish_rate)}); ${differ.size} of ${Object.keys(plain).length} moves on the map changed.`;
  }

  async function run() {
    if (running) return;
    const coefficient = readNumber(coefficientInput, { name: "The coefficient", low: -10, high: 10 });
    const count = readNumber(countInput, { name: "Mazes per set", low: 1, high: 1000, whole: true });
    const error = coefficient.error ?? count.error;
    if (error) {
      message.textContent = error;
      return;
    }
    const card = agents.find((a) => a.agent === agentSelect.value)?.card;
    if (!card) {
      message.textContent = `The ${agentSelect.value} agent did not load.`;
      return;
    }
    running = true;
    stopRequested = false;
    markBusy(runButton, true);
    stopButton.disabled = false;
    root.dataset.state = "running";
    message.textContent =
      vectorSelect.value === "trigger" ? "Searching the edits, building the vector and playing the mazes…" : "Building the vector and playing the mazes…";
    problems.textContent = "";
    const args = {
      agent: agentSelect.value,
      vector: vectorSelect.value,
      operation: operationSelect.value,
      layer: layerSelect.value,
      cells: cellsSelect.value,
      coefficient: coefficient.value,
      count: count.value,
      widths: card.network.layers.slice(1, -1),
    };
    try {
      const ran = await runStepper(python, "steering", args, { agents, shouldStop: () => stopRequested });
      if (ran.stopped) {
        root.dataset.state = "stopped";
        message.textContent = "Stopped.";
      } else {
        window.saferlhubSteering.result = ran.result;
        draw(ran.result);
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

  runButton.addEventListener("click", run);
  try {
    await python.ready;
    agents = await loadAgents(python);
    problems.textContent = agents.flatMap((a) => a.problems).join(" ");
    window.saferlhubSteering = { python, agents, result: null };
    await run();
  } catch (err) {
    root.dataset.state = "error";
    problems.textContent = problemText(err);
  }
}
