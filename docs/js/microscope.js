// The maze lab's microscope pages (docs/maze/microscope-*.md): "Inside the agent",
// "Which cells matter" and "Activation patching". Every number comes from Python
// (saferlhub/maze/microscope_pages.py on saferlhub.maze.interp) through the browser's
// sessions (onnx.js runStepper: onnxruntime-web answers its network calls); this file
// draws what it returns: boards, heatmaps, tables, a chart.
//
// root.dataset.state: loading | ready | running | stopped | error. The maze starts as
// the one last picked in "Play and edit" (its localStorage key), else bad1.

import { el, fmt, labelColumns, markBusy } from "./dom.js";
import { colourAt, heatmap, scaleLegend, shortNumber } from "./heatmap.js";
import { lineChart } from "./chart.js";
import { createBoard } from "./maze-board.js";
import { readNumber } from "./number-field.js";
import { loadAgents, problemText, runStepper } from "./onnx.js";
import { PythonStopped } from "./python-client.js";

const EDITOR = "saferlhub.maze.editor";
const PLAY_STORAGE_KEY = "saferlhub-maze-play"; // maze-play.js keeps the reader's maze here
const FIRST_MAZE = "bad1";
const PLANES = ["walls", "crops", "humans", "finish", "agent"];
const LAYER_COLOURS = [
  { color: "--saferlhub-chart-1" },
  { color: "--saferlhub-chart-2", dash: [6, 3] },
  { color: "--saferlhub-chart-optimal", dash: [2, 4] },
  { color: "--saferlhub-chart-loss", width: 3 },
];

const cellText = ([r, c]) => `(${r}, ${c})`;
const percent = (x) => (x === null || x === undefined ? "—" : `${fmt(Math.abs(100 * x) < 0.5 ? 0 : 100 * x, 0)}%`);

/** The maze last picked in "Play and edit", checked by the editor; else FIRST_MAZE. */
async function startingMaze(python) {
  let stored = null;
  try {
    stored = JSON.parse(localStorage.getItem(PLAY_STORAGE_KEY));
  } catch {
    /* storage blocked or corrupt */
  }
  if (Array.isArray(stored) && stored.every((row) => typeof row === "string")) {
    const checked = await python.call(`${EDITOR}.load`, { maze: stored });
    if (checked.ok) return { rows: checked.maze, from: "the maze you last used in Play and edit" };
  }
  const fresh = await python.call(`${EDITOR}.fresh`, { kind: FIRST_MAZE });
  return { rows: fresh.maze, from: `${FIRST_MAZE}, a failure maze of the original exercise` };
}

function agentSelect(id, agents, preferred, { none = false } = {}) {
  const select = el("select", { id });
  if (none) select.append(el("option", { value: "", text: "no second agent" }));
  for (const a of agents) {
    select.append(el("option", { value: a.agent, text: a.agent, disabled: a.problems.length ? "disabled" : undefined }));
  }
  const usable = agents.filter((a) => !a.problems.length).map((a) => a.agent);
  select.value = usable.includes(preferred) ? preferred : none ? "" : (usable[0] ?? "");
  return select;
}

/** A wide table in a region that scrolls sideways on a phone, a keyboard stop so keys scroll it. */
const scrolls = (table, label) => el("div", { class: "microscope__scroll", tabindex: "0", role: "region", "aria-label": label }, table);

const labelled = (id, text, control) => el("span", { class: "microscope__field" }, el("label", { for: id, text }), control);

/** The page's shared frame: status line, Stop, Python and the agents; `lab.run` drives a task. */
function frame(root, python) {
  const message = el("p", { class: "maze-lab__message", role: "status", "aria-live": "polite" });
  const problems = el("div", { class: "maze-lab__problems", role: "alert" });
  const stopButton = el("button", { type: "button", class: "md-button maze-lab__stop", text: "Stop", disabled: "" });
  let stopRequested = false;
  let running = 0;
  stopButton.addEventListener("click", () => (stopRequested = true));
  const lab = {
    agents: [],
    booting: true, // the first results are part of loading: the state stays "loading"
    message,
    problems,
    stopButton,
    say(text, kind = "info") {
      message.textContent = text ?? "";
      message.dataset.kind = kind;
    },
    card: (agent) => lab.agents.find((a) => a.agent === agent)?.card,
    /** Run a microscope task; undefined if stopped. Times the whole request (timing.totalMs). */
    async run(task, args, { onProgress } = {}) {
      if (running) return undefined;
      running++;
      stopRequested = false;
      if (!lab.booting) root.dataset.state = "running";
      stopButton.disabled = false;
      problems.textContent = "";
      const t0 = performance.now();
      try {
        const ran = await runStepper(python, task, args, { agents: lab.agents, onProgress, shouldStop: () => stopRequested });
        ran.timing.totalMs = performance.now() - t0;
        lab.lastTiming = ran.timing;
        if (!lab.booting) root.dataset.state = ran.stopped ? "stopped" : "ready";
        return ran.stopped ? undefined : ran.result;
      } catch (error) {
        root.dataset.state = "error";
        if (!(error instanceof PythonStopped)) {
          problems.textContent = problemText(error);
        }
        return undefined;
      } finally {
        running--;
        const stopHadFocus = document.activeElement === stopButton;
        stopButton.disabled = true;
        if (stopHadFocus) root.querySelector("button.md-button--primary")?.focus();
      }
    },
  };
  return lab;
}

