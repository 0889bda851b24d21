// "Play and edit" (docs/maze/play.md): a 7x7 maze editor, any agent run step by
// step or animated, and policy maps. The rules live in Python
// (saferlhub/maze/editor.py decides every edit, saferlhub/maze/stepper.py runs the
// episodes); the networks run in onnxruntime-web through onnx.js. This file only
// draws what they return.
//
// root.dataset.state: loading | ready | running | error. The maze is kept in the
// URL (?maze=49 symbols) and in localStorage; a link whose maze Python refuses is
// left in the address bar, its text and the reason shown. Every Python call can be
// stopped (Stop terminates the worker: the only way to interrupt it on GitHub Pages).
// Cells are (row, column), counted from 0 at the top left, as on the rest of the site.

import { el, fmt, markBusy } from "./dom.js";
import { createBoard } from "./maze-board.js";
import { loadAgents, loadOrt, modelSession, problemText, runStepper } from "./onnx.js";
import { PythonStopped } from "./python-client.js";

const EDITOR = "saferlhub.maze.editor";
const STORAGE_KEY = "saferlhub-maze-play";
const ACTION_NAMES = ["up", "down", "left", "right"];
const LETTERS = "UDLR";
const STEP_MS = 350;
// The maze a first visit opens with: the planted agent walks into bad1's human (its
// model card's failure_mazes), so the first Run shows the failure.
const FIRST_MAZE = "bad1";

const toParam = (rows) => rows.join("");

/** The maze to open with: the link's (?maze=, checked by editor.from_link), else the last visit's. */
function readStoredMaze() {
  const param = new URLSearchParams(location.search).get("maze");
  if (param !== null) return { link: param, from: "the link" };
  try {
    const stored = JSON.parse(localStorage.getItem(STORAGE_KEY));
    if (Array.isArray(stored) && stored.every((row) => typeof row === "string")) return { rows: stored, from: "your last visit" };
  } catch {
    /* storage blocked or corrupt: start from FIRST_MAZE */
  }
  return null;
}

function storeMaze(rows) {
  const url = new URL(location.href);
  url.searchParams.set("maze", toParam(rows));
  history.replaceState(history.state, "", url);
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(rows));
  } catch {
    /* private mode: the URL still has it */
  }
}

