// "Train your own agent" (docs/blackjack/train.md): controls, live charts, the gap
// to optimal and policy heatmaps. All RL happens in Python
// (saferlhub/blackjack/page.py); this file only renders what it returns.
//
// The page marks its root with data-python="blackjack-trainer"; state for tests and
// styles: root.dataset.state = loading | ready | running | done | stopped | invalid | error.

import uPlot from "uplot";
import { PythonStopped } from "./python-client.js";

const PAGE = "saferlhub.blackjack.page";
// Shown above the fold; the rest go into "More settings".
const MAIN_SETTINGS = ["episodes", "method", "alpha", "epsilon_start", "epsilon_min", "seed"];
const DEALER_LABELS = ["A", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
const PLAYER_SUMS = [12, 13, 14, 15, 16, 17, 18, 19, 20, 21];
const COLORS = {
  reward: "#00897b",
  game: "#5e35b1",
  win: "#2e7d32",
  draw: "#f9a825",
  loss: "#c62828",
  value: "#00897b",
  optimal: "#ff6d00",
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

const fmt = (x, digits = 4) => (x < 0 ? "−" : "") + Math.abs(x).toFixed(digits);
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const count = (n) => n.toLocaleString("en-US");
const pretty = (name) => name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

// ---- controls ---------------------------------------------------------------

function controlFor(spec, onEdit) {
  const id = `bj-setting-${spec.name}`;
  let input;
  if (spec.choices) {
    input = el("select", { id, name: spec.name });
    for (const choice of spec.choices) input.append(el("option", { value: choice, text: choice.replaceAll("_", " ") }));
  } else if (spec.type === "bool") {
    input = el("input", { id, name: spec.name, type: "checkbox" });
  } else {
    input = el("input", {
      id,
      name: spec.name,
      type: "number",
      min: spec.min,
      max: spec.max,
      step: spec.type === "int" ? "1" : "any",
      inputmode: spec.type === "int" ? "numeric" : "decimal",
    });
  }
  input.addEventListener("input", onEdit);
  const range = spec.min !== null ? ` (${count(spec.min)} to ${count(spec.max)})` : "";
  const message = el("span", { class: "bj-field__error", id: `${id}-error`, role: "alert" });
  input.setAttribute("aria-describedby", `${id}-help ${id}-error`);
  const field = el(
    "div",
    { class: "bj-field", "data-setting": spec.name },
    el("label", { for: id, text: pretty(spec.name) }),
    input,
    el("small", { id: `${id}-help`, text: spec.description + range }),
    message,
  );
  return { field, input, message, spec };
}

function setValue(control, value) {
  if (control.spec.type === "bool") control.input.checked = Boolean(value);
  else control.input.value = String(value);
}

function readValue(control) {
  const { input, spec } = control;
  if (spec.type === "bool") return input.checked;
  if (spec.choices) return input.value;
  return input.value.trim() === "" ? null : Number(input.value);
}

// ---- charts -----------------------------------------------------------------

// Both runs on one x axis (hands played): the union of their checkpoints, with gaps.
function aligned(runs, keys) {
  const xs = [...new Set(runs.flatMap((run) => run.curve.map((e) => e.episodes_done)))].sort((a, b) => a - b);
  const data = [xs];
  for (const run of runs) {
    const at = new Map(run.curve.map((e) => [e.episodes_done, e]));
    for (const key of keys) data.push(xs.map((x) => (at.has(x) ? at.get(x)[key] : null)));
  }
  return data;
}

function makeChart(box, title, series, height = 220) {
  const axis = { stroke: "#888", grid: { stroke: "rgba(128,128,128,0.18)" }, ticks: { stroke: "rgba(128,128,128,0.3)" } };
  const opts = {
    title,
    width: Math.max(280, box.clientWidth || 600),
    height,
    scales: { x: { time: false } },
    axes: [{ ...axis, label: "hands played" }, { ...axis, size: 60 }],
    legend: { live: false },
    series: [{ label: "hands" }, ...series],
  };
  const chart = new uPlot(opts, [[], ...series.map(() => [])], box);
  new ResizeObserver(() => chart.setSize({ width: Math.max(280, box.clientWidth), height })).observe(box);
  return chart;
}

function line(label, color, { previous = false, dash, width = 2 } = {}) {
  return {
    label: previous ? `${label} (previous run)` : label,
    stroke: previous ? `${color}66` : color,
    width: previous ? 1.5 : width,
    dash: previous ? [4, 4] : dash,
    spanGaps: true,
    points: { show: false },
  };
}

// ---- policy heatmaps ----------------------------------------------------------

function policyTable(caption, grid, optimal, markDiffs) {
  const head = el("tr", {}, el("th", { scope: "col", text: "sum" }));
  for (const label of DEALER_LABELS) head.append(el("th", { scope: "col", text: label }));
  const body = el("tbody");
  // Highest sum on top, as in Sutton and Barto's figure 5.2.
  for (let row = PLAYER_SUMS.length - 1; row >= 0; row--) {
    const tr = el("tr", {}, el("th", { scope: "row", text: String(PLAYER_SUMS[row]) }));
    for (let col = 0; col < DEALER_LABELS.length; col++) {
      const hit = grid[row][col] === 1;
      const differs = markDiffs && optimal && grid[row][col] !== optimal[row][col];
      const what = `${hit ? "hit" : "stick"} on ${PLAYER_SUMS[row]} against ${DEALER_LABELS[col]}`;
      tr.append(
        el("td", {
          class: `${hit ? "bj-hit" : "bj-stick"}${differs ? " bj-diff" : ""}`,
          title: differs ? `${what}; the optimal policy does the opposite` : what,
          text: hit ? "H" : "S",
        }),
      );
    }
    body.append(tr);
  }
  return el(
    "table",
    { class: "bj-policy" },
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, el("th", { colspan: 11, class: "bj-policy__dealer", text: "dealer's card" })), head),
    body,
  );
}

