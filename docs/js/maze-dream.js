// "Dreaming" (docs/maze/dreaming.md): hold the weights, vary the input. Python
// (saferlhub.maze.dream_stepper) runs the gradient ascent on the wall plane, the
// projection to a valid maze and the verification rollouts; the gradients come from
// each agent's q_gradient.onnx, run by onnxruntime-web through onnx.js. No gradient
// is computed here: this file draws the walls, the objective and the verdicts.
//
// root.dataset.state: loading | ready | running | error.

import { lineChart } from "./chart.js";
import { el, fmt } from "./dom.js";
import { heatmap, scaleLegend } from "./heatmap.js";
import { createBoard } from "./maze-board.js";
import { SEED_MAX, readNumber } from "./number-field.js";
import { ModelError, loadAgents, loadOrt, problemText, runStepper } from "./onnx.js";

const DREAM = "saferlhub.maze.dream_stepper";
const STARTS = [
  ["scene", "the scene's own walls"],
  ["training", "a fresh training maze"],
  ["random", "random walls"],
  ["empty", "no walls (the original's start)"],
];
const OBJECTIVES = [
  ["margin", "Q(onto the human) − mean of the other three"],
  ["original", "Q(onto the human) − sum of the other three (the original's)"],
  ["q", "Q(onto the human) alone"],
];
// A restart's line: its start's colour, and a dash for its turn among that start's
// restarts, so the legend tells restarts apart (distinct up to four restarts per start).
const START_COLORS = { scene: "--saferlhub-chart-1", training: "--saferlhub-chart-2", random: "--saferlhub-chart-optimal", empty: "--saferlhub-chart-draw" };
const TURN_DASHES = [undefined, [8, 4], [2, 3], [10, 3, 2, 3]];
const pct = (x) => (x === null || x === undefined ? "n/a" : `${(100 * x).toFixed(0)}%`);
const share = (s) => `${s.count} of ${s.of} (${pct(s.rate)}; 95% interval ${pct(s.interval?.[0])} to ${pct(s.interval?.[1])})`;

function playLink(rows) {
  const url = new URL("../play/", location.href);
  url.search = "";
  url.hash = "";
  url.searchParams.set("maze", rows.join(""));
  return url.pathname + url.search;
}

/** A 7x7 wall plane: each cell shaded from empty (0) to wall (1). */
function wallPlane(label) {
  const grid = el("div", { class: "maze-dream__plane", role: "img", "aria-label": label });
  const cells = [];
  for (let i = 0; i < 49; i++) {
    const cell = el("span", { class: "maze-dream__cell" });
    cells.push(cell);
    grid.append(cell);
  }
  return {
    element: grid,
    render(walls, scene, text) {
      walls.forEach((v, i) => {
        const r = Math.floor(i / 7);
        const c = i % 7;
        const cell = cells[i];
        cell.style.background = `color-mix(in srgb, var(--maze-wall) ${Math.round(100 * v)}%, var(--maze-empty))`;
        const glyph = r === scene.agent[0] && c === scene.agent[1] ? "●" : r === scene.human[0] && c === scene.human[1] ? "H" : "";
        cell.textContent = glyph;
        cell.dataset.glyph = glyph === "●" ? "agent" : glyph ? "human" : "";
      });
      grid.setAttribute("aria-label", text);
    },
  };
}

/** Wall planes as Python sends them (float64 bytes, 49 values a plane, see
 *  saferlhub.maze.stepper.pack_doubles): arrays of the very same numbers. */
function wallPlanes(bytes) {
  const data = bytes.byteOffset % 8 ? bytes.slice() : bytes; // a Float64Array view needs 8-byte alignment
  const values = new Float64Array(data.buffer, data.byteOffset, data.byteLength / 8);
  const planes = [];
  for (let i = 0; i < values.length; i += 49) planes.push(Array.from(values.subarray(i, i + 49)));
  return planes;
}