async function boot(root, python, lab, start) {
  try {
    await python.ready;
    lab.maze = await startingMaze(python);
    lab.agents = await loadAgents(python);
    lab.problems.textContent = lab.agents.flatMap((a) => a.problems).join(" ");
    // Tests drive the same tasks through it, and read the last results.
    window.saferlhubMicroscope = { python, agents: lab.agents, lab, runStepper: (task, args) => runStepper(python, task, args, { agents: lab.agents }) };
    await start();
    lab.booting = false;
    if (root.dataset.state !== "error") root.dataset.state = "ready";
  } catch (error) {
    root.dataset.state = "error";
    lab.problems.textContent = problemText(error);
  }
}

// ---- Inside the agent ------------------------------------------------------------------

/** A layer's units as a compact heatmap, 16 to a row, in unit order or largest first. */
const UNITS_PER_ROW = 32;

/** What a layer's heatmap shows: the units in drawing order, and each unit's description. */
function unitView(agent, hook, values, order, sorted) {
  const units = sorted ? order : values.map((_, u) => u);
  const rankOf = new Map(order.map((u, i) => [u, i + 1]));
  const describe = (u) => `${agent} ${hook} unit ${u}: ${fmt(values[u], 3)} (rank ${rankOf.get(u)} of ${values.length})`;
  return { units, describe, domain: [Math.min(0, ...values), Math.max(...values, 1e-9)] };
}

/** A layer's units as a compact heatmap, 32 to a row, in unit order or largest first. */
function unitHeatmap(agent, hook, values, order, sorted) {
  const { units, describe, domain } = unitView(agent, hook, values, order, sorted);
  const rows = [];
  for (let i = 0; i < units.length; i += UNITS_PER_ROW) rows.push(units.slice(i, i + UNITS_PER_ROW));
  const map = heatmap({
    caption: `${agent}, ${hook}: ${values.length} units${sorted ? ", largest activation first" : ", in unit order"}`,
    rows: rows.map((r, i) => (sorted ? `#${i * UNITS_PER_ROW + 1}` : `${r[0]}`)),
    cols: Array.from({ length: UNITS_PER_ROW }, (_, c) => `+${c}`),
    values: rows.map((r) => r.map((u) => values[u])),
    domain,
    rowHeader: sorted ? "rank" : "unit",
    describe: (r, c) => describe(rows[r][c]),
    kind: "units",
    tableClass: "microscope__units",
  });
  map.dataset.agent = agent;
  map.dataset.hook = hook;
  map.querySelectorAll("td[data-row]").forEach((td, i) => (td.dataset.unit = String(units[i])));
  return map;
}

/** The same heatmap with new values, its cells updated in place (as heatmap.js draws them):
 *  a new state redraws eight layers of up to 256 units within the page's 200 ms. */
function refreshUnitHeatmap(element, agent, hook, values, order, sorted) {
  const { units, describe, domain } = unitView(agent, hook, values, order, sorted);
  element.querySelectorAll("td[data-row]").forEach((td, i) => {
    const x = values[units[i]];
    const about = describe(units[i]);
    const { background, color } = colourAt("value", x, domain);
    td.title = about;
    td.setAttribute("aria-label", `${shortNumber(x)}: ${about}`);
    td.dataset.detail = about;
    td.dataset.value = String(x);
    td.dataset.unit = String(units[i]);
    td.textContent = shortNumber(x);
    td.style.background = background;
    td.style.color = color;
    if (td.classList.contains("is-selected")) element.querySelector(".saferlhub-heatmap__detail").textContent = about;
  });
  return element;
}

