// "Goal misgeneralization nobody planted" (docs/maze/unplanted.md): train a linear
// Q-learner on coin-at-the-end or keys-and-chests levels, watch its test levels, turn
// the remedy dial, and read the committed measurement. All RL, every rule and every
// number come from Python (saferlhub/goal_misgeneralization/page.py); this file only
// draws what it returns, reusing the Train/Stop glue, the line chart and the boards'
// CSS of the reward-hacking labs.
//
// Root: <div data-python="gm-lab">; its state for tests: root.dataset.state =
// loading | ready | running | done | stopped | invalid | error; the dial's section
// sets data-dial = running | done | stopped | error.

import { PythonStopped } from "./python-client.js";
import { trainingRun } from "./training-run.js";
import { lineChart } from "./chart.js";
import { count, el, labelColumns, markBusy } from "./dom.js";

const PAGE = "saferlhub.goal_misgeneralization.page";
const pct = (x, digits = 0) => `${(100 * x).toFixed(digits)}%`;
const CELL = { "#": "wall", A: "agent", "*": "agent", $: "goal", k: "transformer", c: "watcher", "|": "unknown", ".": "move" };
const VERDICT_WORDS = {
  optimal: "reached the level's optimum",
  "wrong goal": "wrong goal pursued",
  incompetent: "incompetent: it wandered",
};

function board(rows, caption) {
  const pre = el("pre", { class: "rh-board", "aria-hidden": "true" });
  for (const row of rows) {
    for (const ch of row) {
      const kind = CELL[ch] ?? "floor";
      pre.append(el("span", { class: `rh-cell rh-cell--${kind}`, text: kind === "wall" ? " " : ch }));
    }
    pre.append("\n");
  }
  const text = el("p", { class: "rh-sr-only", text: `${caption}. Rows: ${rows.map((r) => r.replaceAll(" ", "·")).join(" / ")}` });
  return el("figure", { class: "rh-figure" }, pre, el("figcaption", { text: caption }), text);
}

function field(spec, setup) {
  const id = `gm-${spec.name}`;
  let input;
  if (spec.name === "test_share") {
    // The dial's stops, as in the issue; any other value can be typed in Python.
    input = el("select", { id, name: spec.name });
    for (const share of setup.dial.shares) input.append(el("option", { value: String(share), text: `${share}%` }));
  } else if (spec.choices) {
    input = el("select", { id, name: spec.name });
    spec.choices.forEach((c, i) => input.append(el("option", { value: c, text: spec.choice_labels?.[i] ?? c })));
  } else {
    input = el("input", { id, name: spec.name, type: "number", min: spec.min, max: spec.max, step: "1" });
  }
  const message = el("span", { class: "rh-field__error", id: `${id}-error`, role: "alert" });
  input.setAttribute("aria-describedby", `${id}-help ${id}-error`);
  const box = el(
    "div",
    { class: "rh-field" },
    el("label", { for: id, text: spec.label }),
    input,
    el("small", { id: `${id}-help`, text: spec.description + (spec.range && spec.name !== "test_share" ? ` (${spec.range})` : "") }),
    message,
  );
  return { box, input, message, spec };
}

function measuredTable(result, caption) {
  const rows = result.rows.map((r) => {
    const [lo, hi] = r.share_of_optimum_interval ?? [r.share_of_optimum, r.share_of_optimum];
    const [wlo, whi] = r.wrong_goal_interval;
    const [ilo, ihi] = r.incompetent_interval;
    const fixedSeeds = r.runs.filter((run) => run.wrong_goal <= 0.05 * result.test_levels).length;
    return el(
      "tr",
      {},
      el("th", { scope: "row", text: `${r.share}%` }),
      el("td", { text: `${pct(r.share_of_optimum)} (${pct(lo)}–${pct(hi)})` }),
      el("td", { text: `${pct(r.wrong_goal_rate)} (${pct(wlo)}–${pct(whi)})` }),
      el("td", { text: `${pct(r.incompetent_rate)} (${pct(ilo)}–${pct(ihi)})` }),
      el("td", { text: `${fixedSeeds} of ${r.runs.length}` }),
    );
  });
  const heads = ["test-like share", "share of the test optimum", "wrong goal", "incompetent", "seeds fixed"];
  return labelColumns(
    el(
      "table",
      { class: "gm-measured" },
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, ...heads.map((t) => el("th", { scope: "col", text: t })))),
      el("tbody", {}, ...rows),
    ),
  );
}

function dialChart(host, title) {
  return lineChart(host, {
    title,
    xLabel: "test-like training levels (%)",
    yLabel: "share of test levels",
    xMax: 25,
    series: [
      { label: "share of the test optimum (mean over seeds)", color: "--saferlhub-chart-optimal" },
      { label: "wrong goal pursued (pooled)", color: "--saferlhub-chart-1" },
      { label: "wrong goal: 95% interval, low", color: "--saferlhub-chart-1", width: 1, dash: [2, 4] },
      { label: "wrong goal: 95% interval, high", color: "--saferlhub-chart-1", width: 1, dash: [2, 4] },
      { label: "incompetent (pooled)", color: "--saferlhub-chart-2", dash: [6, 3] },
    ],
  });
}