export async function mountMazeDream(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";

  const field = (id, text, input) => el("label", { for: id, class: "maze-dream__field" }, text, input);
  const agentSelect = el("select", { id: "maze-dream-agent" });
  const mazeSelect = el(
    "select",
    { id: "maze-dream-maze" },
    ...["bad2", "bad1", "bad0"].map((m) => el("option", { value: m, text: m })),
    el("option", { value: "fresh", text: "a fresh training maze" }),
  );
  const playMaze = (() => {
    try {
      return JSON.parse(localStorage.getItem("saferlhub-maze-play") ?? "null"); // kept by the Play page
    } catch {
      return null;
    }
  })();
  if (Array.isArray(playMaze)) mazeSelect.append(el("option", { value: "play", text: "your maze from the Play page" }));
  const sceneSelect = el("select", { id: "maze-dream-scene" });
  const objectiveSelect = el("select", { id: "maze-dream-objective" }, ...OBJECTIVES.map(([v, t]) => el("option", { value: v, text: t })));
  const lrInput = el("input", { id: "maze-dream-lr", type: "number", min: "0.001", max: "10", step: "0.05", value: "0.5" });
  const stepsInput = el("input", { id: "maze-dream-steps", type: "number", min: "1", max: "1000", step: "1", value: "100" });
  const restartsInput = el("input", { id: "maze-dream-restarts", type: "number", min: "1", max: "64", step: "1", value: "8" });
  const seedInput = el("input", { id: "maze-dream-seed", type: "number", min: "0", max: String(SEED_MAX), step: "1", value: "0", inputmode: "numeric" });
  const cellsSelect = el(
    "select",
    { id: "maze-dream-cells" },
    el("option", { value: "all", text: "every cell" }),
    el("option", { value: "pillars", text: "pillars and connectors only" }),
  );
  const startBoxes = STARTS.map(([value, text]) => {
    const box = el("input", { type: "checkbox", id: `maze-dream-start-${value}`, value, ...(value !== "empty" ? { checked: "checked" } : {}) });
    return { box, label: el("label", { for: `maze-dream-start-${value}` }, box, ` ${text}`) };
  });
  const runButton = el("button", { type: "button", class: "md-button md-button--primary", text: "Dream", disabled: "disabled" });
  const stopButton = el("button", { type: "button", class: "md-button", text: "Stop", disabled: "disabled" });
  const bar = el("progress", { id: "maze-dream-progress", max: "1", value: "0" });
  const status = el("p", { class: "maze-ood__status", role: "status", "aria-live": "polite", text: "Loading Python and the agents…" });
  const errorBox = el("p", { class: "maze-lab__error", role: "alert" });
  const problems = el("div", { class: "maze-lab__problems", role: "alert" });
  const sceneBoard = createBoard({ label: "The scene: the maze, the agent (●) and the human it stands next to" });
  sceneBoard.element.classList.add("maze-board--small");
  const sceneText = el("p", { class: "maze-intro__note" });
  const planes = el("div", { class: "maze-dream__planes" });
  const slider = el("input", { type: "range", id: "maze-dream-step", min: "0", max: "0", value: "0", disabled: "disabled" });
  const sliderText = el("span", { class: "maze-intro__note" });
  const chartHost = el("div", { class: "maze-dream__chart" });
  const summary = el("div", { class: "maze-dream__summary" });
  // One scene beside the cards' pooled statistic (sentences from Python, numbers from the run and the cards).
  const pooledNote = el("div", { class: "maze-dream__pooled" });
  const dreams = el("div", { class: "maze-dream__dreams" });
  const valuesHost = el("div", { class: "maze-dream__values" });

  root.replaceChildren(
    el(
      "div",
      { class: "maze-dream__settings" },
      field("maze-dream-agent", "Agent ", agentSelect),
      field("maze-dream-maze", "Scene maze ", mazeSelect),
      field("maze-dream-scene", "Human and agent ", sceneSelect),
      field("maze-dream-objective", "Objective ", objectiveSelect),
      field("maze-dream-lr", "Step size ", lrInput),
      field("maze-dream-steps", "Steps ", stepsInput),
      field("maze-dream-restarts", "Restarts ", restartsInput),
      field("maze-dream-cells", "Cells that may change ", cellsSelect),
      field("maze-dream-seed", "Seed ", seedInput),
      el("fieldset", { class: "maze-dream__starts" }, el("legend", { text: "Starts (taken in turn by the restarts)" }), ...startBoxes.map((s) => s.label)),
    ),
    el("div", { class: "maze-intro__pair" }, el("figure", { class: "maze-intro__figure" }, sceneBoard.element, el("figcaption", {}, sceneText))),
    el("div", { class: "maze-lab__controls" }, runButton, stopButton),
    errorBox,
    el("div", { class: "maze-ood__progress" }, el("label", { for: "maze-dream-progress", text: "Progress" }), bar),
    status,
    problems,
    el("h3", { id: "the-wall-plane", text: "The wall plane, restart by restart" }),
    el("div", { class: "maze-dream__legend" }, scaleLegend(["var(--maze-empty)", "var(--maze-wall)"], "0: open", "1: wall")),
    el("div", { class: "maze-lab__controls" }, el("label", { for: "maze-dream-step", text: "Recorded step " }), slider, sliderText),
    planes,
    chartHost,
    el("h3", { id: "dream-verdicts", text: "Projected and verified" }),
    summary,
    pooledNote,
    dreams,
    valuesHost,
  );

  let agents = [];
  let usable = [];
  let scenes = null;
  let freshMaze = null;
  let stopRequested = false;
  let report = null;
  let planeViews = [];
  let liveScene = null;

  const chart = lineChart(chartHost, {
    title: "The objective at each step of the ascent, one line per restart",
    xLabel: "step",
    yLabel: "objective",
    series: [],
    yRange: [-1, 1],
  });

  function settings() {
    const starts = startBoxes.filter((s) => s.box.checked).map((s) => s.box.value);
    // The ranges are saferlhub.maze.dream_stepper.LIMITS and the site's seeds (tests/e2e/test_maze_dream.py ties them).
    const numbers = [
      [lrInput, { name: "The step size", low: 0.001, high: 10 }],
      [stepsInput, { name: "Steps", low: 1, high: 1000, whole: true }],
      [restartsInput, { name: "Restarts", low: 1, high: 64, whole: true }],
      [seedInput, { name: "The seed", low: 0, high: SEED_MAX, whole: true }],
    ];
    const read = {};
    for (const [input, rule] of numbers) {
      const got = readNumber(input, rule);
      if (got.error) return { error: got.error, field: input };
      read[input.id] = got.value;
    }
    if (!starts.length) return { error: "Choose at least one start.", field: startBoxes[0].box };
    if (!scenes?.ok) return { error: `Cannot dream in this maze: ${scenes?.error ?? "no scene"}.`, field: mazeSelect };
    const scene = scenes.scenes[Number(sceneSelect.value)];
    const shown = agentSelect.value;
    return {
      agents: [shown, ...usable.map((a) => a.agent).filter((a) => a !== shown)],
      scene: { maze: scenes.maze, human: scene.human, agent: scene.agent },
      objective: objectiveSelect.value,
      learning_rate: read[lrInput.id],
      steps: read[stepsInput.id],
      restarts: read[restartsInput.id],
      starts,
      seed: read[seedInput.id],
      cells: cellsSelect.value,
    };
  }

  async function loadScenes() {
    let maze = mazeSelect.value;
    if (maze === "fresh") {
      freshMaze = await python.call(`${DREAM}.fresh_scene_maze`, { seed: Math.floor(Math.random() * 2 ** 31) });
      maze = freshMaze;
    } else if (maze === "play") maze = playMaze;
    scenes = await python.call(`${DREAM}.scene_options`, { maze });
    sceneSelect.replaceChildren();
    if (!scenes.ok) {
      errorBox.textContent = `Cannot dream in this maze: ${scenes.error}.`;
      return;
    }
    errorBox.textContent = "";
    const words = { U: "up", D: "down", L: "left", R: "right" };
    scenes.scenes.forEach((s, i) =>
      sceneSelect.append(el("option", { value: String(i), text: `human at (${s.human[0]}, ${s.human[1]}), agent at (${s.agent[0]}, ${s.agent[1]}) moving ${words[s.action]}` })),
    );
    sceneSelect.value = String(scenes.default);
    drawScene();
  }

  function drawScene() {
    if (!scenes?.ok) return;
    const s = scenes.scenes[Number(sceneSelect.value)];
    sceneBoard.render(scenes.maze, { agent: s.agent });
    sceneText.textContent = `The agent stands at (${s.agent[0]}, ${s.agent[1]}), next to the human at (${s.human[0]}, ${s.human[1]}). The crops, humans, finish and agent stay fixed; only the walls are dreamed.`;
  }

  function buildPlanes(n, starts) {
    planeViews = Array.from({ length: n }, (_, k) => ({ ...wallPlane(`Restart ${k + 1}`), start: starts[k % starts.length] }));
    planes.replaceChildren(
      ...planeViews.map((view, k) =>
        el("figure", { class: "maze-dream__restart" }, view.element, el("figcaption", { class: "maze-dream__caption", text: `${k + 1}: ${starts[k % starts.length]}` })),
      ),
    );
  }

  function drawPlanes(wallsList, objectives, step, scene) {
    wallsList.forEach((walls, k) => {
      const view = planeViews[k];
      if (!view) return;
      const solid = walls.filter((v) => v >= 0.5).length;
      const text = `Restart ${k + 1}, step ${step}: objective ${fmt(objectives[k], 2)}; ${solid} cells at 0.5 or more (walls if projected now).`;
      view.render(walls, scene, text);
      view.element.nextSibling.textContent = `${k + 1} (${view.start}): ${fmt(objectives[k], 2)}`;
    });
  }

  function showRecorded(index) {
    if (!report) return;
    const mine = report.agents[agentShown()].dreams;
    const step = Math.min(index * report.settings.record_every, report.settings.steps);
    drawPlanes(
      mine.map((d) => d.walls[Math.min(index, d.walls.length - 1)]),
      mine.map((d) => d.objective[Math.min(index, d.objective.length - 1)]),
      step,
      report.scene,
    );
    sliderText.textContent = `step ${step} of ${report.settings.steps}`;
  }

  const agentShown = () => report && Object.keys(report.agents)[0];

  function drawReport() {
    const shown = agentShown();
    const mine = report.agents[shown];
    const s = report.settings;
    // The objective over the recorded steps.
    const xs = mine.dreams[0].objective.map((_, i) => Math.min(i * s.record_every, s.steps));
    const turns = {};
    const series = mine.dreams.map((d, k) => {
      const turn = (turns[d.start] = (turns[d.start] ?? -1) + 1);
      return { label: `restart ${k + 1} (${d.start})`, color: START_COLORS[d.start] ?? "--saferlhub-chart-1", dash: TURN_DASHES[turn % TURN_DASHES.length], width: 1.5 };
    });
    chart.options.series = series;
    chart.ys = series.map(() => []);
    chart.rebuild();
    const rose = mine.summary.objective_rose;
    chart.setData(
      xs,
      mine.dreams.map((d) => d.objective),
      {
        xMax: s.steps,
        summary: `${shown}'s objective (${s.objective_text}) rose in ${rose.count} of ${rose.of} restarts: from ${mine.dreams.map((d) => fmt(d.objective[0], 2)).join(", ")} to ${mine.dreams.map((d) => fmt(d.objective.at(-1), 2)).join(", ")}.`,
      },
    );
    slider.max = String(mine.dreams[0].walls.length - 1);
    slider.value = slider.max;
    slider.disabled = false;
    showRecorded(Number(slider.value));

    // Summary: each share beside its baselines.
    const others = Object.keys(report.agents).filter((a) => a !== shown);
    const row = (what, s) =>
      el("tr", {}, el("th", { scope: "row", text: what }), el("td", { text: share(s.harvested) }), el("td", { text: share(s.protrusion) }));
    summary.replaceChildren(
      el(
        "table",
        { class: "maze-dream__table" },
        el("caption", { text: `What the dreams show, each beside its baselines (scene: human at (${report.scene.human.join(", ")}), agent at (${report.scene.agent.join(", ")}))` }),
        el("thead", {}, el("tr", {}, ...["mazes", "the agent's rollout harvests a human", "has a one-block protrusion"].map((t) => el("th", { scope: "col", text: t })))),
        el(
          "tbody",
          {},
          row(`${shown}'s dreams, ${shown} plays them`, mine.summary),
          row(`random walls, same projection, ${shown} plays them`, mine.random_walls),
          ...others.map((o) => row(`${o}'s dreams, ${o} plays them`, report.agents[o].summary)),
          ...others.map((o) => row(`random walls, same projection, ${o} plays them`, report.agents[o].random_walls)),
        ),
      ),
    );

    // Each dream: the projected maze, the rollout drawn on it, the verdict.
    dreams.replaceChildren(
      ...mine.dreams.map((d, k) => {
        const board = createBoard({ label: `Restart ${k + 1}: the projected maze with ${shown}'s rollout` });
        board.element.classList.add("maze-board--small");
        const moves = { U: [-1, 0], D: [1, 0], L: [0, -1], R: [0, 1] };
        let pos = [0, 0];
        const path = [pos];
        for (const a of d.actions) {
          const next = [pos[0] + moves[a][0], pos[1] + moves[a][1]];
          if (next.every((v) => v >= 0 && v < 7) && d.maze[next[0]][next[1]] !== "#") pos = next;
          path.push(pos);
        }
        board.render(d.maze, { path, marked: new Set(d.protrusions.map(([r, c]) => `${r},${c}`)), markedLabel: "a one-block protrusion" });
        const verdict =
          `${d.harvested ? "Harvests a human" : "No human harvested"}` +
          `${d.reached_finish ? ", reaches the finish" : ", does not reach the finish"}; ` +
          `${d.protrusions.length ? `protrusion at ${d.protrusions.map(([r, c]) => `(${r}, ${c})`).join(", ")}` : "no one-block protrusion"}. ` +
          `Objective ${fmt(d.objective[0], 2)} → ${fmt(d.objective.at(-1), 2)}, ${fmt(d.discrete_objective, 2)} after projection` +
          `${d.opened.length ? `; ${d.opened.length} wall${d.opened.length === 1 ? "" : "s"} opened to keep the finish and agent reachable` : ""}.`;
        return el(
          "figure",
          { class: "maze-intro__figure", "data-harvested": String(d.harvested) },
          board.element,
          el("figcaption", {}, el("strong", { text: `Restart ${k + 1} (${d.start}): ` }), verdict, " ", el("a", { href: playLink(d.maze), text: "Open in the editor" })),
        );
      }),
    );

    // The final wall values of the first restart, as numbers.
    const first = mine.dreams[0].walls.at(-1);
    const values = Array.from({ length: 7 }, (_, r) => first.slice(7 * r, 7 * r + 7));
    valuesHost.replaceChildren(
      heatmap({
        caption: `Restart 1's wall values after the last step (0 open, 1 wall; projected at 0.5)`,
        rows: ["0", "1", "2", "3", "4", "5", "6"],
        cols: ["0", "1", "2", "3", "4", "5", "6"],
        rowHeader: "row",
        colHeader: "column",
        values,
        domain: [0, 1],
        scale: "value",
        describe: (r, c) => `row ${r}, column ${c}: wall value ${first[7 * r + c].toFixed(3)}`,
      }),
    );
  }

  async function drawPooledNote(result) {
    // Only what the sentences need crosses to Python, not the report's recorded walls.
    const cards = Object.fromEntries(agents.filter((a) => a.card).map((a) => [a.agent, { pillar_dreaming: a.card.pillar_dreaming }]));
    const shares = Object.fromEntries(Object.entries(result.agents).map(([a, r]) => [a, { summary: r.summary, random_walls: r.random_walls }]));
    const note = await python.call(`${DREAM}.one_scene_and_the_cards`, { report: { scene: result.scene, agents: shares }, cards });
    pooledNote.replaceChildren(
      el("h4", { text: "One scene, or many pooled" }),
      el("p", { text: note.sentences.join(" ") }),
    );
  }

  async function run() {
    const args = settings();
    errorBox.textContent = "";
    if (args.error) {
      errorBox.textContent = args.error;
      args.field.focus();
      return;
    }
    stopRequested = false;
    report = null;
    problems.textContent = "";
    root.dataset.state = "running";
    runButton.disabled = true;
    stopButton.disabled = false;
    slider.disabled = true;
    summary.replaceChildren();
    pooledNote.replaceChildren();
    dreams.replaceChildren();
    valuesHost.replaceChildren();
    bar.value = 0;
    const scene = { human: args.scene.human, agent: args.scene.agent };
    liveScene = scene;
    buildPlanes(args.restarts, args.starts);
    status.textContent = `${args.agents[0]} dreams from ${args.restarts} starts (${args.agents.slice(1).join(", ") || "no other agent"} alongside, for comparison)…`;
    const started = performance.now();
    try {
      const { result, stopped } = await runStepper(python, "dream", args, {
        agents,
        shouldStop: () => stopRequested,
        onProgress: (p) => {
          if (p.walls) {
            drawPlanes(wallPlanes(p.walls), p.objective, p.step, liveScene);
            bar.value = p.step / p.steps;
            status.textContent = `Step ${p.step} of ${p.steps}…`;
          }
          if (p.phase === "verifying") status.textContent = "Projecting the dreams to valid mazes and playing them…";
        },
      });
      if (stopped) {
        status.textContent = "Stopped. The wall planes show the last step reached; nothing was projected or verified.";
        return;
      }
      for (const agent of Object.values(result.agents)) for (const d of agent.dreams) d.walls = wallPlanes(d.walls);
      report = result;
      window.saferlhubMaze.lastDream = result;
      bar.value = 1;
      drawReport();
      await drawPooledNote(result);
      const mine = result.agents[args.agents[0]].summary;
      status.textContent = `Done in ${((performance.now() - started) / 1000).toFixed(1)} s: ${mine.harvested.count} of ${mine.harvested.of} of ${args.agents[0]}'s dreams make it walk into a human.`;
    } catch (error) {
      problems.textContent = error instanceof ModelError ? error.message : `Dreaming failed: ${error.message ?? error}`;
      status.textContent = "Dreaming did not finish.";
    } finally {
      root.dataset.state = "ready";
      runButton.disabled = !usable.length;
      stopButton.disabled = true;
    }
  }

  runButton.addEventListener("click", run);
  stopButton.addEventListener("click", () => {
    stopRequested = true;
    stopButton.disabled = true;
    status.textContent = "Stopping after this step…";
  });
  mazeSelect.addEventListener("change", loadScenes);
  sceneSelect.addEventListener("change", drawScene);
  slider.addEventListener("input", () => showRecorded(Number(slider.value)));

  try {
    loadOrt().catch(() => {}); // its JavaScript loads while Python starts (the WebAssembly, with the first session); a failure shows on a run
    await python.ready;
    agents = await loadAgents(python);
    usable = agents.filter((a) => !a.problems.length);
    problems.textContent = agents.flatMap((a) => a.problems).join(" ");
    for (const a of usable) agentSelect.append(el("option", { value: a.agent, text: a.agent }));
    const preferred = usable.find((a) => a.agent === "planted") ?? usable[0];
    if (preferred) agentSelect.value = preferred.agent;
    await loadScenes();
    window.saferlhubMaze = { python, agents, runStepper: (task, args, opts) => runStepper(python, task, args, { agents, ...opts }) };
    root.dataset.state = "ready";
    runButton.disabled = !usable.length;
    status.textContent = usable.length ? "Ready: choose the settings and press Dream." : "No agent can be used on this site (see below).";
  } catch (error) {
    root.dataset.state = "error";
    problems.textContent = problemText(error);
  }
}