export async function mountInside(root, python) {
  const lab = frame(root, python);
  const board = createBoard({ label: "The maze: press a cell to put the agent there", editable: true, onActivate: (r, c) => moveAgent(r, c) });
  const twinBoard = createBoard({ label: "The twin: press a cell to add or remove a wall", editable: true, onActivate: (r, c) => toggleWall(r, c) });
  const resetTwin = el("button", { type: "button", class: "md-button", text: "Make the twin the maze again" });
  const orderSelect = el("select", { id: "microscope-order" }, el("option", { value: "unit", text: "unit number" }), el("option", { value: "activation", text: "activation, largest first" }));
  const columns = el("div", { class: "microscope__columns" });
  const differences = el("div", { class: "microscope__differences" });
  const topStates = el("div", { class: "microscope__top-states" }, el("p", { class: "maze-lab__facts", text: "Press a unit of a heatmap (Enter or Space on the focused unit) to see the training states where it is largest." }));
  const from = el("p", { class: "maze-lab__facts" });
  root.replaceChildren(
    from,
    el(
      "div",
      { class: "maze-lab__main" },
      el("figure", { class: "maze-lab__boardbox" }, board.element, el("figcaption", { text: "The maze (● the agent)" })),
      el("figure", { class: "maze-lab__boardbox" }, twinBoard.element, el("figcaption", { text: "Its twin (changed cells outlined)" }), resetTwin),
    ),
    el("div", { class: "maze-lab__agent" }),
    el("div", { class: "maze-lab__controls" }),
    lab.message,
    lab.problems,
    columns,
    el("h3", { text: "The units that change most in the twin" }),
    differences,
    el("h3", { text: "Where a unit is largest in training" }),
    topStates,
  );
  let rows = null;
  let twin = null;
  let position = [0, 0];
  let result = null;
  let selects = [];
  const drawn = new Map(); // "agent|hook|sorted|units" -> its heatmap, updated in place

  function drawBoards() {
    board.render(rows, { agent: position });
    const changed = new Set();
    for (let r = 0; r < 7; r++) for (let c = 0; c < 7; c++) if (rows[r][c] !== twin[r][c]) changed.add(`${r},${c}`);
    twinBoard.render(twin, { agent: position, marked: changed, markedLabel: "differs from the maze" });
  }

  async function update() {
    drawBoards();
    const agents = selects.map((s) => s.value).filter(Boolean).filter((a, i, all) => all.indexOf(a) === i);
    const cards = Object.fromEntries(agents.map((a) => [a, lab.card(a)]));
    const got = await lab.run("microscope.inside", { cards, maze: rows, twin, position, top: 3 });
    if (!got) return;
    if (got.refused) {
      lab.say(got.refused, "refused");
      return;
    }
    result = got;
    window.saferlhubMicroscope.lastInside = { args: { cards: Object.keys(cards), maze: rows, twin, position }, result: got };
    lab.say(`The agent at ${cellText(position)}. Timing: ${fmt(lab.lastTiming.totalMs, 0)} ms for ${agents.length} agent${agents.length === 1 ? "" : "s"}.`);
    render();
  }

  function render() {
    const t0 = performance.now();
    try {
      draw();
    } finally {
      lab.lastRenderMs = performance.now() - t0;
    }
  }

  function draw() {
    const sorted = orderSelect.value === "activation";
    // The same agents in the same order: the columns stay, their texts and heatmaps are
    // updated in place (no new layout of the whole column).
    const layout = `${Object.keys(result.agents).join(",")}|${sorted}`;
    const rebuild = columns.dataset.layout !== layout;
    if (rebuild) columns.replaceChildren();
    columns.dataset.layout = layout;
    differences.replaceChildren();
    for (const [agent, r] of Object.entries(result.agents)) {
      const qText = `${agent}: Q up ${fmt(r.q[0], 2)}, down ${fmt(r.q[1], 2)}, left ${fmt(r.q[2], 2)}, right ${fmt(r.q[3], 2)}: it moves ${r.action}; in the twin it moves ${r.twin.action}.`;
      const quiet = Object.entries(r.at_or_below_zero).map(([hook, n]) => `${hook} ${n} of ${r.layers[hook].length}`).join(", ");
      const countsText = `Units at or below zero: ${quiet}.`;
      const maps = Object.keys(r.layers).map((hook) => {
        const key = `${agent}|${hook}|${sorted}|${r.layers[hook].length}`;
        const kept = drawn.get(key);
        const map = kept ? refreshUnitHeatmap(kept, agent, hook, r.layers[hook], r.order[hook], sorted) : unitHeatmap(agent, hook, r.layers[hook], r.order[hook], sorted);
        drawn.set(key, map);
        return map;
      });
      if (!rebuild) {
        const section = columns.querySelector(`section[data-agent="${agent}"]`);
        section.querySelector(".microscope__q").textContent = qText;
        section.querySelector(".microscope__quiet").textContent = countsText;
        continue;
      }
      const q = el("p", { class: "microscope__q", text: qText });
      const counts = el("p", { class: "microscope__q microscope__quiet", text: countsText });
      columns.append(el("section", { class: "microscope__agent", "data-agent": agent }, el("h3", { text: agent }), q, counts, ...maps));
    }
    const same = rows.every((row, r) => row === twin[r]);
    if (same) {
      differences.append(el("p", { class: "maze-lab__facts", text: "The twin is still the same maze: press a cell of the twin to add or remove a wall." }));
      return;
    }
    const table = el(
      "table",
      { class: "microscope__table microscope__differences-table" },
      el("caption", { text: "The three units of each layer whose activation changes most from the maze to its twin" }),
      el("thead", {}, el("tr", {}, ...["agent", "layer", "unit", "maze", "twin", "change"].map((t) => el("th", { scope: "col", text: t })))),
    );
    const body = el("tbody");
    const counts = [];
    for (const [agent, r] of Object.entries(result.agents)) {
      for (const [hook, rowsOf] of Object.entries(r.twin.differences)) {
        for (const [u, a, b, d] of rowsOf) body.append(el("tr", { "data-agent": agent }, ...[agent, hook, String(u), fmt(a, 3), fmt(b, 3), fmt(d, 3)].map((t) => el("td", { text: t }))));
      }
      const changed = Object.entries(r.twin.changed).map(([hook, n]) => `${hook} ${n} of ${r.layers[hook].length}`).join(", ");
      counts.push(el("p", { class: "maze-lab__facts microscope__changed", "data-agent": agent, text: `${agent}: units whose activation changes at all: ${changed}.` }));
    }
    table.append(body);
    differences.append(scrolls(table, "The units that change most (scrolls sideways)"), ...counts);
  }

  /** The training states of the page's fixed pool where one unit is largest, as small boards. */
  async function showTopStates(agent, hook, unit) {
    const got = await lab.run("microscope.top_states", { card: lab.card(agent), hook, unit });
    if (!got) return;
    if (got.refused) {
      lab.say(got.refused, "refused");
      return;
    }
    window.saferlhubMicroscope.lastTopStates = { args: { agent, hook, unit }, result: got, ms: lab.lastTiming.totalMs };
    lab.say(`${agent} ${hook} unit ${unit}: the training states where it is largest. Timing: ${fmt(lab.lastTiming.totalMs, 0)} ms.`);
    const figures = got.states.map((state, i) => {
      const thumb = createBoard({ label: `Training state ${i + 1}: the agent at ${cellText(state.position)}, ${hook} unit ${unit} ${fmt(state.value, 3)}` });
      thumb.render(state.maze, { agent: state.position });
      return el("figure", { class: "microscope__thumb", style: "flex: 0 0 7.5rem; margin: 0; text-align: center" }, thumb.element, el("figcaption", { text: `#${i + 1}: ${fmt(state.value, 3)}` }));
    });
    topStates.replaceChildren(
      el("p", {
        class: "maze-lab__facts microscope__top-summary",
        text:
          `${agent}, ${hook}, unit ${unit}: the ${got.states.length} of ${got.pool} training states (training mazes drawn with seed ${got.seed}, the agent on a random cell it can reach) ` +
          `where the unit is largest, largest first. It is above zero in ${got.positive} of the ${got.pool}.`,
      }),
      el("div", { style: "display: flex; flex-wrap: wrap; gap: 0.5rem" }, ...figures),
    );
  }

  const unitAt = (target) => {
    const td = target.closest?.("td[data-unit]");
    const map = td?.closest(".saferlhub-heatmap");
    return td && map ? [map.dataset.agent, map.dataset.hook, Number(td.dataset.unit)] : null;
  };
  columns.addEventListener("click", (event) => {
    const unit = unitAt(event.target);
    if (unit) showTopStates(...unit);
  });
  columns.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" && event.key !== " ") return;
    const unit = unitAt(event.target);
    if (!unit) return;
    event.preventDefault();
    showTopStates(...unit);
  });

  async function moveAgent(r, c) {
    const previous = position;
    position = [r, c];
    await update();
    if (lab.message.dataset.kind === "refused") {
      position = previous;
      drawBoards();
    }
    board.focus(r, c);
  }

  async function toggleWall(r, c) {
    const to = twin[r][c] === "#" ? "." : "#";
    const edited = await python.call(`${EDITOR}.edit`, { maze: twin, row: r, col: c, to });
    if (!edited.ok) {
      lab.say(edited.error, "refused");
      return;
    }
    twin = edited.maze;
    await update();
    twinBoard.focus(r, c);
  }

  resetTwin.addEventListener("click", () => ((twin = [...rows]), update()));
  orderSelect.addEventListener("change", () => result && render());

  await boot(root, python, lab, async () => {
    rows = lab.maze.rows;
    const proposed = await python.call("saferlhub.maze.microscope_pages.default_twin", { maze: rows });
    twin = proposed.maze;
    from.textContent = `The maze: ${lab.maze.from}. Cells are (row, column), counted from 0 at the top left.`;
    selects = [agentSelect("microscope-agent-a", lab.agents, "planted"), agentSelect("microscope-agent-b", lab.agents, "natural", { none: true })];
    for (const s of selects) s.addEventListener("change", update);
    root.querySelector(".maze-lab__agent").append(labelled("microscope-agent-a", "Agent ", selects[0]), labelled("microscope-agent-b", "beside ", selects[1]));
    root.querySelector(".maze-lab__controls").append(labelled("microscope-order", "Order units by ", orderSelect), lab.stopButton);
    await update();
  });
}

