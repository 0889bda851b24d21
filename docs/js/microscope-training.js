// The maze lab's microscope pages "Probes" (docs/maze/microscope-probes.md) and "Over
// training" (docs/maze/microscope-training.md). Every number and every sentence about a
// run comes from Python (saferlhub/maze/microscope_training.py on saferlhub.maze.interp)
// through the browser's sessions (onnx.js runStepper: onnxruntime-web answers its network
// calls; Stop ends a run at the next turn, between two probes or two rounds of episodes).
// This file draws what Python returns: charts with their data tables, tables, a slider.
//
// root.dataset.state: loading | ready | running | stopped | error.

import { el, endRun, fmt, labelColumns, markBusy } from "./dom.js";
import { lineChart } from "./chart.js";
import { intervalChart } from "./maze-interval-chart.js";
import { readNumber } from "./number-field.js";
import { loadAgents, modelSession, problemText, runStepper } from "./onnx.js";
import { PythonStopped } from "./python-client.js";

const PAGE = "saferlhub.maze.microscope_training";
const LAYERS = ["hidden.0", "hidden.1", "hidden.2", "hidden.3"];
const CONCEPTS = [
  ["protrusion", "a one-block protrusion anywhere"],
  ["human_adjacent", "a human next to the agent"],
  ["crop_adjacent", "a crop next to the agent"],
  ["nearest_human_direction", "first move toward the nearest human"],
  ["finish_distance", "moves to the finish"],
];
const VARIANTS = [
  { key: "task", label: "probe on the concept" },
  { key: "control", label: "control task (random label per cell)" },
  { key: "random_init", label: "untrained network, same shape" },
];
// The interval chart's colours (maze.css: --maze-agent-<i>, by the agent's place in the
// list), with a dash each so the lines stay apart where they share checkpoints.
const LINE_STYLES = [{}, { dash: [6, 3] }, { dash: [2, 4], width: 3 }, { dash: [8, 2, 2, 2] }];