function drawDial(chart, result) {
  const rows = result.rows;
  chart.setData(
    rows.map((r) => r.share),
    [
      rows.map((r) => r.share_of_optimum),
      rows.map((r) => r.wrong_goal_rate),
      rows.map((r) => r.wrong_goal_interval[0]),
      rows.map((r) => r.wrong_goal_interval[1]),
      rows.map((r) => r.incompetent_rate),
    ],
    { xMax: 25 },
  );
}

export async function mountGmLab(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";
  root.replaceChildren(el("p", { class: "rh-status", text: "Loading the lab from Python…" }));
  let setup;
  try {
    setup = await python.ready.then(() => python.call(`${PAGE}.page_setup`));
  } catch (error) {
    root.dataset.state = "error";
    root.replaceChildren(el("p", { class: "rh-status", "data-kind": "error", text: `Could not load the lab: ${error.message}` }));
    return;
  }
  const controls = new Map(setup.schema.map((spec) => [spec.name, field(spec, setup)]));
  for (const [name, c] of controls) c.input.value = String(setup.defaults[name]);
  const readSettings = () => {
    const values = {};
    for (const [name, c] of controls) {
      const raw = c.input.value.trim();
      values[name] = c.spec.choices ? raw : raw === "" ? null : Number(raw);
    }
    return values;
  };

  const examples = el("div", { class: "rh-grids gm-examples" });
  const showExamples = () => {
    const w = setup.worlds[controls.get("world").input.value];
    examples.replaceChildren(board(w.training, `${w.title}: a training level`), board(w.test, `${w.title}: a test level`));
  };
  const legend = el(
    "ul",
    { class: "gm-legend" },
    ...Object.entries(setup.legend).map(([s, meaning]) => el("li", {}, el("code", { text: s }), ` ${meaning}`)),
  );
  const trainButton = el("button", { type: "button", class: "md-button md-button--primary rh-train gm-train", text: "▶ Train" });
  const stopButton = el("button", { type: "button", class: "md-button rh-stop gm-stop", text: "■ Stop", disabled: true });
  const bar = el("progress", { class: "rh-progress", max: 1, value: 0, "aria-label": "Training progress" });
  const status = el("p", { class: "rh-status gm-status", role: "status", text: "Press Train: the agent learns on training levels and is scored on a fixed set of test levels." });
  const chartBox = el("div", { class: "rh-chart" });
  const summary = el("p", { class: "gm-summary", "aria-live": "polite" });
  const episodes = el("div", { class: "rh-grids gm-episodes" });

  const dialButton = el("button", { type: "button", class: "md-button gm-dial-run", text: "Turn the dial: train at every share" });
  const dialStatus = el("p", { class: "gm-dial-status", role: "status" });
  const dialChartBox = el("div", { class: "rh-chart" });
  const dialTable = el("div", { class: "gm-dial-table" });
  const dialSection = el(
    "section",
    { class: "gm-dial", "aria-label": "The remedy dial, live" },
    el("h4", { text: "The remedy dial, live" }),
    el("p", {
      text: `Trains ${setup.dial.seeds} seeds at each share (${setup.dial.shares.map((s) => `${s}%`).join(", ")}) with ${count(setup.dial.episodes)} episodes each, and scores every agent on the same ${setup.dial.test_levels} test levels of the world chosen above.`,
    }),
    el("div", { class: "rh-actions" }, dialButton),
    dialStatus,
    dialChartBox,
    dialTable,
  );

  root.replaceChildren(
    el("form", { class: "rh-controls", novalidate: true }, el("div", { class: "rh-fields" }, ...[...controls.values()].map((c) => c.box))),
    examples,
    el("details", { class: "gm-legend-box" }, el("summary", { text: "What the symbols mean" }), legend),
    el("div", { class: "rh-actions" }, trainButton, stopButton, bar),
    status,
    chartBox,
    summary,
    episodes,
    dialSection,
  );
  showExamples();

  const chart = lineChart(chartBox, {
    title: "The greedy agent on the test levels, during training",
    xLabel: "training episodes",
    yLabel: "share of test levels",
    series: [
      { label: "share of the test optimum", color: "--saferlhub-chart-optimal" },
      { label: "wrong goal pursued", color: "--saferlhub-chart-1" },
      { label: "incompetent", color: "--saferlhub-chart-2", dash: [6, 3] },
    ],
  });
  let curve = [];
  const redraw = (planned) =>
    chart.setData(
      curve.map((e) => e.episodes_done),
      [curve.map((e) => e.share_of_optimum), curve.map((e) => e.wrong_goal / e.test_levels), curve.map((e) => e.incompetent / e.test_levels)],
      { xMax: planned ?? curve.at(-1)?.episodes_done ?? 1 },
    );
  const dial = dialChart(dialChartBox, "The live dial: test results against the share of test-like training levels");

  let running = false;
  const run = trainingRun({ python, root, status, trainButton, stopButton });
  const setRunning = (busy) => {
    running = busy;
    run.busy(busy);
    markBusy(dialButton, busy);
    for (const c of controls.values()) c.input.disabled = busy;
  };
  const clearErrors = () => {
    status.removeAttribute("data-kind");
    for (const c of controls.values()) {
      c.message.textContent = "";
      c.input.removeAttribute("aria-invalid");
    }
  };
  const refuse = (result) => {
    root.dataset.state = "invalid";
    status.dataset.kind = "error";
    status.textContent = `Not trained: ${result.error}`;
    const c = controls.get(result.setting);
    if (c) {
      c.message.textContent = result.error;
      c.input.setAttribute("aria-invalid", "true");
      c.input.focus();
    }
  };
  const testWords = (t) =>
    `On ${t.test_levels} test levels the greedy agent reaches ${pct(t.share_of_optimum)} of the optimum (the solver's): ` +
    `${t.optimal} optimal, ${t.wrong_goal} lost to the wrong goal, ${t.incompetent} lost to wandering.`;

  controls.get("world").input.addEventListener("change", showExamples);
  trainButton.addEventListener("click", async () => {
    if (running) return;
    clearErrors();
    const settings = readSettings();
    curve = [];
    redraw(settings.episodes ?? 1);
    episodes.replaceChildren();
    summary.textContent = "";
    let last = null;
    setRunning(true);
    bar.value = 0;
    run.start();
    status.textContent = ["ready", "running"].includes(python.status.state) ? "Training…" : "Waiting for Python to load…";
    try {
      const result = await python.call(`${PAGE}.train_page`, { settings }, {
        onProgress: (event) => {
          last = event;
          curve.push(event);
          bar.value = event.episodes_done / event.episodes;
          status.textContent = `Training… ${count(event.episodes_done)} of ${count(event.episodes)} episodes`;
          redraw(event.episodes);
        },
      });
      if (result.error) {
        setRunning(false);
        refuse(result);
        return;
      }
      curve = result.curve;
      redraw(result.settings.episodes);
      summary.textContent = testWords(result.test);
      summary.dataset.wrongGoal = String(result.test.wrong_goal);
      episodes.replaceChildren(
        ...result.examples.map((e) => board(e.rows, `A test level: ${VERDICT_WORDS[e.verdict]} (return ${e.return} of ${e.optimum}, ${e.steps} steps)`)),
      );
      root.dataset.state = "done";
      status.textContent = `Done: ${count(result.episodes_done)} episodes.`;
    } catch (error) {
      run.ended(error, () => {
        status.textContent = last
          ? `Stopped after ${count(last.episodes_done)} of ${count(last.episodes)} episodes; the chart shows the checkpoints reached.`
          : "Stopped before the first checkpoint: nothing was learned.";
      });
    } finally {
      setRunning(false);
    }
  });

  dialButton.addEventListener("click", async () => {
    if (running) return;
    const world = controls.get("world").input.value;
    setRunning(true);
    run.start();
    dialSection.dataset.dial = "running";
    dialTable.replaceChildren();
    dialStatus.textContent = "Training…";
    try {
      const result = await python.call(`${PAGE}.dial_page`, { world }, {
        onProgress: (p) => {
          dialStatus.textContent = `Trained ${p.done} of ${p.of} agents (share ${p.share}%, seed ${p.seed})…`;
        },
      });
      drawDial(dial, result);
      dialTable.replaceChildren(measuredTable(result, `The live dial, ${setup.worlds[world].title}: ${result.seeds} seeds per share, 95% intervals`));
      dialSection.dataset.dial = "done";
      root.dataset.state = "done";
      dialStatus.textContent =
        result.fixed_at === null
          ? "Done: at no share did every seed keep the wrong goal to 5% of test levels or fewer."
          : `Done: the smallest share at which every seed kept the wrong goal to 5% of test levels or fewer was ${result.fixed_at}%.`;
    } catch (error) {
      dialSection.dataset.dial = error instanceof PythonStopped || run.stopped ? "stopped" : "error";
      run.ended(error, () => (dialStatus.textContent = "Stopped."));
      if (dialSection.dataset.dial === "error") dialStatus.textContent = `Failed: ${error.message}`;
    } finally {
      setRunning(false);
    }
  });

  // The committed measurement (benchmarks/goal_misgeneralization_dial.py), drawn at once.
  for (const host of document.querySelectorAll("[data-gm-measured]")) {
    const world = host.dataset.gmMeasured;
    const result = setup.measured[world];
    const title = `${setup.worlds[world].title}, measured: ${result.seeds} seeds per share, ${count(result.episodes)} episodes each, ${result.test_levels} test levels`;
    const chartHost = el("div", { class: "rh-chart" });
    host.replaceChildren(chartHost, measuredTable(result, `${title}; 95% intervals`));
    drawDial(dialChart(chartHost, title), result);
    host.dataset.state = "done";
  }

  root.dataset.state = "ready";
  redraw(setup.defaults.episodes);
}

export function mountGmLabs(article, python) {
  for (const root of article.querySelectorAll('[data-python="gm-lab"]')) mountGmLab(root, python);
}
