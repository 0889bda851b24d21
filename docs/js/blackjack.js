// "Train your own agent" (docs/blackjack/train.md): controls, live charts, the gap
// to optimal and policy heatmaps. All RL happens in Python
// (saferlhub/blackjack/page.py); this file only renders what it returns.
//
// The page marks its root with data-python="blackjack-trainer"; state for tests and
// styles: root.dataset.state = loading | ready | running | done | stopped | invalid | error.

import uPlot from "uplot";
import { PythonStopped } from "./python-client.js";
import { count, el, fmt } from "./dom.js";

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

const pct = (x) => `${(100 * x).toFixed(1)}%`;
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


// ---- value heatmaps (Q-values computed in Python; here only colours) ---------------

// Colour stops for a value in [-1, 1] (clamped): a perceptually ordered scale (viridis)
// for V(s), and a colour-blind-safe diverging one (purple = stick, orange = hit) for
// the advantage of hitting.
const SCALES = {
  value: ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"],
  advantage: ["#542788", "#998ec3", "#f7f7f7", "#f1a340", "#b35806"],
};

function hexRgb(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function colourAt(scale, x) {
  const stops = SCALES[scale];
  const t = (Math.max(-1, Math.min(1, x)) + 1) / 2 * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t));
  const a = hexRgb(stops[i]);
  const b = hexRgb(stops[i + 1]);
  const rgb = a.map((v, k) => Math.round(v + (b[k] - v) * (t - i)));
  // Dark text on light cells, light text on dark ones (relative luminance).
  const lum = (0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]) / 255;
  return { background: `rgb(${rgb.join(",")})`, color: lum > 0.5 ? "#111" : "#fff" };
}

function valueTable(caption, kind, values, key) {
  const grid = values[kind][key];
  const head = el("tr", {}, el("th", { scope: "col", text: "sum" }));
  for (const label of DEALER_LABELS) head.append(el("th", { scope: "col", text: label }));
  const body = el("tbody");
  for (let row = PLAYER_SUMS.length - 1; row >= 0; row--) {
    const tr = el("tr", {}, el("th", { scope: "row", text: String(PLAYER_SUMS[row]) }));
    for (let col = 0; col < DEALER_LABELS.length; col++) {
      const x = grid[row][col];
      const stick = values.stick[key][row][col];
      const hit = values.hit[key][row][col];
      const visits = values.visits ? values.visits[key][row][col] : null;
      const shown = kind === "value" ? `V = ${fmt(x, 3)}` : `Q(hit) − Q(stick) = ${fmt(x, 3)}`;
      const title =
        `${PLAYER_SUMS[row]} against ${DEALER_LABELS[col]}: ${shown}; Q(stick) = ${fmt(stick, 3)}, Q(hit) = ${fmt(hit, 3)}` +
        (visits === null ? "" : visits === 0 ? "; never visited (still the initial value)" : `; ${count(visits)} updates`);
      const { background, color } = colourAt(kind, x);
      const td = el("td", { title, "aria-label": title, "data-value": String(x), text: fmt(x, 2).replace(/^(−?)0\./, "$1.") });
      td.style.background = background;
      td.style.color = color;
      if (visits === 0) td.classList.add("bj-unvisited");
      tr.append(td);
    }
    body.append(tr);
  }
  return el(
    "table",
    { class: "bj-values", "data-kind": kind },
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, el("th", { colspan: 11, class: "bj-policy__dealer", text: "dealer's card" })), head),
    body,
  );
}

function colourLegend(kind, low, high) {
  const stops = SCALES[kind].join(", ");
  return el(
    "div",
    { class: "bj-scale", "data-kind": kind },
    el("span", { class: "bj-scale__end", text: low }),
    el("span", { class: "bj-scale__bar", style: `background: linear-gradient(to right, ${stops})`, role: "img", "aria-label": `colour scale from ${low} to ${high}` }),
    el("span", { class: "bj-scale__end", text: high }),
  );
}