const pct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(0)}%`);
const labelled = (id, text, control) => el("span", { class: "microscope__field" }, el("label", { for: id, text }), control);
const numberInput = (id, value, low, high) =>
  el("input", { id, type: "number", min: String(low), max: String(high), step: "1", value: String(value), inputmode: "numeric" });

/** Status line, problems, Stop and the agents; `lab.run` drives one task to its end. */
function frame(root, python) {
  const message = el("p", { class: "maze-lab__message", role: "status", "aria-live": "polite" });
  const problems = el("div", { class: "maze-lab__problems", role: "alert" });
  const stopButton = el("button", { type: "button", class: "md-button maze-lab__stop", text: "Stop", disabled: "" });
  let stopRequested = false;
  let running = false;
  stopButton.addEventListener("click", () => (stopRequested = true));
  const lab = {
    agents: [],
    message,
    problems,
    stopButton,
    say(text, kind = "info") {
      message.textContent = text;
      message.dataset.kind = kind;
    },
    card: (agent) => lab.agents.find((a) => a.agent === agent)?.card,
    usable: () => lab.agents.filter((a) => !a.problems.length).map((a) => a.agent),
    async run(task, args, { onProgress, runButton } = {}) {
      if (running) return undefined;
      running = true;
      stopRequested = false;
      root.dataset.state = "running";
      stopButton.disabled = false;
      problems.textContent = "";
      markBusy(runButton, true);
      const t0 = performance.now();
      try {
        // Load the task's networks while Python prepares the run (its worker runs meanwhile);
        // runStepper's calls take the same sessions, and report any failure themselves.
        const names = await python.call(`${PAGE}.networks`, { task, args });
        for (const name of names) modelSession(lab.agents, name).catch(() => {});
        const ran = await runStepper(python, task, args, { agents: lab.agents, onProgress, shouldStop: () => stopRequested });
        lab.lastMs = performance.now() - t0;
        lab.lastTiming = ran.timing; // Python's turns vs onnxruntime-web's (the timing print)
        root.dataset.state = ran.stopped ? "stopped" : "ready";
        return ran.stopped ? undefined : ran.result;
      } catch (error) {
        root.dataset.state = "error";
        if (!(error instanceof PythonStopped)) {
          problems.textContent = problemText(error);
        }
        return undefined;
      } finally {
        running = false;
        endRun(runButton, stopButton);
      }
    },
  };
  return lab;
}

async function boot(root, python, lab, start) {
  try {
    await python.ready;
    lab.agents = await loadAgents(python);
    lab.problems.textContent = lab.agents.flatMap((a) => a.problems).join(" ");
    window.saferlhubMicroscopeTraining = { python, lab, runStepper: (task, args) => runStepper(python, task, args, { agents: lab.agents }) };
    await start();
  } catch (error) {
    root.dataset.state = "error";
    lab.problems.textContent = problemText(error);
  }
}

function findingsList(findings) {
  return el("ul", { class: "microscope__findings" }, ...findings.map((text) => el("li", { text })));
}

// ---- Probes ------------------------------------------------------------------------------

export async function mountProbes(root, python) {
  const lab = frame(root, python);
  const agent = el("select", { id: "probes-agent" });
  const concept = el("select", { id: "probes-concept" }, ...CONCEPTS.map(([value, text]) => el("option", { value, text })));
  const states = numberInput("probes-states", 300, 40, 600);
  const epochs = numberInput("probes-epochs", 4, 1, 8);
  const runButton = el("button", { type: "button", class: "md-button md-button--primary", text: "Train probes" });
  const progress = el("progress", { max: "12", value: "0", "aria-label": "Probes trained" });
  const chartBox = el("div", { class: "microscope__chart" });
  const findings = el("div", { class: "microscope__summary" });
  const tableBox = el("div");
  root.replaceChildren(
    el("div", { class: "maze-lab__controls microscope__settings" }),
    lab.message,
    lab.problems,
    chartBox,
    findings,
    tableBox,
  );
  const history = []; // every run of this visit, newest first: per concept, layer and agent
  let chart = null;

  async function train() {
    const n = readNumber(states, { name: "States", low: 40, high: 600, whole: true });
    const e = readNumber(epochs, { name: "Epochs", low: 1, high: 8, whole: true });
    const bad = [n, e].find((x) => x.error);
    if (bad) {
      lab.say(bad.error, "refused");
      (n.error ? states : epochs).focus();
      return;
    }
    progress.value = 0;
    lab.say(`Training 12 probes for ${agent.value}…`);
    const args = { card: lab.card(agent.value), concept: concept.value, count: n.value, epochs: e.value };
    const got = await lab.run("microscope.probes", args, {
      runButton,
      onProgress: (p) => {
        progress.value = p.done;
        lab.say(p.stage === "network" ? "Running the agent and the untrained network on the states…" : `Probes trained: ${p.done} of ${p.total}.`);
      },
    });
    if (!got) {
      if (root.dataset.state === "stopped") lab.say("Stopped: the last results stay as they were.", "refused");
      return;
    }
    if (got.refused) {
      lab.say(got.refused, "refused");
      return;
    }
    progress.value = 12;
    window.saferlhubMicroscopeTraining.lastProbes = { args: { agent: agent.value, concept: concept.value, count: n.value, epochs: e.value }, result: got, ms: lab.lastMs, timing: lab.lastTiming };
    lab.say(`${got.agent}, ${got.describe}: 12 probes on ${got.states} states (${got.states - got.layers["hidden.0"].task.test} to train, ${got.layers["hidden.0"].task.test} to test) in ${(lab.lastMs / 1000).toFixed(1)} s.`);
    history.unshift(got);
    render(got);
  }

  function render(got) {
    const percent = got.metric === "accuracy";
    chart = intervalChart(chartBox, {
      id: "probes",
      title: `${got.agent}: ${percent ? "accuracy" : "R²"} of a linear probe for ${got.describe}, per layer (bars: 95% interval)`,
      series: VARIANTS,
      domain: percent ? [0, 1] : null,
      percent,
      columns: ["layer", "probe", percent ? "accuracy" : "R²", "95% interval", "test states"],
    });
    chart.setData(
      LAYERS.map((layer) => ({ group: layer, values: Object.fromEntries(VARIANTS.map((v) => [v.key, { ...got.layers[layer][v.key], n: got.layers[layer][v.key].test }])) })),
    );
    findings.replaceChildren(
      el("p", { text: got.chance === null ? "R² 0 is predicting the average; 1 is exact." : `Chance is ${pct(got.chance)}: the states hold as many of each answer.` }),
      findingsList(got.findings),
    );
    const score = (s) => (percent ? `${pct(s.value)} (${pct(s.interval[0])}–${pct(s.interval[1])})` : `${fmt(s.value, 2)} (${fmt(s.interval[0], 2)}–${fmt(s.interval[1], 2)})`);
    const table = el(
      "table",
      { class: "microscope__table probes__table" },
      el("caption", { text: "Every probe of this visit, newest first (95% intervals)" }),
      el("thead", {}, el("tr", {}, ...["agent", "concept", "layer", "probe", "control task", "untrained", "selectivity"].map((t) => el("th", { scope: "col", text: t })))),
    );
    const body = el("tbody");
    for (const run of history) {
      for (const layer of LAYERS) {
        const s = run.layers[layer];
        const select = run.metric === "accuracy" ? `${fmt(100 * s.selectivity, 0)} points` : fmt(s.selectivity, 2);
        body.append(el("tr", {}, ...[run.agent, run.describe, layer, score(s.task), score(s.control), score(s.random_init), select].map((t) => el("td", { text: t }))));
      }
    }
    table.append(body);
    labelColumns(table);
    tableBox.replaceChildren(table);
  }

  runButton.addEventListener("click", train);

  await boot(root, python, lab, async () => {
    for (const a of lab.agents) agent.append(el("option", { value: a.agent, text: a.agent, disabled: a.problems.length ? "disabled" : undefined }));
    const usable = lab.usable();
    agent.value = usable.includes("planted") ? "planted" : (usable[0] ?? "");
    root.querySelector(".microscope__settings").append(
      labelled("probes-agent", "Agent ", agent),
      labelled("probes-concept", "Concept ", concept),
      labelled("probes-states", "States ", states),
      labelled("probes-epochs", "Epochs ", epochs),
      runButton,
      lab.stopButton,
      progress,
    );
    await train();
    if (root.dataset.state === "running") root.dataset.state = "ready";
  });
}

// ---- Over training -------------------------------------------------------------------------

export async function mountTraining(root, python) {
  const lab = frame(root, python);
  const mazes = numberInput("training-mazes", 50, 10, 200);
  const probeConcept = el("select", { id: "training-probe" }, el("option", { value: "", text: "no probe" }), ...CONCEPTS.map(([value, text]) => el("option", { value, text })));
  const probeLayer = el("select", { id: "training-layer" }, ...LAYERS.map((l) => el("option", { value: l, text: l })));
  probeLayer.value = "hidden.1";
  const runButton = el("button", { type: "button", class: "md-button md-button--primary", text: "Run the checkpoints" });
  const progress = el("progress", { max: "50", value: "0", "aria-label": "Rounds of episodes played" });
  const checks = el("fieldset", { class: "training__agents" }, el("legend", { text: "Agents" }));
  const slider = el("input", { id: "training-step", type: "range", min: "0", max: "0", step: "1", value: "0", disabled: "" });
  const sliderText = el("p", { class: "microscope__summary training__at", "aria-live": "polite" });
  const atBox = el("div", { class: "microscope__chart" });
  const chartBox = el("div", { class: "microscope__chart" });
  const findings = el("div", { class: "microscope__summary" });
  const tableBox = el("div");
  root.replaceChildren(
    el("div", { class: "maze-lab__controls microscope__settings" }),
    lab.message,
    lab.problems,
    chartBox,
    findings,
    el("div", { class: "maze-lab__controls" }, labelled("training-step", "Training step ", slider)),
    sliderText,
    atBox,
    el("details", { class: "training__every" }, el("summary", { text: "Every checkpoint in a table" }), tableBox),
  );
  let chart = null;
  let names = []; // every usable agent, in the charts' order
  let result = null;
  let steps = [];

  async function runSweep() {
    const m = readNumber(mazes, { name: "Mazes", low: 10, high: 200, whole: true });
    if (m.error) {
      lab.say(m.error, "refused");
      mazes.focus();
      return;
    }
    const chosen = [...checks.querySelectorAll("input:checked")].map((c) => c.value);
    if (!chosen.length) {
      lab.say("Choose at least one agent.", "refused");
      checks.querySelector("input")?.focus();
      return;
    }
    const args = { cards: Object.fromEntries(chosen.map((a) => [a, lab.card(a)])), mazes: m.value };
    if (probeConcept.value) args.probe = [probeConcept.value, probeLayer.value];
    progress.value = 0;
    lab.say("Loading the checkpoints and playing the episodes…");
    const got = await lab.run("microscope.training", args, {
      runButton,
      onProgress: (p) => {
        progress.value = Math.min(p.rounds, p.most);
        lab.say(p.stage === "episodes" ? `Rounds of greedy steps: ${p.rounds} (at most ${p.most}).` : "Probing each checkpoint…");
      },
    });
    if (!got) {
      if (root.dataset.state === "stopped") lab.say("Stopped: the last results stay as they were.", "refused");
      return;
    }
    if (got.refused) {
      lab.say(got.refused, "refused");
      return;
    }
    progress.value = 50;
    result = got;
    window.saferlhubMicroscopeTraining.lastTraining = { args: { agents: chosen, mazes: m.value, probe: args.probe ?? null }, result: got, ms: lab.lastMs, timing: lab.lastTiming };
    lab.say(`${got.networks_run} checkpoint networks on ${got.mazes} training and ${got.mazes} protrusion mazes each in ${(lab.lastMs / 1000).toFixed(1)} s.`);
    render();
  }

  function render() {
    const agents = Object.keys(result.agents);
    steps = [...new Set(agents.flatMap((a) => result.agents[a].rows.map((r) => r.step)))].sort((a, b) => a - b);
    const xs = steps;
    const ys = names.map((a) => {
      const rows = result.agents[a]?.rows ?? [];
      return xs.map((s) => rows.find((r) => r.step === s)?.protrusion_human_rate ?? null);
    });
    chart.setData(xs, ys, { xMax: steps.at(-1) });
    findings.replaceChildren(findingsList(result.findings));
    slider.max = String(steps.length - 1);
    slider.disabled = false;
    slider.value = String(steps.length - 1);
    showStep();
    const probe = result.probe;
    const table = el(
      "table",
      { class: "microscope__table training__table" },
      el("caption", { text: `Every checkpoint (${result.mazes} mazes of each kind; 95% intervals)` }),
      el(
        "thead",
        {},
        el("tr", {}, ...["agent", "step", "phase", "finish, training mazes", "human, protrusion mazes", ...(probe ? [`probe: ${probe[0]} on ${probe[1]}`] : [])].map((t) => el("th", { scope: "col", text: t }))),
      ),
    );
    const body = el("tbody");
    for (const a of agents) {
      for (const r of result.agents[a].rows) {
        const cells = [
          a,
          String(r.step),
          r.phase + (r.same_file_as ? ` (${r.same_file_as}'s file)` : ""),
          `${pct(r.training_finish_rate)} (${pct(r.training_finish_interval[0])}–${pct(r.training_finish_interval[1])})`,
          `${pct(r.protrusion_human_rate)} (${pct(r.protrusion_human_interval[0])}–${pct(r.protrusion_human_interval[1])})`,
        ];
        if (probe) cells.push(r.probe.metric === "r2" ? `R² ${fmt(r.probe.value, 2)}` : `${pct(r.probe.value)} (${pct(r.probe.interval[0])}–${pct(r.probe.interval[1])})`);
        body.append(el("tr", {}, ...cells.map((t) => el("td", { text: t }))));
      }
    }
    table.append(body);
    labelColumns(table);
    tableBox.replaceChildren(table);
  }

  /** Each agent's latest checkpoint at or before the slider's step. */
  function showStep() {
    const step = steps[Number(slider.value)];
    const agents = Object.keys(result.agents);
    const at = Object.fromEntries(names.map((a) => [a, [...(result.agents[a]?.rows ?? [])].reverse().find((r) => r.step <= step) ?? null]));
    const words = agents.map((a) => (at[a] ? `${a} at its step ${at[a].step} (${at[a].phase} phase)` : `${a}: no checkpoint yet`));
    slider.setAttribute("aria-valuetext", `step ${step}`);
    sliderText.textContent = `Step ${step.toLocaleString("en-US")}: ${words.join("; ")}.`;
    const value = (r, key) => (r ? { value: r[`${key}_rate`], interval: r[`${key}_interval`], n: r.mazes } : null);
    const groups = [
      { group: "finish, training mazes", values: Object.fromEntries(names.map((a) => [a, value(at[a], "training_finish")])) },
      { group: "human, protrusion mazes", values: Object.fromEntries(names.map((a) => [a, value(at[a], "protrusion_human")])) },
    ];
    if (result.probe) {
      groups.push({ group: `probe: ${result.probe[0]} on ${result.probe[1]}`, values: Object.fromEntries(names.map((a) => [a, at[a]?.probe ?? null])) });
    }
    intervalChart(atBox, {
      id: "training-at",
      title: `At training step ${step.toLocaleString("en-US")}: each agent's latest checkpoint (bars: 95% interval)`,
      series: names.map((a) => ({ key: a, label: a })),
      columns: ["measure", "agent", "rate", "95% interval", "mazes counted"],
      domain: [0, 1],
      percent: true,
    }).setData(groups);
  }

  runButton.addEventListener("click", runSweep);
  slider.addEventListener("input", () => result && showStep());

  await boot(root, python, lab, async () => {
    names = lab.usable();
    chart = lineChart(chartBox, {
      title: "Human harvested on protrusion mazes, per checkpoint",
      xLabel: "training step",
      yLabel: "share of mazes",
      xMax: 40100,
      series: names.map((label, i) => ({ label, color: `--maze-agent-${i}`, ...LINE_STYLES[i % LINE_STYLES.length] })),
    });
    for (const a of names) {
      const id = `training-agent-${a}`;
      checks.append(el("span", { class: "microscope__field" }, el("input", { type: "checkbox", id, value: a, checked: "" }), el("label", { for: id, text: a })));
    }
    root.querySelector(".microscope__settings").append(
      checks,
      labelled("training-mazes", "Mazes of each kind ", mazes),
      labelled("training-probe", "Probe per checkpoint ", probeConcept),
      labelled("training-layer", "on ", probeLayer),
      runButton,
      lab.stopButton,
      progress,
    );
    await runSweep();
    if (root.dataset.state === "running") root.dataset.state = "ready";
  });
}

export async function mountMicroscopeTraining(article, python) {
  const pages = { "maze-probes": mountProbes, "maze-over-training": mountTraining };
  for (const [name, mount] of Object.entries(pages)) {
    const root = article.querySelector(`[data-python="${name}"]`);
    if (root && !root.dataset.mounted) {
      root.dataset.mounted = "true";
      root.dataset.state = "loading";
      await mount(root, python);
    }
  }
}
