// "Train your own agent" (docs/blackjack/train.md): controls, live charts, the gap
// to optimal and policy heatmaps. All RL happens in Python
// (saferlhub/blackjack/page.py); this file only renders what it returns.
//
// The page marks its root with data-python="blackjack-trainer"; state for tests and
// styles: root.dataset.state = loading | ready | running | done | stopped | invalid | error.

import { trainingRun } from "./training-run.js";
import { lineChart } from "./chart.js";
import { count, el, fmt } from "./dom.js";
import { heatmap, scaleLegend } from "./heatmap.js";
import { schemaNumber } from "./number-field.js";

const PAGE = "saferlhub.blackjack.page";
// Shown above the fold; the rest go into "More settings".
const MAIN_SETTINGS = ["episodes", "method", "alpha", "epsilon_start", "epsilon_min", "seed"];
const DEALER_LABELS = ["A", "2", "3", "4", "5", "6", "7", "8", "9", "10"];
// Grid rows run from the lowest reachable player sum up to 21 (page.py's HARD_SUMS:
// 4-21, USABLE_SUMS: 12-21), so a grid's row count gives its sums.
const sumsOf = (grid) => Array.from(grid, (_, i) => 22 - grid.length + i);
// Series colours: CSS custom properties of docs/css/saferlhub.css (light and dark).
const COLORS = {
  reward: "--saferlhub-chart-1",
  game: "--saferlhub-chart-2",
  win: "--saferlhub-chart-win",
  draw: "--saferlhub-chart-draw",
  loss: "--saferlhub-chart-loss",
  value: "--saferlhub-chart-1",
  optimal: "--saferlhub-chart-optimal",
};

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const pretty = (name) => name.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());

// ---- controls ---------------------------------------------------------------