// ---- Which cells matter --------------------------------------------------------------

export async function mountAttribution(root, python) {
  const lab = frame(root, python);
  const board = createBoard({ label: "The maze: press a cell to put the agent there", editable: true, onActivate: (r, c) => place(r, c) });
  const objective = el(
    "select",
    { id: "microscope-objective" },
    el("option", { value: "human_minus_exit", text: "toward the human minus toward the exit" }),
    ...["up", "down", "left", "right"].map((a) => el("option", { value: a, text: `Q(${a})` })),
  );
  const method = el("select", { id: "microscope-method" }, el("option", { value: "integrated_gradients", text: "integrated gradients" }), el("option", { value: "saliency", text: "saliency (the gradient)" }));
  const baseline = el(
    "select",
    { id: "microscope-baseline" },
    el("option", { value: "empty", text: "the empty maze" }),
    el("option", { value: "zeros", text: "all zeros" }),
    el("option", { value: "training_average", text: "the average training input" }),
  );
  const steps = el("input", { id: "microscope-steps", type: "number", min: "1", max: "512", step: "1", value: "128", inputmode: "numeric" });
  const runButton = el("button", { type: "button", class: "md-button md-button--primary", text: "Attribute" });
  const planes = el("div", { class: "microscope__planes" });
  const legend = el("div");
  const check = el("p", { class: "microscope__check" });
  const totals = el("div");
  const from = el("p", { class: "maze-lab__facts" });
  root.replaceChildren(
    from,
    el(
      "div",
      { class: "maze-lab__main" },
      el("figure", { class: "maze-lab__boardbox" }, board.element, el("figcaption", { text: "The maze (● the agent)" })),
      el("div", { class: "maze-lab__side microscope__settings" }),
    ),
    lab.message,
    lab.problems,
    check,
    legend,
    planes,
    totals,
  );
  let rows = null;
  let position = null;
  let agent = null;

  async function update() {
    const n = readNumber(steps, { name: "Steps", low: 1, high: 512, whole: true });
    if (n.error) {
      lab.say(n.error, "refused");
      steps.focus();
      return;
    }
    board.render(rows, position ? { agent: position } : {});
    markBusy(runButton, true);
    const args = { maze: rows, position, objective: objective.value, method: method.value, baseline: baseline.value, steps: n.value };
    const got = await lab.run("microscope.attribution", { card: lab.card(agent.value), ...args });
    markBusy(runButton, false);
    if (!got) return;
    if (got.refused) {
      lab.say(got.refused, "refused");
      return;
    }
    position = got.position;
    board.render(rows, { agent: position });
    window.saferlhubMicroscope.lastAttribution = { args: { agent: agent.value, ...args }, result: got };
    render(got);
  }

  function render(got) {
    const what = got.minus ? `Q(${got.action}) − Q(${got.minus})` : `Q(${got.action})`;
    const all = PLANES.flatMap((p) => got.planes[p].flat());
    const top = Math.max(...all.map(Math.abs), 1e-9);
    lab.say(`${agent.value} at ${cellText(position)}: ${got.method === "saliency" ? "saliency" : "integrated gradients"} of ${what}. Timing: ${fmt(lab.lastTiming.totalMs, 0)} ms.`);
    if (got.method === "integrated_gradients") {
      check.textContent =
        `Completeness: ${what} is ${fmt(got.value, 4)} here and ${fmt(got.baseline_value, 4)} at the baseline (${baseline.selectedOptions[0].text}), ` +
        `a change of ${fmt(got.value - got.baseline_value, 4)}; the attributions add up to ${fmt(got.sum, 4)}, ` +
        `off by ${fmt(got.completeness_error, 4)} with ${got.steps} steps.`;
      check.dataset.error = String(got.completeness_error);
    } else {
      check.textContent =
        `${what} is ${fmt(got.value, 4)} here. Saliency is the gradient: how fast ${what} would change ` +
        "if one input moved a little. It has no completeness property: its values need not add up to anything.";
      delete check.dataset.error;
    }
    legend.replaceChildren(scaleLegend("advantage", `−${shortNumber(top)} (against)`, `+${shortNumber(top)} (for)`));
    planes.replaceChildren(
      ...PLANES.map((plane) =>
        heatmap({
          caption: `${plane} plane`,
          rows: ["0", "1", "2", "3", "4", "5", "6"],
          cols: ["0", "1", "2", "3", "4", "5", "6"],
          values: got.planes[plane],
          scale: "advantage",
          domain: [-top, top],
          rowHeader: "row",
          describe: (r, c) => `${plane} plane, cell (${r}, ${c}) [${rows[r][c] === "#" ? "wall" : { C: "crop", H: "human", F: "finish", ".": "empty" }[rows[r][c]]}]: ${fmt(got.planes[plane][r][c], 4)}`,
          kind: "plane",
          tableClass: "microscope__plane",
        }),
      ),
    );
    const table = el(
      "table",
      { class: "microscope__table microscope__totals" },
      el("caption", { text: `Each plane's total, ${what}` }),
      el("thead", {}, el("tr", {}, ...PLANES.map((p) => el("th", { scope: "col", text: p })))),
      el("tbody", {}, el("tr", {}, ...PLANES.map((p) => el("td", { text: fmt(got.plane_totals[p], 4) })))),
    );
    labelColumns(table);
    totals.replaceChildren(table);
  }

  function place(r, c) {
    position = [r, c];
    update().then(() => board.focus(r, c));
  }

  runButton.addEventListener("click", update);
  for (const control of [objective, method, baseline]) control.addEventListener("change", update);
  method.addEventListener("change", () => {
    baseline.disabled = steps.disabled = method.value === "saliency";
  });

  await boot(root, python, lab, async () => {
    rows = lab.maze.rows;
    from.textContent = `The maze: ${lab.maze.from}. The agent starts where its way to the nearest human turns off its way to the finish (or at the start, if there is no such cell); press any cell to move it.`;
    agent = agentSelect("microscope-agent", lab.agents, "planted");
    agent.addEventListener("change", update);
    root.querySelector(".microscope__settings").append(
      labelled("microscope-agent", "Agent ", agent),
      labelled("microscope-objective", "Explain ", objective),
      labelled("microscope-method", "Method ", method),
      labelled("microscope-baseline", "Baseline ", baseline),
      labelled("microscope-steps", "Steps ", steps),
      el("div", { class: "maze-lab__controls" }, runButton, lab.stopButton),
    );
    await update();
  });
}