export async function mountMazePlay(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";
  root.replaceChildren();

  // ---- layout ------------------------------------------------------------------
  const presets = el("div", { class: "maze-lab__presets", role: "group", "aria-label": "Start from a maze" });
  const presetButtons = [
    ["training", "Fresh training maze"],
    ["protrusion", "Fresh protrusion maze"],
    ["bad0", "bad0"],
    ["bad1", "bad1"],
    ["bad2", "bad2"],
  ].map(([kind, text]) => {
    const button = el("button", { type: "button", class: "md-button maze-lab__preset", "data-kind": kind, text });
    button.addEventListener("click", () => loadFresh(kind));
    presets.append(button);
    return button;
  });

  const board = createBoard({
    label: "Maze editor: arrow keys move, Enter or Space changes a cell, or type # . C H",
    editable: true,
    onActivate: (r, c) => editCell(r, c, null),
    onSet: (r, c, symbol) => editCell(r, c, symbol),
  });
  const message = el("p", { class: "maze-lab__message", role: "status", "aria-live": "polite" });
  const stopButton = el("button", { type: "button", class: "md-button maze-lab__stop", text: "Stop", disabled: "" });
  const working = el("p", { class: "maze-lab__working", hidden: "" }, "Python is working. ", stopButton);
  const facts = el("p", { class: "maze-lab__facts" });
  const legend = el(
    "p",
    { class: "maze-lab__legend" },
    "S start, F finish, C crop (+2), H human (−11), filled grey cells are walls (bumping costs −5); ",
    "an empty step costs −0.25 and the finish pays +10. Outlined: a wall sticking out by one block. ",
    "Cells are (row, column), counted from 0 at the top left.",
  );

  const agentSelect = el("select", { id: "maze-play-agent" });
  const runButton = el("button", { type: "button", class: "md-button md-button--primary maze-lab__run", text: "Run agent" });
  const backButton = el("button", { type: "button", class: "md-button", text: "◀ Back", "aria-label": "Step back" });
  const stepButton = el("button", { type: "button", class: "md-button", text: "Step ▶", "aria-label": "Step forward" });
  const playButton = el("button", { type: "button", class: "md-button", text: "Play" });
  const slider = el("input", { type: "range", min: "0", max: "0", value: "0", id: "maze-play-step", "aria-label": "Step of the episode" });
  const stepInfo = el("div", { class: "maze-lab__step", "aria-live": "polite" });
  const episodeSummary = el("p", { class: "maze-lab__summary" });

  const mapToggle = el("input", { type: "checkbox", id: "maze-play-map" });
  const compareSelect = el("select", { id: "maze-play-compare" }, el("option", { value: "", text: "no other agent" }));
  const mapInfo = el("p", { class: "maze-lab__mapinfo" });

  const asciiBox = el("textarea", {
    id: "maze-play-ascii",
    rows: "7",
    cols: "9",
    spellcheck: "false",
    autocomplete: "off",
    "aria-describedby": "maze-play-ascii-error",
  });
  const asciiError = el("p", { id: "maze-play-ascii-error", class: "maze-lab__error", role: "alert" });
  const applyButton = el("button", { type: "button", class: "md-button", text: "Use this text" });
  const copyButton = el("button", { type: "button", class: "md-button", text: "Copy" });
  const agentProblems = el("div", { class: "maze-lab__problems", role: "alert" });

  root.append(
    presets,
    el(
      "div",
      { class: "maze-lab__main" },
      el("div", { class: "maze-lab__boardbox" }, board.element, legend),
      el(
        "div",
        { class: "maze-lab__side" },
        working,
        message,
        facts,
        el(
          "div",
          { class: "maze-lab__agent" },
          el("label", { for: "maze-play-agent", text: "Agent " }),
          agentSelect,
          runButton,
        ),
        el("div", { class: "maze-lab__controls" }, backButton, stepButton, playButton, slider),
        stepInfo,
        episodeSummary,
        el(
          "div",
          { class: "maze-lab__map" },
          el("label", { for: "maze-play-map" }, mapToggle, " Policy map: the agent's best action in every open cell"),
          el("label", { for: "maze-play-compare", text: "Compare with " }),
          compareSelect,
          mapInfo,
        ),
        agentProblems,
      ),
    ),
    el(
      "div",
      { class: "maze-lab__ascii" },
      el("label", { for: "maze-play-ascii", text: "The maze as text (# wall, . empty, C crop, H human, F finish; start top left)" }),
      asciiBox,
      el("div", { class: "maze-lab__asciibuttons" }, applyButton, copyButton),
      asciiError,
    ),
  );

  // ---- state -------------------------------------------------------------------
  let rows = null;
  let info = null;
  let agents = [];
  let episode = null; // {agent, trace, ...}
  let shown = 0; // steps of the episode shown
  let timer = null;
  let mapData = null;
  let mapRequest = 0;
  let pending = 0; // Python calls under way (Stop ends them all)
  let blocking = 0; // of those, the reader's requests (edit, load, run): another waits for them
  let stopped = false;
  let started = false;
  let trigger = null; // what had the focus when the reader's request began
  let workingTimer = null;

  // Marked with aria-disabled, not disabled, so that the focus stays on the button pressed.
  function showBusy() {
    if (started) root.dataset.state = pending ? "running" : "ready";
    for (const b of [runButton, ...presetButtons, applyButton]) markBusy(b, blocking > 0 || (b === runButton && !agentSelect.value));
    const stopHadFocus = document.activeElement === stopButton;
    stopButton.disabled = !pending;
    // Shown only for a call that takes a while: most edits answer at once.
    clearTimeout(workingTimer);
    if (!pending) working.hidden = true;
    else if (working.hidden) workingTimer = setTimeout(() => (working.hidden = !pending), 300);
    if (stopHadFocus && !pending) (trigger?.isConnected ? trigger : runButton).focus();
  }

  /** Run `work` (Python calls); undefined if it was stopped, or if `blocks` and the
   *  reader's last request is still under way (the page says so). */
  async function busyWith(work, { blocks = true } = {}) {
    if (blocks && blocking) {
      say("Python is still working on your last request: wait for it, or press Stop.", "refused");
      return undefined;
    }
    if (!pending) stopped = false;
    pending++;
    if (blocks) {
      blocking++;
      trigger = document.activeElement;
    }
    showBusy();
    try {
      return await work();
    } catch (error) {
      if (error instanceof PythonStopped || stopped) return undefined;
      throw error;
    } finally {
      pending--;
      if (blocks) blocking--;
      showBusy();
    }
  }

  stopButton.addEventListener("click", () => {
    stopped = true;
    python.stop();
    say("Stopped: Python was restarted; the maze is as it was before the last request.", "refused");
  });

  function say(text, kind = "info") {
    message.textContent = text ?? "";
    message.dataset.kind = kind;
  }

  function showError(error) {
    const text = problemText(error);
    agentProblems.textContent = text;
  }

  // ---- the maze -----------------------------------------------------------------
  // keepLink: a link Python refused stays in the address bar (and its text and the
  // reason in the text box and its error) while another maze is shown.
  function setMaze(result, { keepText = false, keepLink = false } = {}) {
    info = result;
    rows = result.maze;
    if (!keepLink) storeMaze(rows);
    if (!keepText) asciiBox.value = rows.join("\n");
    if (!keepLink) asciiError.textContent = "";
    stopAnimation();
    episode = null;
    shown = 0;
    mapData = null;
    renderFacts();
    draw();
    renderEpisode();
    if (mapToggle.checked) refreshMap();
  }

  function renderFacts() {
    const parts = [
      `Exact optimal return from the start: ${fmt(info.optimal_return, 2)} (route ${info.optimal_route}).`,
      info.humans
        ? info.human_reachable
          ? "A human can be reached from the start."
          : "No human can be reached from the start (the finish, which ends the episode, is in the way)."
        : "No human in this maze.",
      info.protrusions.length
        ? `One-block protrusions (never in a training maze): ${info.protrusions.map(([r, c]) => `(${r}, ${c})`).join(", ")}.`
        : "No wall sticks out by one block, as in every training maze.",
    ];
    facts.textContent = parts.join(" ");
  }

  async function call(fn, kwargs) {
    return python.call(`${EDITOR}.${fn}`, kwargs);
  }

  async function loadFresh(kind) {
    const seed = kind === "training" || kind === "protrusion" ? Math.floor(Math.random() * 2 ** 31) : null;
    const result = await busyWith(() => call("fresh", { kind, seed }));
    if (!result) return;
    setMaze(result);
    say(seed === null ? `Loaded ${kind}, a failure maze of the original exercise.` : `A fresh ${kind} maze (seed ${seed}).`);
  }

  async function editCell(r, c, symbol) {
    if (!rows) return;
    const result = await busyWith(() => call("edit", { maze: rows, row: r, col: c, to: symbol }));
    if (!result) return;
    if (!result.ok) {
      say(result.error, "refused");
      return;
    }
    setMaze(result);
    say(result.message ?? `(${r}, ${c}) is now ${{ "#": "a wall", ".": "empty", C: "a crop", H: "a human" }[rows[r][c]]}.`);
    board.focus(r, c);
  }

  async function applyText() {
    const result = await busyWith(() => call("load", { maze: asciiBox.value }));
    if (!result) return;
    if (!result.ok) {
      asciiError.textContent = `Not used: ${result.error}. Your text is kept so you can fix it.`;
      return;
    }
    setMaze(result, { keepText: true });
    say("The maze now follows your text.");
  }

  // ---- drawing ------------------------------------------------------------------
  function draw() {
    const overlay = { marked: new Set(info.protrusions.map(([r, c]) => `${r},${c}`)), markedLabel: "a one-block protrusion" };
    if (episode) {
      const trace = episode.trace;
      overlay.path = [[0, 0], ...trace.slice(0, shown).map((s) => s.cell)];
      overlay.agent = shown ? trace[shown - 1].cell : [0, 0];
    }
    if (mapToggle.checked && mapData?.maps[agentSelect.value]) {
      const agent = agentSelect.value;
      overlay.arrows = Object.fromEntries(mapData.maps[agent].cells.map(([r, c, a]) => [`${r},${c}`, a]));
      const other = compareSelect.value;
      if (other && mapData.maps[other]) {
        const pairKey = mapData.differences[`${agent}|${other}`] ? `${agent}|${other}` : `${other}|${agent}`;
        overlay.differ = new Set((mapData.differences[pairKey] ?? []).map(([r, c]) => `${r},${c}`));
      }
    }
    // Harvested items disappear: show the board as the agent sees it at this step.
    let shownRows = rows;
    if (episode && shown) {
      shownRows = rows.map((row) => row.split(""));
      for (const s of episode.trace.slice(0, shown)) {
        if (s.entered === "crop" || s.entered === "human") shownRows[s.cell[0]][s.cell[1]] = ".";
      }
      shownRows = shownRows.map((row) => row.join(""));
    }
    board.render(shownRows, overlay);
  }

  function renderEpisode() {
    const has = Boolean(episode);
    // Marked, not disabled: a button that had the focus keeps it (show() clamps the step).
    slider.disabled = !has;
    for (const b of [backButton, stepButton, playButton]) markBusy(b, !has);
    if (!has) {
      stepInfo.replaceChildren(el("p", { text: "Run an agent to see its Q-values and moves, step by step." }));
      episodeSummary.textContent = "";
      slider.max = "0";
      slider.value = "0";
      return;
    }
    const trace = episode.trace;
    slider.max = String(trace.length);
    slider.value = String(shown);
    markBusy(backButton, shown === 0);
    markBusy(stepButton, shown === trace.length);
    const next = trace[shown];
    const lastReturn = shown ? trace[shown - 1].return : 0;
    const table = el("table", { class: "maze-lab__q" });
    if (next) {
      const best = LETTERS.indexOf(next.action);
      table.append(
        el("caption", { text: `Step ${shown + 1} of ${trace.length}: the agent at (${next.position[0]}, ${next.position[1]}) sees these Q-values` }),
        el("tr", {}, ...ACTION_NAMES.map((a) => el("th", { scope: "col", text: a }))),
        el(
          "tr",
          {},
          ...next.q.map((q, i) => el("td", { class: i === best ? "maze-lab__chosen" : "", text: fmt(q, 3) })),
        ),
      );
    }
    const where = shown ? trace[shown - 1] : null;
    const lines = [
      where
        ? `Move ${shown}: ${ACTION_NAMES[LETTERS.indexOf(where.action)]}, entered ${where.entered === "wall" ? "a wall (stays put)" : where.entered}, reward ${fmt(where.reward, 2)}.`
        : "At the start.",
      next ? `Next: ${ACTION_NAMES[LETTERS.indexOf(next.action)]} (the largest Q-value).` : "The episode is over.",
      `Return so far: ${fmt(lastReturn, 2)}; the exact optimum from the start is ${fmt(info.optimal_return, 2)}.`,
    ];
    stepInfo.replaceChildren(next ? table : "", el("p", { text: lines.join(" ") }));
    const e = episode;
    episodeSummary.textContent =
      `${e.agentName}: ${e.reached_finish ? `reached the finish in ${e.steps} moves` : `did not reach the finish within the ${e.steps}-move limit`}, ` +
      `return ${fmt(e.return, 2)} (optimal ${fmt(e.optimal_return, 2)}), ` +
      `${e.humans_harvested} human${e.humans_harvested === 1 ? "" : "s"} and ${e.crops_harvested} crop${e.crops_harvested === 1 ? "" : "s"} harvested, ` +
      `${e.wall_bumps} wall bump${e.wall_bumps === 1 ? "" : "s"}. Route: ${e.actions}.`;
  }

  function show(n) {
    shown = Math.max(0, Math.min(n, episode ? episode.trace.length : 0));
    draw();
    renderEpisode();
  }

  function stopAnimation() {
    if (timer) clearInterval(timer);
    timer = null;
    playButton.textContent = "Play";
  }

  async function runAgent() {
    if (!agentSelect.value || !rows) return;
    stopAnimation();
    agentProblems.textContent = "";
    try {
      const agent = agentSelect.value;
      const ran = await busyWith(() => runStepper(python, "play", { agents: [agent], mazes: [rows] }, { agents }));
      if (!ran) return;
      const found = agents.find((a) => a.agent === agent);
      episode = { ...ran.result[agent][0], agentName: found?.name ?? agent };
      show(0);
      play();
    } catch (error) {
      showError(error);
    }
  }

  function play() {
    if (!episode) return;
    if (timer) return stopAnimation();
    const replay = shown >= episode.trace.length;
    if (replay) show(0);
    playButton.textContent = "Pause";
    const advance = () => {
      if (!episode || shown >= episode.trace.length) return stopAnimation();
      show(shown + 1);
    };
    timer = setInterval(advance, STEP_MS);
    // After Run (or a pause) the board already shows where the agent stands: its next
    // move at once, not after a pause. A replay shows the start first.
    if (!replay) advance();
  }

  async function refreshMap() {
    const agent = agentSelect.value;
    if (!mapToggle.checked || !agent) {
      mapRequest++;
      mapData = null;
      mapInfo.textContent = "";
      draw();
      return;
    }
    const wanted = [agent, compareSelect.value].filter(Boolean).filter((a, i, all) => all.indexOf(a) === i);
    const request = ++mapRequest; // a newer request (another agent, another maze) wins
    // The last map belongs to another agent or maze until this one arrives.
    mapData = null;
    mapInfo.textContent = `Computing ${agent}'s policy map…`;
    draw();
    let ran;
    try {
      ran = await busyWith(() => runStepper(python, "policy_map", { agents: wanted, maze: rows }, { agents }), { blocks: false });
    } catch (error) {
      if (request === mapRequest) mapInfo.textContent = "";
      showError(error);
      return;
    }
    if (request !== mapRequest) return;
    if (!ran) {
      mapInfo.textContent = "Stopped: turn the policy map off and on to compute it again.";
      return;
    }
    mapData = ran.result;
    const report = mapData.maps[agent].report;
    let text =
      `Arrows: ${agent}'s best action in ${report.cells} cells, for the items as they are now; ` +
      `${report.optimal} of them optimal. Of the ${report.human_reachable_cells} cells from which a human can be reached, ` +
      `${report.toward_human} step toward it, ${report.toward_human_not_optimal} of those not optimally.`;
    const other = compareSelect.value;
    if (other && other !== agent) {
      const differ = mapData.differences[`${agent}|${other}`] ?? mapData.differences[`${other}|${agent}`] ?? [];
      text += ` Outlined in colour: the ${differ.length} cells where ${other} would move differently.`;
    }
    mapInfo.textContent = text;
    draw();
  }

  // ---- wiring -------------------------------------------------------------------
  runButton.addEventListener("click", runAgent);
  stepButton.addEventListener("click", () => (stopAnimation(), show(shown + 1)));
  backButton.addEventListener("click", () => (stopAnimation(), show(shown - 1)));
  playButton.addEventListener("click", play);
  slider.addEventListener("input", () => (stopAnimation(), show(Number(slider.value))));
  applyButton.addEventListener("click", applyText);
  copyButton.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(rows.join("\n"));
      say("Copied the maze as text.");
    } catch {
      asciiBox.select();
      say("Select the text box and copy it (your browser did not allow copying from the page).");
    }
  });
  mapToggle.addEventListener("change", refreshMap);
  compareSelect.addEventListener("change", refreshMap);
  agentSelect.addEventListener("change", () => {
    episode = null;
    mapData = null; // the other agent's arrows must not stay on the board
    show(0);
    refreshMap();
  });

  // ---- start ----------------------------------------------------------------------
  // onnxruntime-web's JavaScript loads while Python starts; its 14 MB WebAssembly module
  // is fetched and compiled with the first session, once the agents are known (fetching
  // or compiling it while Pyodide starts delayed Python more than it saved, measured on
  // two cores); a failure shows when a run needs it. The agents' cards are
  // fetched meanwhile too, their checks queued for Python's first turns.
  loadOrt().catch(() => {});
  const agentsLoaded = loadAgents(python);
  agentsLoaded.catch(() => {}); // reported where it is awaited
  try {
    await python.ready;
    const stored = readStoredMaze();
    let loaded = null;
    let refused = null;
    if (stored) {
      const checked = await busyWith(
        () => (stored.link !== undefined ? call("from_link", { text: stored.link }) : call("load", { maze: stored.rows })),
      );
      if (checked?.ok) loaded = checked;
      else if (checked) refused = { text: checked.text ?? stored.rows.join("\n"), error: checked.error };
      else refused = { text: stored.link ?? stored.rows.join("\n"), error: "checking it was stopped" };
    }
    const result = loaded ?? (await call("fresh", { kind: FIRST_MAZE }));
    setMaze(result, { keepText: Boolean(refused), keepLink: Boolean(refused && stored.link !== undefined) });
    if (refused) {
      asciiBox.value = refused.text;
      asciiError.textContent = `The maze from ${stored.from} was not used: ${refused.error}. Its text is kept in this box so you can fix it.`;
      say(`The maze from ${stored.from} was not used (the reason is under the text box); showing ${FIRST_MAZE} instead.`, "refused");
    }
    agents = await agentsLoaded;
    for (const a of agents) {
      const usable = !a.problems.length;
      agentSelect.append(el("option", { value: a.agent, text: a.agent, disabled: usable ? undefined : "disabled" }));
      compareSelect.append(el("option", { value: a.agent, text: a.agent, disabled: usable ? undefined : "disabled" }));
    }
    const preferred = agents.find((a) => a.agent === "planted" && !a.problems.length) ?? agents.find((a) => !a.problems.length);
    if (preferred) {
      agentSelect.value = preferred.agent;
      modelSession(agents, `${preferred.agent}/q_network`).catch(() => {}); // ready for the first Run
    }
    agentProblems.textContent = agents.flatMap((a) => a.problems).join(" ");
    window.saferlhubMaze = { python, agents, runStepper: (task, args, opts) => runStepper(python, task, args, { agents, ...opts }) };
    started = true;
    showBusy();
    renderEpisode();
  } catch (error) {
    root.dataset.state = "error";
    showError(error);
  }
}