const CARD = (c) => (c === 1 ? "A" : String(c));

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
  const valueMaps = el("div", { class: "bj-valuemaps", hidden: true });
  const replay = el("div", { class: "bj-replay", hidden: true });

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
    valueMaps,
    replay,
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


  // The trained agent's Q-values as heatmaps, and a hand it plays, step by step. Both
  // need the final Q-table, which only a finished run returns.
  const showValues = (result) => {
    const { values } = result;
    valueMaps.hidden = false;
    const pair = (kind) =>
      [
        ["hard", "No usable ace"],
        ["usable", "Usable ace"],
      ].map(([key, title]) => valueTable(title, kind, values, key));
    valueMaps.replaceChildren(
      el("h4", { text: "What your agent expects: its Q-values" }),
      el("p", {
        class: "bj-valuemaps__note",
        text:
          "The agent's own estimates at the end of training, in the units of the reward it was trained on " +
          "(the real payoffs unless you chose a proxy). Hover or focus a cell for Q(stick), Q(hit) and how often the state was updated; " +
          "faded cells were never visited and still hold the initial value.",
      }),
      el(
        "div",
        { class: "bj-valuemaps__block", "data-kind": "value" },
        el("h5", { text: "State value V(s) = max over actions of Q(s, a): the payoff it expects from here" }),
        el("div", { class: "bj-valuemaps__pair" }, ...pair("value")),
        colourLegend("value", "−1 (sure loss)", "+1 (sure win)"),
      ),
      el(
        "div",
        { class: "bj-valuemaps__block", "data-kind": "advantage" },
        el("h5", { text: "Advantage of hitting, Q(hit) − Q(stick): orange = hit, purple = stick" }),
        el("div", { class: "bj-valuemaps__pair" }, ...pair("advantage")),
        colourLegend("advantage", "≤ −1 (stick is better)", "≥ +1 (hit is better)"),
      ),
    );
  };

  let agent = null; // {q, settings} of the last finished run: data to send back to Python
  let seed = 0;
  const dealButton = el("button", { type: "button", class: "md-button md-button--primary bj-replay__deal", text: "Deal a hand" });
  const nextButton = el("button", { type: "button", class: "md-button bj-replay__next", text: "Next step ▸", hidden: true });
  const table = el("div", { class: "bj-replay__table" });
  const steps = el("ol", { class: "bj-replay__steps", "aria-live": "polite" });
  const outcome = el("p", { class: "bj-replay__outcome", "aria-live": "polite", hidden: true });
  replay.append(
    el("h4", { text: "Replay a hand" }),
    el("p", { class: "bj-replay__note", text: "Your trained agent plays one hand greedily (no exploration): at each decision it compares Q(stick) and Q(hit) and takes the higher (ties: stick). The reward is the game's real payoff." }),
    el("div", { class: "bj-actions" }, dealButton, nextButton),
    table,
    steps,
    outcome,
  );

  const cards = (label, list, hidden = 0) =>
    el(
      "div",
      { class: "bj-replay__hand" },
      el("span", { class: "bj-replay__who", text: label }),
      ...list.map((c) => el("span", { class: "bj-card", text: CARD(c) })),
      ...Array.from({ length: hidden }, () => el("span", { class: "bj-card bj-card--down", text: "?", title: "face down" })),
    );

  let hand = null;
  let shown = 0; // decisions revealed; steps.length + 1 = the outcome too
  const showStage = () => {
    const done = shown > hand.steps.length;
    const last = hand.steps[Math.min(shown, hand.steps.length) - 1];
    const playerCards = last.card === null ? last.player_cards : [...last.player_cards, last.card];
    table.replaceChildren(
      cards("Dealer", done ? hand.dealer_cards : [hand.dealer_up], done ? 0 : 1),
      cards("Agent", playerCards),
    );
    const step = hand.steps[shown - 1];
    if (step && shown <= hand.steps.length) {
      const [sum, up, usable] = step.observation;
      const [qStick, qHit] = step.q;
      const li = el(
        "li",
        { class: "bj-replay__step", "data-action": step.action_name },
        el("span", { class: "bj-replay__state", text: `Sum ${sum}${usable ? " (usable ace)" : ""} against the dealer's ${CARD(up)}: ` }),
        el("span", { class: "bj-replay__q", text: `Q(stick) = ${fmt(qStick, 3)}, Q(hit) = ${fmt(qHit, 3)}` }),
        " → ",
        el("strong", { class: "bj-replay__action", text: step.action_name }),
        step.card === null ? "." : `: draws ${CARD(step.card)}${step.terminated ? ", bust." : "."}`,
      );
      steps.append(li);
    }
    if (done) {
      const names = { win: "wins", natural_win: "wins with a natural", draw: "draws", loss: "loses", bust: "busts and loses" };
      outcome.hidden = false;
      outcome.dataset.outcome = hand.outcome;
      outcome.textContent =
        `The agent ${names[hand.outcome] ?? hand.outcome} (${hand.player_sum} against the dealer's ${hand.dealer_sum}${hand.dealer_sum > 21 ? ", bust" : ""}): ` +
        `reward ${hand.reward > 0 ? "+" : ""}${fmt(hand.reward, hand.reward % 1 ? 1 : 0)}.`;
      nextButton.hidden = true;
      dealButton.textContent = "Deal another hand";
      dealButton.focus();
    } else {
      nextButton.textContent = shown === hand.steps.length ? "Show the outcome ▸" : "Next step ▸";
    }
    replay.dataset.stage = done ? "done" : String(shown);
  };

  dealButton.addEventListener("click", async () => {
    if (!agent) return;
    dealButton.disabled = true;
    try {
      hand = await python.call(`${PAGE}.replay_hand`, { q: agent.q, seed: seed++, natural: agent.settings.natural, sab: agent.settings.sab });
    } catch (error) {
      outcome.hidden = false;
      outcome.textContent = `Could not replay a hand: ${error.message}`;
      return;
    } finally {
      dealButton.disabled = running;
    }
    steps.replaceChildren();
    outcome.hidden = true;
    outcome.textContent = "";
    shown = 1;
    nextButton.hidden = false;
    showStage();
    nextButton.focus();
  });
  nextButton.addEventListener("click", () => {
    if (!hand || shown > hand.steps.length) return;
    shown += 1;
    showStage();
  });

  const forgetAgent = () => {
    agent = null;
    hand = null;
    valueMaps.hidden = true;
    replay.hidden = true;
    valueMaps.replaceChildren();
    steps.replaceChildren();
    table.replaceChildren();
    outcome.hidden = true;
    nextButton.hidden = true;
    dealButton.textContent = "Deal a hand";
    delete replay.dataset.stage;
  };
  const keepAgent = (result) => {
    agent = { q: result.q, settings: result.settings };
    seed = 0;
    showValues(result);
    replay.hidden = false;
  };

  let running = false;
  const setRunning = (busy) => {
    running = busy;
    dealButton.disabled = busy;
    trainButton.disabled = busy;
    stopButton.disabled = !busy;
    presetSelect.disabled = busy;
    for (const control of controls.values()) control.input.disabled = busy;
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
    forgetAgent(); // the maps and replays belong to the agent being replaced
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
      keepAgent(result);
      root.dataset.state = "done";
      status.textContent = `Done: ${count(final.episodes_done)} hands.`;
    } catch (error) {
      if (error instanceof PythonStopped || stopped) {
        root.dataset.state = "stopped";
        status.textContent = last
          ? `Stopped after ${count(last.episodes_done)} of ${count(last.episodes)} hands. The curves, value and policy shown are the last checkpoint's; ` +
            "the Q-values themselves were discarded with the stopped Python, so a new run starts from scratch " +
            "(the Q-value maps and hand replays need a finished run)."
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