function differences(policy, optimal) {
  let n = 0;
  for (const key of ["hard", "usable"]) {
    policy[key].forEach((row, r) => row.forEach((a, c) => (n += a !== optimal[key][r][c] ? 1 : 0)));
  }
  return n;
}

// ---- the component ------------------------------------------------------------

export async function mountBlackjackTrainer(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";
  root.replaceChildren(el("p", { class: "bj-status", text: "Loading the settings from Python…" }));

  let setup;
  try {
    await python.ready;
    setup = await python.call(`${PAGE}.page_setup`);
  } catch (error) {
    root.dataset.state = "error";
    root.replaceChildren(el("p", { class: "bj-status", "data-kind": "error", text: `Could not load the trainer: ${error.message}` }));
    return;
  }

  // Controls.
  const controls = new Map();
  const presetSelect = el("select", { id: "bj-preset" });
  for (const name of Object.keys(setup.presets)) presetSelect.append(el("option", { value: name, text: name }));
  presetSelect.append(el("option", { value: "", text: "(your own settings)" }));
  const markCustom = () => {
    presetSelect.value = "";
    clearErrors();
  };
  for (const spec of setup.schema) controls.set(spec.name, controlFor(spec, markCustom));
  const applyPreset = (name) => {
    for (const [key, value] of Object.entries(setup.presets[name])) setValue(controls.get(key), value);
    clearErrors();
  };
  presetSelect.addEventListener("change", () => presetSelect.value && applyPreset(presetSelect.value));

  const main = el("div", { class: "bj-fields" });
  const more = el("div", { class: "bj-fields" });
  for (const [name, control] of controls) (MAIN_SETTINGS.includes(name) ? main : more).append(control.field);
  const details = el("details", { class: "bj-more" }, el("summary", { text: "More settings: schedules, rewards, rules, checkpoints" }), more);

  const trainButton = el("button", { type: "button", class: "md-button md-button--primary bj-train", text: "▶ Train" });
  const stopButton = el("button", { type: "button", class: "md-button bj-stop", text: "■ Stop", disabled: true });
  const bar = el("progress", { class: "bj-progress", max: 1, value: 0, "aria-label": "training progress" });
  const status = el("p", { class: "bj-status", role: "status", text: "Pick a preset or change the settings, then press Train." });

  const headline = el("div", { class: "bj-headline", hidden: true });
  const charts = el("div", { class: "bj-charts" });
  const policies = el("div", { class: "bj-policies", hidden: true });

  root.replaceChildren(
    el(
      "form",
      { class: "bj-controls", novalidate: true },
      el("div", { class: "bj-field bj-field--preset" }, el("label", { for: "bj-preset", text: "Preset" }), presetSelect, el("small", { text: "A starting point; any change makes it your own." })),
      main,
      details,
    ),
    el("div", { class: "bj-actions" }, trainButton, stopButton, bar),
    status,
    headline,
    charts,
    policies,
  );
  presetSelect.value = "default";
  applyPreset("default");

  // Charts: the current run, and the previous one dimmed for comparison.
  const chartBoxes = [0, 1, 2].map((i) => el("div", { class: "bj-chart", "data-chart": ["reward", "outcomes", "value"][i], "data-points": "0" }));
  charts.append(...chartBoxes);
  const rewardChart = makeChart(chartBoxes[0], "Mean reward per hand, over each checkpoint's hands", [
    line("reward trained on", COLORS.reward),
    line("game payoff", COLORS.game, { dash: [8, 3] }),
    line("game payoff", COLORS.game, { previous: true }),
  ]);
  const outcomeChart = makeChart(chartBoxes[1], "Win, draw and loss rates, over each checkpoint's hands", [
    line("win", COLORS.win),
    line("draw", COLORS.draw),
    line("loss (busts included)", COLORS.loss),
    line("win", COLORS.win, { previous: true }),
    line("loss", COLORS.loss, { previous: true }),
  ]);
  const valueChart = makeChart(chartBoxes[2], "Exact value of the greedy policy (expected payoff per hand)", [
    line("greedy policy", COLORS.value),
    line("optimal policy", COLORS.optimal, { dash: [6, 4], width: 1.5 }),
    line("greedy policy", COLORS.value, { previous: true }),
  ]);

  let current = { curve: [] };
  let previous = { curve: [] };
  const redraw = () => {
    const runs = [current, previous];
    const reward = aligned(runs, ["mean_reward", "mean_true_reward"]);
    rewardChart.setData([reward[0], reward[1], reward[2], reward[4]]);
    const outcomes = aligned(runs, ["win_rate", "draw_rate", "loss_rate"]);
    outcomeChart.setData([outcomes[0], outcomes[1], outcomes[2], outcomes[3], outcomes[4], outcomes[6]]);
    const values = aligned(runs, ["greedy_value", "optimal_value"]);
    valueChart.setData([values[0], values[1], values[2], values[3]]);
    for (const box of chartBoxes) box.dataset.points = String(current.curve.length);
  };

  const showHeadline = (event, kind) => {
    const where =
      kind === "done"
        ? `After ${count(event.episodes_done)} hands`
        : kind === "stopped"
          ? `Stopped at ${count(event.episodes_done)} of ${count(event.episodes)} hands (last checkpoint)`
          : `Checkpoint at ${count(event.episodes_done)} of ${count(event.episodes)} hands`;
    headline.hidden = false;
    headline.dataset.kind = kind;
    headline.replaceChildren(
      el("p", { class: "bj-headline__where", text: where }),
      el(
        "dl",
        {},
        el("div", {}, el("dt", { text: "Your agent's greedy policy" }), el("dd", { class: "bj-value", text: fmt(event.greedy_value) })),
        el("div", {}, el("dt", { text: "Optimal policy" }), el("dd", { class: "bj-optimal", text: fmt(event.optimal_value) })),
        el("div", { class: "bj-headline__gap" }, el("dt", { text: "Gap to optimal" }), el("dd", { class: "bj-gap", text: fmt(event.gap) })),
      ),
      el("p", {
        class: "bj-headline__note",
        text:
          "Expected payoff per hand under the game's real payoffs, computed exactly by dynamic programming " +
          `(no sampling noise). A gap of ${fmt(event.gap)} means losing ${fmt(event.gap * 1000, 1)} more units per 1,000 hands than perfect play.`,
      }),
    );
  };

  const showPolicies = (event) => {
    const diffs = differences(event.policy, event.optimal_policy);
    policies.hidden = false;
    policies.replaceChildren(
      el("p", {
        class: "bj-policies__summary",
        text:
          diffs === 0
            ? "Your agent's policy matches the optimal policy in all 200 decisions shown."
            : `Your agent's policy differs from the optimal one in ${diffs} of the 200 decisions shown (outlined).`,
      }),
      ...[
        ["hard", "No usable ace"],
        ["usable", "Usable ace (counted as 11)"],
      ].map(([key, title]) =>
        el(
          "div",
          { class: "bj-policies__pair", "data-ace": key },
          el("h4", { text: title }),
          policyTable("Your agent", event.policy[key], event.optimal_policy[key], true),
          policyTable("Optimal", event.optimal_policy[key], null, false),
        ),
      ),
      el("p", { class: "bj-legend" }, el("span", { class: "bj-hit", text: "H" }), " hit ", el("span", { class: "bj-stick", text: "S" }), " stick ", el("span", { class: "bj-diff bj-hit", text: "H" }), " differs from optimal"),
    );
  };

  const setRunning = (running) => {
    trainButton.disabled = running;
    stopButton.disabled = !running;
    presetSelect.disabled = running;
    for (const control of controls.values()) control.input.disabled = running;
  };

  function clearErrors() {
    for (const control of controls.values()) {
      control.message.textContent = "";
      control.input.removeAttribute("aria-invalid");
    }
    if (root.dataset.state === "invalid") {
      root.dataset.state = "ready";
      status.textContent = "";
      status.removeAttribute("data-kind");
    }
  }

  const refuse = (result) => {
    root.dataset.state = "invalid";
    status.dataset.kind = "error";
    status.textContent = `Not trained: ${result.error}.`;
    const control = controls.get(result.setting);
    if (control) {
      control.message.textContent = result.error;
      control.input.setAttribute("aria-invalid", "true");
      if (!MAIN_SETTINGS.includes(result.setting)) details.open = true;
      control.input.focus();
    }
  };

  let stopped = false;
  trainButton.addEventListener("click", async () => {
    clearErrors();
    const settings = Object.fromEntries([...controls].map(([name, control]) => [name, readValue(control)]));
    if (current.curve.length) previous = current;
    current = { curve: [] };
    stopped = false;
    let last = null;
    redraw();
    setRunning(true);
    bar.value = 0;
    root.dataset.state = "running";
    status.removeAttribute("data-kind");
    status.textContent = python.status.state === "ready" ? "Training…" : "Waiting for Python to load…";
    try {
      const result = await python.call(`${PAGE}.train_for_page`, { settings }, {
        onProgress: (event) => {
          last = event;
          current.curve.push(event);
          bar.value = event.episodes_done / event.episodes;
          status.textContent = `Training… ${count(event.episodes_done)} of ${count(event.episodes)} hands (ε = ${event.epsilon.toFixed(3)}, α = ${event.alpha.toPrecision(3)})`;
          redraw();
          showHeadline(event, "running");
          showPolicies(event);
        },
      });
      if (!result.ok) {
        current = previous; // nothing was trained: keep showing the previous run as it was
        redraw();
        refuse(result);
        return;
      }
      current.curve = result.curve;
      redraw();
      const final = { ...result.curve.at(-1), ...result };
      showHeadline(final, "done");
      showPolicies(final);
      root.dataset.state = "done";
      status.textContent = `Done: ${count(final.episodes_done)} hands.`;
    } catch (error) {
      if (error instanceof PythonStopped || stopped) {
        root.dataset.state = "stopped";
        status.textContent = last
          ? `Stopped after ${count(last.episodes_done)} of ${count(last.episodes)} hands. The curves, value and policy shown are the last checkpoint's; ` +
            "the Q-values themselves were discarded with the stopped Python, so a new run starts from scratch."
          : "Stopped before the first checkpoint: nothing was learned.";
        if (last) showHeadline(last, "stopped");
      } else {
        root.dataset.state = "error";
        status.dataset.kind = "error";
        status.textContent = `Training failed: ${error.message}`;
      }
    } finally {
      setRunning(false);
    }
  });

  stopButton.addEventListener("click", () => {
    stopped = true;
    python.stop();
  });

  root.dataset.state = "ready";
}