// ---- Activation patching -------------------------------------------------------------

export async function mountPatching(root, python) {
  const lab = frame(root, python);
  const trainingBoard = createBoard({ label: "The training maze (the target)" });
  const twinBoard = createBoard({ label: "Its protrusion twin (the source)" });
  const seed = el("input", { id: "microscope-seed", type: "number", min: "0", max: "100000", step: "1", value: "0", inputmode: "numeric" });
  const groups = el("input", { id: "microscope-groups", type: "number", min: "2", max: "32", step: "1", value: "8", inputmode: "numeric" });
  const runButton = el("button", { type: "button", class: "md-button md-button--primary", text: "Patch" });
  const progress = el("progress", { max: "4", value: "0", "aria-label": "Patching calls done" });
  const summary = el("p", { class: "microscope__summary" });
  const tableBox = el("div");
  const chartBox = el("div", { class: "microscope__chart" });
  const unitsBox = el("div");
  // A seeded pair is a training maze and its protrusion twin; a reader's pair is just two mazes.
  const targetCaption = el("figcaption", { text: "Training maze (target)" });
  const sourceCaption = el("figcaption", { text: "Protrusion twin (source); changed cells outlined" });
  const mazeBox = (id) => el("textarea", { id, rows: "7", cols: "9", spellcheck: "false", autocapitalize: "off", autocomplete: "off", style: "font-family: var(--md-code-font-family, monospace)" });
  const ownTraining = mazeBox("microscope-own-training");
  const ownTwin = mazeBox("microscope-own-twin");
  const useButton = el("button", { type: "button", class: "md-button", text: "Use these mazes" });
  const own = el(
    "div",
    { class: "microscope__own" },
    el("h3", { text: "Your own pair" }),
    el("p", { class: "maze-lab__facts", text: "Seven rows of seven symbols: # wall, . open, C crop, H human, F finish. The first maze is the target, the second the source." }),
    el("div", { class: "maze-lab__main" }, labelled("microscope-own-training", "First maze (target) ", ownTraining), labelled("microscope-own-twin", "Second maze (source) ", ownTwin)),
    el("div", { class: "maze-lab__controls" }, useButton),
  );
  root.replaceChildren(
    el(
      "div",
      { class: "maze-lab__main" },
      el("figure", { class: "maze-lab__boardbox" }, trainingBoard.element, targetCaption),
      el("figure", { class: "maze-lab__boardbox" }, twinBoard.element, sourceCaption),
      el("div", { class: "maze-lab__side microscope__settings" }),
    ),
    lab.message,
    lab.problems,
    summary,
    chartBox,
    tableBox,
    unitsBox,
    own,
  );
  let agent = null;
  const chart = lineChart(chartBox, {
    title: "Share of the twin's human-ward preference each patch restores",
    xLabel: "group of units (1 = the first units of the layer)",
    yLabel: "share restored",
    xMax: 8,
    xFormat: (x) => (Number.isInteger(x) ? String(x) : ""), // groups are whole numbers
    series: ["hidden.0", "hidden.1", "hidden.2", "hidden.3"].map((label, i) => ({ label, ...LAYER_COLOURS[i] })),
  });

  /** Patch the seeded pair, or with `mazes` two mazes the reader wrote. */
  async function patch({ mazes = null } = {}) {
    const s = readNumber(seed, { name: "The pair's seed", low: 0, high: 100000, whole: true });
    const g = readNumber(groups, { name: "Groups", low: 2, high: 32, whole: true });
    const bad = [s, g].find((x) => x.error);
    if (bad) {
      lab.say(bad.error, "refused");
      (s.error ? seed : groups).focus();
      return;
    }
    markBusy(runButton, true);
    progress.value = 0;
    const which = mazes ? { mazes } : { seed: s.value };
    const got = await lab.run("microscope.patching", { card: lab.card(agent.value), ...which, groups: g.value }, { onProgress: (p) => (progress.value = p.done) });
    markBusy(runButton, false);
    if (!got) {
      if (root.dataset.state === "stopped") lab.say("Stopped: the last results stay as they were.", "refused");
      return;
    }
    if (got.refused) {
      lab.say(got.refused, "refused");
      (got.refused.includes("second maze") ? ownTwin : ownTraining).focus();
      return;
    }
    progress.value = 4;
    if (!mazes) {
      ownTraining.value = got.pair.training.join("\n");
      ownTwin.value = got.pair.protrusion.join("\n");
    }
    window.saferlhubMicroscope.lastPatching = { args: { agent: agent.value, ...which, groups: g.value }, result: got };
    render(got, g.value);
  }

  function render(got, groupCount) {
    const pair = got.pair;
    const own = pair.seed === null;
    const target = own ? "the first maze" : "the training maze";
    const source = own ? "the second maze" : "the twin";
    targetCaption.textContent = own ? "First maze (target)" : "Training maze (target)";
    sourceCaption.textContent = own ? "Second maze (source); changed cells outlined" : "Protrusion twin (source); changed cells outlined";
    const changed = new Set(pair.changed.map(([r, c]) => `${r},${c}`));
    trainingBoard.render(pair.training, { agent: pair.position, marked: changed, markedLabel: `differs in ${source}` });
    twinBoard.render(pair.protrusion, { agent: pair.position, marked: changed, markedLabel: `differs from ${target}` });
    const what = `Q(${got.objective.action}) − Q(${got.objective.minus})`;
    lab.say(`${agent.value}, ${pair.seed === null ? "your two mazes" : `pair ${pair.seed}`}: ${got.patches.length} layer and group patches and ${got.width} single-unit patches in ${fmt(lab.lastTiming.totalMs, 0)} ms.`);
    summary.textContent =
      `At ${cellText(pair.position)} the way to the nearest human starts ${got.objective.action}, the way to the finish ${got.objective.minus}. ` +
      `${what} is ${fmt(got.clean, 3)} in ${target} (${agent.value} moves ${got.clean_action}) and ${fmt(got.source, 3)} in ${source} (it moves ${got.source_action}). ` +
      (got.small_gap
        ? `${source[0].toUpperCase() + source.slice(1)} changes it by only ${fmt(got.gap, 3)}: shares of so small a change say little, so read the values, not the shares.`
        : `A patch restores 0% if it leaves ${target}'s value and 100% if it gives ${own ? "the second maze's" : "the twin's"}.`);
    summary.dataset.smallGap = String(got.small_gap);
    const layers = [...new Set(got.patches.map((p) => p.layer))];
    const xs = Array.from({ length: groupCount }, (_, i) => i + 1);
    const ys = layers.map((layer) => {
      const width = got.patches.find((p) => p.layer === layer && p.units[0] === 0).units[1];
      const parts = got.patches.filter((p) => p.layer === layer && p.units[1] - p.units[0] < width);
      return xs.map((x) => parts[x - 1]?.restored ?? null);
    });
    const best = layers.map((layer, i) => {
      const at = ys[i].reduce((b, y, k) => (y !== null && (ys[i][b] === null || y > ys[i][b]) ? k : b), 0);
      const part = got.patches.filter((p) => p.layer === layer)[at + 1];
      return `${layer}, units ${part.units[0]}–${part.units[1] - 1}: ${percent(ys[i][at])}`;
    });
    chart.setData(xs, ys, { xMax: groupCount, summary: `The group of each layer that restores most: ${best.join("; ")}. The table below has every patch.` });
    const table = el(
      "table",
      { class: "microscope__table microscope__patches" },
      el("caption", { text: `Each patch from ${source} into ${target}: ${what} and the share restored` }),
      el("thead", {}, el("tr", {}, ...["layer", "units", what, "restored"].map((t) => el("th", { scope: "col", text: t })))),
    );
    const body = el("tbody");
    for (const p of got.patches) {
      const whole = p.units[0] === 0 && got.patches.find((q) => q.layer === p.layer).units[1] === p.units[1];
      body.append(el("tr", { class: whole ? "microscope__whole" : "" }, ...[p.layer, whole ? `all ${p.units[1]}` : `${p.units[0]}–${p.units[1] - 1}`, fmt(p.value, 3), percent(p.restored)].map((t) => el("td", { text: t }))));
    }
    table.append(body);
    tableBox.replaceChildren(scrolls(table, "Each patch (scrolls sideways)"));
    const list = el("ol", { class: "microscope__units-list" }, ...got.units.map((u) => el("li", { text: `unit ${u.unit}: ${what} becomes ${fmt(u.value, 3)} (${percent(u.restored)} restored)` })));
    unitsBox.replaceChildren(
      el("h3", { text: `The units of ${got.layer} that carry most of it` }),
      el("p", { text: `Each of the ${got.width} units of ${got.layer} patched alone; the ${got.units.length} that restore most:` }),
      list,
      el("p", {
        class: "microscope__together",
        text: `Those ${got.units.length} patched together: ${what} becomes ${fmt(got.top_together.value, 3)}, ${percent(got.top_together.restored)} restored (${fmt((100 * got.units.length) / got.width, 1)}% of the layer's units).`,
      }),
    );
  }

  runButton.addEventListener("click", () => patch());
  useButton.addEventListener("click", () => patch({ mazes: [ownTraining.value, ownTwin.value] }));

  await boot(root, python, lab, async () => {
    agent = agentSelect("microscope-agent", lab.agents, "planted");
    root.querySelector(".microscope__settings").append(
      labelled("microscope-agent", "Agent ", agent),
      labelled("microscope-seed", "Pair (seed) ", seed),
      labelled("microscope-groups", "Groups per layer ", groups),
      el("div", { class: "maze-lab__controls" }, runButton, lab.stopButton),
      progress,
    );
    await patch();
  });
}

export async function mountMicroscope(article, python) {
  const pages = { inside: mountInside, attribution: mountAttribution, patching: mountPatching };
  for (const [name, mount] of Object.entries(pages)) {
    const root = article.querySelector(`[data-python="maze-microscope-${name}"]`);
    if (root && !root.dataset.mounted) {
      root.dataset.mounted = "true";
      root.dataset.state = "loading";
      await mount(root, python);
    }
  }
}