function controlFor(spec, onEdit) {
  const id = `bj-setting-${spec.name}`;
  let input;
  if (spec.choices) {
    input = el("select", { id, name: spec.name });
    spec.choices.forEach((choice, i) =>
      input.append(el("option", { value: choice, text: spec.choice_labels?.[i] ?? choice.replaceAll("_", " ") })),
    );
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
  const range = spec.range ? ` (${spec.range})` : spec.min !== null ? ` (${count(spec.min)} to ${count(spec.max)})` : "";
  const message = el("span", { class: "bj-field__error", id: `${id}-error`, role: "alert" });
  input.setAttribute("aria-describedby", `${id}-help ${id}-error`);
  const field = el(
    "div",
    { class: "bj-field", "data-setting": spec.name },
    el("label", { for: id, text: spec.label ?? pretty(spec.name) }),
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
  return schemaNumber(input); // Python says what is wrong with it, and what to enter
}

// ---- charts (docs/js/chart.js draws them) -----------------------------------------

// Both runs on one x axis (hands played): the union of their checkpoints, with gaps.
// The axis spans the current run's planned length; a longer previous run is shown
// over those first hands only, so a short run never shrinks to a sliver of the width.
function aligned(runs, keys, xMax) {
  const within = (run) => run.curve.filter((e) => e.episodes_done <= xMax);
  const xs = [...new Set(runs.flatMap((run) => within(run).map((e) => e.episodes_done)))].sort((a, b) => a - b);
  const columns = [];
  for (const run of runs) {
    const at = new Map(within(run).map((e) => [e.episodes_done, e]));
    for (const key of keys) columns.push(xs.map((x) => (at.has(x) ? at.get(x)[key] : null)));
  }
  return [xs, columns];
}

const HANDS = "hands played";

// ---- policy heatmaps ----------------------------------------------------------

function policyTable(caption, grid, optimal, markDiffs) {
  const sums = sumsOf(grid);
  const head = el("tr", {}, el("th", { scope: "col", text: "sum" }));
  for (const label of DEALER_LABELS) head.append(el("th", { scope: "col", text: label }));
  const body = el("tbody");
  // Highest sum on top, as in Sutton and Barto's figure 5.2.
  for (let row = sums.length - 1; row >= 0; row--) {
    const tr = el("tr", {}, el("th", { scope: "row", text: String(sums[row]) }));
    for (let col = 0; col < DEALER_LABELS.length; col++) {
      const hit = grid[row][col] === 1;
      const differs = markDiffs && optimal && grid[row][col] !== optimal[row][col];
      const what = `${hit ? "hit" : "stick"} on ${sums[row]} against ${DEALER_LABELS[col]}`;
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


// ---- value heatmaps (Q-values computed in Python; docs/js/heatmap.js colours them) ----

function valueTable(caption, kind, values, key) {
  const grid = values[kind][key];
  const sums = sumsOf(grid);
  const order = sums.map((_, i) => sums.length - 1 - i); // highest sum on top
  const at = (table, r, c) => table[key][order[r]][c];
  const visitsAt = (r, c) => (values.visits ? at(values.visits, r, c) : null);
  return heatmap({
    caption,
    kind,
    tableClass: "bj-values",
    scale: kind,
    rowHeader: "sum",
    colHeader: "dealer's card",
    rows: order.map((i) => String(sums[i])),
    cols: DEALER_LABELS,
    values: order.map((i) => grid[i]),
    muted: (r, c) => visitsAt(r, c) === 0,
    describe: (r, c) => {
      const x = at(values[kind], r, c);
      const shown = kind === "value" ? `V = ${fmt(x, 3)}` : `Q(hit) − Q(stick) = ${fmt(x, 3)}`;
      const visits = visitsAt(r, c);
      return (
        `${sums[order[r]]} against ${DEALER_LABELS[c]}: ${shown}; Q(stick) = ${fmt(at(values.stick, r, c), 3)}, Q(hit) = ${fmt(at(values.hit, r, c), 3)}` +
        (visits === null ? "" : visits === 0 ? "; never visited (still the initial value)" : `; ${count(visits)} updates`)
      );
    },
  });
}

const CARD = (c) => (c === 1 ? "A" : String(c));

// ---- remembering the reader's settings and last run --------------------------------

const SETTINGS_KEY = "saferlhub:blackjack-trainer:settings";
const RUN_KEY = "saferlhub:blackjack-trainer:run";
// A quick-look run is about 60 kB of JSON; keep runs well inside the 5 MB quota.
const MAX_KEPT_RUN_CHARS = 1_000_000;

function recall(storage, key) {
  try {
    return JSON.parse(storage.getItem(key));
  } catch {
    return null;
  }
}
function store(storage, key, value) {
  try {
    storage.setItem(key, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the page works, it just will not remember.
  }
}
function forget(storage, key) {
  try {
    storage.removeItem(key);
  } catch {
    // as above
  }
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
  presetSelect.addEventListener("change", () => {
    if (!presetSelect.value) return;
    applyPreset(presetSelect.value);
    if (!current.curve.length) redraw(); // the empty charts' x axis follows the hands to play
  });

  const main = el("div", { class: "bj-fields" });
  const more = el("div", { class: "bj-fields" });
  for (const [name, control] of controls) (MAIN_SETTINGS.includes(name) ? main : more).append(control.field);
  const details = el("details", { class: "bj-more" }, el("summary", { text: "More settings: schedules, rewards, rules, checkpoints" }), more);

  const resetButton = el("button", { type: "button", class: "md-button bj-reset", text: "Reset to defaults" });
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
      el(
        "div",
        { class: "bj-presetrow" },
        el("div", { class: "bj-field bj-field--preset" }, el("label", { for: "bj-preset", text: "Preset" }), presetSelect, el("small", { text: "A starting point; any change makes it your own. Your settings are kept in this browser." })),
        resetButton,
      ),
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

  // The reader's settings survive a reload (localStorage); the last finished run
  // survives a reload or a trip to another page and back in this tab (sessionStorage).
  const saveSettings = () =>
    store(localStorage, SETTINGS_KEY, {
      preset: presetSelect.value,
      values: Object.fromEntries([...controls].map(([name, control]) => [name, readValue(control)])),
    });
  const saved = recall(localStorage, SETTINGS_KEY);
  if (saved?.values) {
    for (const [name, value] of Object.entries(saved.values)) if (controls.has(name) && value !== null) setValue(controls.get(name), value);
    presetSelect.value = saved.preset in setup.presets ? saved.preset : "";
  }
  root.addEventListener("input", saveSettings);
  root.addEventListener("change", saveSettings);
  resetButton.addEventListener("click", () => {
    presetSelect.value = "default";
    applyPreset("default");
    forget(localStorage, SETTINGS_KEY);
    if (!current.curve.length) redraw();
    status.textContent = "Settings reset to the default preset.";
  });

  // Charts: the current run, and the previous one dimmed for comparison.
  const chartBoxes = ["reward", "outcomes", "value"].map((name) => el("div", { class: "bj-chart", "data-chart": name, "data-points": "0" }));
  charts.append(...chartBoxes);
  const previousLine = (label, color) => ({ label: `${label} (previous run)`, color, previous: true });
  // Every chart counts hands along x.
  const handsChart = (box, title, yLabel, yRange, series, more = {}) => lineChart(box, { title, xLabel: HANDS, yLabel, yRange, ...more, series });
  const rewardChart = handsChart(chartBoxes[0], "Mean reward per hand, over each checkpoint's hands", "mean reward per hand", [-1, 0.5], [
    { label: "reward trained on", color: COLORS.reward },
    { label: "game payoff", color: COLORS.game, dash: [8, 3] },
    previousLine("game payoff", COLORS.game),
  ]);
  const outcomeChart = handsChart(
    chartBoxes[1],
    "Win, draw and loss rates, over each checkpoint's hands",
    "share of hands",
    [0, 1],
    [
      { label: "win", color: COLORS.win },
      { label: "draw", color: COLORS.draw },
      { label: "loss (busts included)", color: COLORS.loss },
      previousLine("win", COLORS.win),
      previousLine("loss", COLORS.loss),
    ],
    { yFixed: true },
  );
  const valueChart = handsChart(chartBoxes[2], "Exact value of the greedy policy (expected payoff per hand)", "expected payoff per hand", [-0.4, 0], [
    { label: "greedy policy", color: COLORS.value },
    { label: "optimal policy", color: COLORS.optimal, dash: [6, 4], width: 1.5 },
    previousLine("greedy policy", COLORS.value),
  ]);

  let current = { curve: [] };
  let previous = { curve: [] };
  // The x axis spans the current run's planned hands (before any run: the setting's).
  const plannedHands = () => current.curve[0]?.episodes ?? (Number(controls.get("episodes").input.value) || 1);
  const redraw = () => {
    const runs = [current, previous];
    const xMax = plannedHands();
    const prevHands = previous.curve.at(-1)?.episodes_done ?? 0;
    const note = !previous.curve.length
      ? ""
      : prevHands > xMax
        ? `Dashed faded lines: the previous run, over the same first ${count(xMax)} hands (it played ${count(prevHands)}).`
        : `Dashed faded lines: the previous run (${count(prevHands)} hands).`;
    const [rx, reward] = aligned(runs, ["mean_reward", "mean_true_reward"], xMax);
    rewardChart.setData(rx, [reward[0], reward[1], reward[3]], { xMax, note });
    const [ox, outcomes] = aligned(runs, ["win_rate", "draw_rate", "loss_rate"], xMax);
    outcomeChart.setData(ox, [outcomes[0], outcomes[1], outcomes[2], outcomes[3], outcomes[5]], { xMax, note });
    const [vx, values] = aligned(runs, ["greedy_value", "optimal_value"], xMax);
    valueChart.setData(vx, [values[0], values[1], values[2]], { xMax, note });
    for (const box of chartBoxes) box.dataset.points = String(current.curve.length);
  };
  // Before the first run the empty charts already show their axes, over the hands to play.
  controls.get("episodes").input.addEventListener("input", () => current.curve.length || redraw());
  redraw();

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
    const decisions = ["hard", "usable"].reduce((n, key) => n + event.policy[key].length * DEALER_LABELS.length, 0);
    policies.hidden = false;
    policies.replaceChildren(
      el("h3", { text: "Its policy, beside the optimal one" }),
      el("p", {
        class: "bj-policies__summary",
        text:
          diffs === 0
            ? `Your agent's policy matches the optimal policy in all ${decisions} decisions (every reachable state).`
            : `Your agent's policy differs from the optimal one in ${diffs} of ${decisions} decisions (every reachable state; differences outlined).`,
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
    // One map pair with its heading and colour scale: kind "value" or "advantage".
    const block = (kind, heading, low, high) =>
      el("div", { class: "bj-valuemaps__block", "data-kind": kind }, el("h4", { text: heading }), el("div", { class: "bj-valuemaps__pair" }, ...pair(kind)), scaleLegend(kind, low, high));
    valueMaps.replaceChildren(
      el("h3", { text: "What your agent expects: its Q-values" }),
      el("p", {
        class: "bj-valuemaps__note",
        text:
          "The agent's own estimates at the end of training, in the units of the reward it was trained on " +
          "(the real payoffs unless you chose a proxy). Tap, hover or focus a cell (then the arrow keys move) for Q(stick), Q(hit) " +
          "and how often the state was updated; uncoloured cells with a dashed outline were never visited and still hold the initial value.",
      }),
      block("value", "State value V(s) = max over actions of Q(s, a): the payoff it expects from here", "−1 (sure loss)", "+1 (sure win)"),
      block("advantage", "Advantage of hitting, Q(hit) − Q(stick): orange = hit, purple = stick", "≤ −1 (stick is better)", "≥ +1 (hit is better)"),
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
    el("h3", { text: "Replay a hand" }),
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
  const run = trainingRun({ python, root, status, trainButton, stopButton });
  const setRunning = (busy) => {
    running = busy;
    dealButton.disabled = busy;
    run.busy(busy); // Train keeps the focus (marked, not made, disabled); Stop only while busy
    presetSelect.disabled = busy;
    resetButton.disabled = busy;
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
    status.textContent = `Not trained: ${result.error.replace(/\.?$/, ".")}`;
    const control = controls.get(result.setting);
    if (control) {
      control.message.textContent = result.error;
      control.input.setAttribute("aria-invalid", "true");
      if (!MAIN_SETTINGS.includes(result.setting)) details.open = true;
      control.input.focus();
    }
  };

  trainButton.addEventListener("click", async () => {
    if (running) return;
    clearErrors();
    const settings = Object.fromEntries([...controls].map(([name, control]) => [name, readValue(control)]));
    const before = { current, previous };
    if (current.curve.length) previous = current;
    current = { curve: [] };
    forgetRun();
    let last = null;
    forgetAgent(); // the maps and replays belong to the agent being replaced
    redraw();
    setRunning(true);
    bar.value = 0;
    run.start();
    status.removeAttribute("data-kind");
    status.textContent = ["ready", "running"].includes(python.status.state) ? "Training…" : "Waiting for Python to load…";
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
        ({ current, previous } = before); // nothing was trained: keep showing the runs as they were
        redraw();
        setRunning(false); // a disabled field cannot take the focus
        refuse(result);
        return;
      }
      const final = showFinished(result);
      status.textContent = `Done: ${count(final.episodes_done)} hands.`;
      keepRun(result);
    } catch (error) {
      run.ended(error, () => {
        status.textContent = last
          ? `Stopped after ${count(last.episodes_done)} of ${count(last.episodes)} hands. The curves, value and policy shown are the last checkpoint's; ` +
            "the Q-values themselves were discarded with the stopped Python, so a new run starts from scratch " +
            "(the Q-value maps and hand replays need a finished run)."
          : "Stopped before the first checkpoint: nothing was learned.";
        if (last) showHeadline(last, "stopped");
      });
    } finally {
      setRunning(false);
    }
  });

  // A finished run (just trained, or kept from earlier in this tab) on the charts, the
  // headline, the policies, the value maps and the replay; returns its last event.
  function showFinished(result) {
    current.curve = result.curve;
    redraw();
    const final = { ...result.curve.at(-1), ...result };
    showHeadline(final, "done");
    showPolicies(final);
    keepAgent(result);
    root.dataset.state = "done";
    return final;
  }

  // The last finished run, kept for this tab; too big a run keeps only a note.
  function keepRun(result) {
    const json = JSON.stringify(result);
    if (json.length <= MAX_KEPT_RUN_CHARS) store(sessionStorage, RUN_KEY, { result });
    else store(sessionStorage, RUN_KEY, { hands: result.curve.at(-1)?.episodes_done ?? 0 });
  }
  function forgetRun() {
    forget(sessionStorage, RUN_KEY);
  }
  const kept = recall(sessionStorage, RUN_KEY);
  if (kept?.result?.ok) {
    const final = showFinished(kept.result);
    root.dataset.restored = "true";
    status.textContent = `Your last finished run (${count(final.episodes_done)} hands) is shown again; press Train for a new one.`;
    return;
  }
  if (kept?.hands) {
    status.textContent = `Your last run (${count(kept.hands)} hands) finished but was too big to keep; press Train to run it again.`;
  }
  root.dataset.state = "ready";
}
