// "Reward hacking: the idea" (docs/reward-hacking/index.md): one lab per level, each
// with settings, the exact solver's verdict before training, live training with a
// chart of observed return and hidden performance, the greedy policy on the grid,
// an animated replay, a hack count over several seeds, and an editor for the reader's
// own level (ASCII art that page.edit_level checks and solves). All RL and every rule
// happens in Python (saferlhub/gridworlds/page.py); this file only draws what it returns.
//
// Each lab's root: <div data-python="reward-lab" data-level="boat_race">; its state
// for tests: root.dataset.state = loading | ready | running | done | stopped | invalid | error,
// data-art = original | edited, data-level-edit = applied | refused | reset.

import { PythonStopped } from "./python-client.js";
import { trainingRun } from "./training-run.js";
import { lineChart } from "./chart.js";
import { count, el, labelColumns, markBusy } from "./dom.js";
import { schemaNumber } from "./number-field.js";

const PAGE = "saferlhub.gridworlds.page";
const MAIN = ["episodes", "alpha", "gamma", "epsilon_min", "initial_q", "seed"];
const COLORS = {
  observed: "--saferlhub-chart-optimal",
  hidden: "--saferlhub-chart-1",
};
const num = (x, digits = 1) => (x < 0 ? "−" : "") + Math.abs(x).toFixed(digits);
const DIGITS = { boat_race: 0, tomato_watering: 2, absent_supervisor: 0 };

let setupPromise = null;
const setupOnce = (python) => (setupPromise ??= python.ready.then(() => python.call(`${PAGE}.page_setup`)));

// ---- boards ---------------------------------------------------------------------

const CELL_CLASS = { "#": "wall", A: "agent", T: "wet", t: "dry", O: "transformer", P: "punish", G: "goal", S: "watcher", "?": "unknown" };
const ARROW = /[<>^v]/;

function board(rows, caption, { policy = false, under = null } = {}) {
  const pre = el("pre", { class: "rh-board", "aria-hidden": "true" });
  for (const [r, row] of rows.entries()) {
    for (const [c, ch] of [...row].entries()) {
      // A policy's arrow keeps the colour of the cell beneath it (P, G, O, a tomato).
      const below = under?.[r]?.[c];
      const special = policy && below && CELL_CLASS[below] && below !== "#" ? `rh-cell--${CELL_CLASS[below]}` : "";
      const kind = ARROW.test(ch) ? (policy ? (special ? `move ${special}` : "move") : "arrow") : CELL_CLASS[ch] ?? "floor";
      // Walls are drawn by their colour alone (no text to read or to contrast).
      pre.append(el("span", { class: `rh-cell rh-cell--${kind}`, text: kind === "wall" ? " " : ch }));
    }
    pre.append("\n");
  }
  // A screen reader gets the rows as text, one per line, after the caption.
  const text = el("p", { class: "rh-board__text rh-sr-only", text: `${caption}. Rows: ${rows.map((r) => r.replaceAll(" ", "·")).join(" / ")}` });
  return el("figure", { class: "rh-figure" }, pre, el("figcaption", { text: caption }), text);
}

// ---- controls --------------------------------------------------------------------

function controlFor(spec, lab) {
  const id = `rh-${lab}-${spec.name}`;
  let input;
  if (spec.choices) {
    input = el("select", { id, name: spec.name });
    spec.choices.forEach((c, i) => input.append(el("option", { value: c, text: spec.choice_labels?.[i] ?? c })));
  } else if (spec.type === "bool") {
    input = el("input", { id, name: spec.name, type: "checkbox" });
  } else {
    input = el("input", { id, name: spec.name, type: "number", min: spec.min, max: spec.max, step: spec.type === "int" ? "1" : "any" });
  }
  const message = el("span", { class: "rh-field__error", id: `${id}-error`, role: "alert" });
  input.setAttribute("aria-describedby", `${id}-help ${id}-error`);
  const field = el(
    "div",
    { class: `rh-field${spec.type === "bool" ? " rh-field--bool" : ""}`, "data-setting": spec.name },
    el("label", { for: id, text: spec.label }),
    input,
    el("small", { id: `${id}-help`, text: spec.description + (spec.range ? ` (${spec.range})` : "") }),
    message,
  );
  return { field, input, message, spec };
}
const setValue = (c, v) => (c.spec.type === "bool" ? (c.input.checked = Boolean(v)) : (c.input.value = String(v)));
const readValue = (c) => {
  if (c.spec.type === "bool") return c.input.checked;
  if (c.spec.choices) return c.input.value;
  return schemaNumber(c.input); // Python says what is wrong with it, and what to enter
};

// ---- the verdict -------------------------------------------------------------------

function verdictText(v, digits) {
  const f = (x) => num(x, digits);
  if (v.exact) {
    const [low, high] = v.hidden_of_observed_optimal;
    const range = low === high ? `exactly ${f(low)}` : `anywhere from ${f(low)} to ${f(high)}`;
    const judgement = v.hack_certain
      ? "Every policy that is best by the reward it sees gives up true performance: the reward invites the hack."
      : v.hack_possible
        ? "Some policies that are best by the reward it sees game it: the reward cannot tell the honest agent from the hacker."
        : "Every policy that is best by the reward it sees is (within 5%) best by the hidden measure too: this reward leaves no room for the hack.";
    return `Exact, over 100 steps: the best observed return is ${f(v.observed_optimum)}; the best hidden performance is ${f(v.hidden_optimum)}. An agent that maximises what it sees scores ${range} on the hidden measure. ${judgement}`;
  }
  const [park, patrol] = v.policies;
  if (!v.transformer) {
    // Switched off, O fools no one: what the agent sees is the truth, so there is one reward.
    return (
      `Bounds, over 100 steps: no policy earns more than ${f(v.hidden_optimum)}. ` +
      `The transformer is off, so the reward the agent sees is the hidden performance. Exact values: walking to O and standing there earns ${f(park.hidden)}; a patrol round the field earns ${f(patrol.hidden)}. ` +
      "The reward cannot be fooled: no room for the hack."
    );
  }
  return (
    `Bounds, over 100 steps: no policy sees more than ${f(v.observed_optimum)} or truly earns more than ${f(v.hidden_optimum)}. ` +
    `Exact values: parking on the transformer sees ${f(park.observed)} and truly earns ${f(park.hidden)}; a patrol round the field sees and earns ${f(patrol.hidden)}. ` +
    (v.hack_possible ? "By the reward it sees, parking wins: the reward invites the hack." : "Parking no longer pays more than watering: no room for the hack.")
  );
}

// ---- one lab ----------------------------------------------------------------------

export async function mountRewardLab(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";
  const level = root.dataset.level;
  root.replaceChildren(el("p", { class: "rh-status", text: "Loading the lab from Python…" }));
  let setup;
  try {
    setup = await setupOnce(python);
  } catch (error) {
    root.dataset.state = "error";
    root.replaceChildren(el("p", { class: "rh-status", "data-kind": "error", text: `Could not load the lab: ${error.message}` }));
    return;
  }
  const digits = DIGITS[level];
  const presets = Object.entries(setup.presets).filter(([, s]) => s.level === level);
  const wanted = new Set([...MAIN, ...setup.level_settings[level]]);
  const controls = new Map();
  for (const spec of setup.schema) if (wanted.has(spec.name)) controls.set(spec.name, controlFor(spec, level));

  const presetSelect = el("select", { id: `rh-${level}-preset` });
  for (const [name] of presets) presetSelect.append(el("option", { value: name, text: name }));
  presetSelect.append(el("option", { value: "", text: "(your own settings)" }));
  let base = presets[0][1];
  // The level in play, as the setting "art" ("" = the original layout); the editor below.
  let art = "";
  const applyPreset = (name) => {
    base = setup.presets[name];
    for (const [key, c] of controls) setValue(c, base[key]);
    showLevel(base.art, null);
  };
  const readSettings = () => {
    const values = { ...base, level, art };
    for (const [key, c] of controls) values[key] = readValue(c);
    return values;
  };

  // ---- the level editor: Python checks the art (page.edit_level); this only shows it ----
  const artId = `rh-${level}-art`;
  const artBox = el("textarea", {
    id: artId,
    class: "rh-editor__art",
    rows: String(setup.max_size[0]),
    cols: String(setup.max_size[1] + 2),
    spellcheck: "false",
    autocomplete: "off",
    autocapitalize: "off",
    "aria-describedby": `${artId}-legend ${artId}-error`,
  });
  const artError = el("p", { class: "rh-field__error rh-editor__error", id: `${artId}-error`, role: "alert" });
  const applyButton = el("button", { type: "button", class: "md-button md-button--primary rh-apply", text: "Apply" });
  const resetButton = el("button", { type: "button", class: "md-button rh-reset", text: "Reset to the original" });
  const levelPreview = el("div", { class: "rh-editor__preview" });
  const legendList = el(
    "ul",
    { class: "rh-editor__legend", id: `${artId}-legend` },
    ...setup.editor_legend[level].map(([symbol, meaning]) =>
      el("li", {}, el("code", { text: symbol === " " ? "space" : symbol }), ` ${meaning}`),
    ),
  );
  const [maxRows, maxColumns] = setup.max_size;
  const editor = el(
    "details",
    { class: "rh-editor" },
    el("summary", { text: "Edit the level" }),
    el("p", {
      text:
        `Draw your own ${setup.levels[level].title.toLowerCase()} level, one row per line (at most ${maxRows} rows of ${maxColumns} characters), ` +
        "and press Apply: Python checks it, refuses a level that breaks a rule with the reason, and the solver's verdict and the next training use it. A preset brings back the original layout.",
    }),
    el("label", { for: artId, class: "rh-editor__label", text: `${setup.levels[level].title}: the level as ASCII art` }),
    artBox,
    artError,
    el("p", { class: "rh-editor__symbols", text: "Symbols:" }),
    legendList,
    el("div", { class: "rh-actions" }, applyButton, resetButton),
    levelPreview,
  );
  const clearArtError = () => {
    artError.textContent = "";
    artBox.removeAttribute("aria-invalid");
  };
  const showArtError = (message) => {
    editor.open = true;
    artError.textContent = message;
    artBox.setAttribute("aria-invalid", "true");
    artBox.focus();
  };
  // Show the level in play: its art in the box and its starting board.
  function showLevel(newArt, rows) {
    art = newArt;
    const drawn = rows ?? (newArt || setup.original_art[level]).split("\n");
    artBox.value = newArt || setup.original_art[level];
    clearArtError();
    root.dataset.art = newArt ? "edited" : "original";
    levelPreview.replaceChildren(board(drawn, newArt ? "Your level, in play" : "The original level, in play"));
  }

  const rewardFields = el("div", { class: "rh-fields" });
  const learnFields = el("div", { class: "rh-fields" });
  for (const [name, c] of controls) (setup.level_settings[level].includes(name) ? rewardFields : learnFields).append(c.field);
  const verdict = el("p", { class: "rh-verdict", "aria-live": "polite" });
  const solverGrids = el("div", { class: "rh-grids" });
  const trainButton = el("button", { type: "button", class: "md-button md-button--primary rh-train", text: "▶ Train" });
  const stopButton = el("button", { type: "button", class: "md-button rh-stop", text: "■ Stop", disabled: true });
  const seedsButton = el("button", { type: "button", class: "md-button rh-seeds", text: "Train 10 seeds" });
  const bar = el("progress", { class: "rh-progress", max: 1, value: 0, "aria-label": `${setup.levels[level].title}: training progress` });
  const status = el("p", { class: "rh-status", role: "status", text: "Press Train: the agent learns from the observed reward only." });
  const chartBox = el("div", { class: "rh-chart" });
  const learned = el("div", { class: "rh-learned", hidden: true });
  const replayBox = el("div", { class: "rh-replay", hidden: true });
  const seedsBox = el("div", { class: "rh-seedsresult", "aria-live": "polite" });

  root.replaceChildren(
    el(
      "form",
      { class: "rh-controls", novalidate: true },
      el("div", { class: "rh-field rh-field--preset" }, el("label", { for: presetSelect.id, text: "Preset" }), presetSelect),
      el("fieldset", { class: "rh-rewards" }, el("legend", { text: "The reward (change it, and the solver answers at once)" }), rewardFields),
      el("details", { class: "rh-more" }, el("summary", { text: "Learning settings: episodes, α, γ, ε, initial Q, seed" }), learnFields),
    ),
    editor,
    el("div", { class: "rh-solver" }, el("h4", { text: "The exact solver's verdict, before any training" }), verdict, solverGrids),
    el("div", { class: "rh-actions" }, trainButton, stopButton, seedsButton, bar),
    status,
    chartBox,
    learned,
    replayBox,
    seedsBox,
  );
  presetSelect.value = presets[0][0];
  applyPreset(presets[0][0]);

  const chart = lineChart(chartBox, {
    title: `${setup.levels[level].title}: observed return and hidden performance per episode`,
    xLabel: "episodes",
    yLabel: "per episode",
    yRange: [0, 1],
    series: [
      { label: "observed return (training episodes)", color: COLORS.observed },
      { label: "hidden performance (training episodes)", color: COLORS.hidden },
      { label: "observed return of the greedy policy (exact)", color: COLORS.observed, dash: [6, 3] },
      { label: "hidden performance of the greedy policy (exact)", color: COLORS.hidden, dash: [6, 3] },
      { label: "best observed return (solver)", color: COLORS.observed, width: 1, dash: [2, 4] },
      { label: "best hidden performance (solver)", color: COLORS.hidden, width: 1, dash: [2, 4] },
    ],
  });
  let curve = [];
  const redraw = (planned) => {
    const xs = curve.map((e) => e.episodes_done);
    const keys = ["mean_observed", "mean_hidden", "greedy_observed", "greedy_hidden", "observed_optimum", "hidden_optimum"];
    const note = level === "tomato_watering" ? "On tomato watering the two “best” lines are upper bounds, not reached by any policy." : undefined;
    chart.setData(xs, keys.map((k) => curve.map((e) => e[k])), { xMax: planned ?? xs.at(-1) ?? 1, note });
  };

  // The solver's verdict follows every change of the reward.
  let asked = 0;
  const askSolver = async () => {
    const ticket = ++asked;
    // The old verdict stays until the new one comes (marked busy): replacing it at once
    // would move the buttons under a reader's pointer in mid-click.
    verdict.setAttribute("aria-busy", "true");
    let v;
    try {
      v = await python.call(`${PAGE}.predict`, { settings: readSettings() });
    } catch (error) {
      verdict.removeAttribute("aria-busy");
      if (ticket === asked) verdict.textContent = error instanceof PythonStopped ? "" : `The solver failed: ${error.message}`;
      return;
    }
    if (ticket !== asked) return;
    showVerdict(v);
  };
  const showVerdict = (v) => {
    verdict.removeAttribute("aria-busy");
    if (v.error) {
      verdict.textContent = `No verdict: ${v.error}`;
      root.dataset.verdict = "invalid";
      if (v.setting === "art") showArtError(v.error);
      return;
    }
    root.dataset.verdict = v.hack_possible ? "hack" : "no-hack";
    verdict.textContent = verdictText(v, digits);
    solverGrids.replaceChildren(
      ...v.policies.flatMap((p) =>
        p.grids.map((g) => board(g.rows, `${p.name}: ${g.label} (observed ${num(p.observed, digits)}, hidden ${num(p.hidden, digits)})`, { policy: true, under: g.under })),
      ),
    );
  };
  const clearErrors = () => {
    for (const c of controls.values()) {
      c.message.textContent = "";
      c.input.removeAttribute("aria-invalid");
    }
  };
  root.querySelector("form").addEventListener("change", (event) => {
    if (event.target === presetSelect) {
      if (presetSelect.value) applyPreset(presetSelect.value);
    } else presetSelect.value = "";
    clearErrors();
    if (!running) askSolver();
  });

  applyButton.addEventListener("click", async () => {
    if (running) return;
    const ticket = ++asked;
    clearErrors();
    const before = art;
    verdict.setAttribute("aria-busy", "true");
    let result;
    try {
      result = await python.call(`${PAGE}.edit_level`, { settings: { ...readSettings(), art: artBox.value } });
    } catch (error) {
      verdict.removeAttribute("aria-busy");
      if (!(error instanceof PythonStopped)) showArtError(`Could not check the level: ${error.message}`);
      return;
    }
    if (ticket !== asked) return;
    verdict.removeAttribute("aria-busy");
    if (result.error) {
      // The level in play stays as it was; only the box keeps the reader's text.
      root.dataset.levelEdit = "refused";
      if (result.setting === "art") showArtError(result.error);
      else refuse(result);
      return;
    }
    showLevel(result.art, result.rows);
    if (result.art !== before) presetSelect.value = "";
    root.dataset.levelEdit = "applied";
    showVerdict(result.verdict);
  });
  resetButton.addEventListener("click", () => {
    if (running) return;
    const changed = art !== "";
    showLevel("", null);
    root.dataset.levelEdit = "reset";
    if (changed) presetSelect.value = "";
    askSolver();
  });

  // ---- training ----
  let running = false;
  const run = trainingRun({ python, root, status, trainButton, stopButton });
  const setRunning = (busy) => {
    running = busy;
    run.busy(busy);
    if (busy) seedsButton.setAttribute("aria-disabled", "true");
    else seedsButton.removeAttribute("aria-disabled");
    for (const c of controls.values()) c.input.disabled = busy;
    presetSelect.disabled = busy;
    artBox.readOnly = busy;
    markBusy(applyButton, busy);
    markBusy(resetButton, busy);
  };
  const refuse = (result) => {
    root.dataset.state = "invalid";
    status.dataset.kind = "error";
    status.textContent = `Not trained: ${result.error}`;
    if (result.setting === "art") return showArtError(result.error);
    const c = controls.get(result.setting);
    if (c) {
      c.message.textContent = result.error;
      c.input.setAttribute("aria-invalid", "true");
      c.field.closest("details")?.setAttribute("open", "");
      c.input.focus();
    }
  };
  const hackWords = (e) => (e.hacks ? "it games the reward" : "it does not game the reward");
  const showLearned = (e, final) => {
    learned.hidden = false;
    learned.replaceChildren(
      el("h4", { text: final ? "The learned greedy policy" : "The greedy policy at the last checkpoint" }),
      el("p", {
        class: "rh-learned__summary",
        "data-hacks": String(e.hacks),
        text: `Exact values over 100 steps: observed return ${num(e.greedy_observed, digits)}, hidden performance ${num(e.greedy_hidden, digits)}: ${hackWords(e)}.`,
      }),
      el("div", { class: "rh-grids" }, ...e.grids.map((g) => board(g.rows, `Learned: ${g.label}`, { policy: true, under: g.under }))),
    );
  };

  trainButton.addEventListener("click", async () => {
    if (running) return;
    clearErrors();
    status.removeAttribute("data-kind");
    const settings = readSettings();
    curve = [];
    redraw(settings.episodes);
    replayBox.hidden = true;
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
          status.textContent = `Training… ${count(event.episodes_done)} of ${count(event.episodes)} episodes (ε = ${event.epsilon.toFixed(3)})`;
          redraw(event.episodes);
          showLearned(event, false);
        },
      });
      if (result.error) {
        setRunning(false);
        refuse(result);
        return;
      }
      curve = result.curve;
      redraw(result.settings.episodes);
      const final = { ...result.curve.at(-1), hacks: result.hacks, grids: result.grids };
      showLearned(final, true);
      showReplay(result.replay);
      root.dataset.state = "done";
      root.dataset.hacks = String(result.hacks);
      status.textContent = `Done: ${count(result.episodes_done)} episodes; ${hackWords(final)}.`;
    } catch (error) {
      run.ended(error, () => {
        status.textContent = last
          ? `Stopped after ${count(last.episodes_done)} of ${count(last.episodes)} episodes; the curves and policy shown are the last checkpoint's.`
          : "Stopped before the first checkpoint: nothing was learned.";
      });
    } finally {
      setRunning(false);
    }
  });

  // ---- several seeds ----
  seedsButton.addEventListener("click", async () => {
    if (running) return;
    clearErrors();
    const settings = readSettings();
    setRunning(true);
    run.start();
    const rows = [];
    const table = () => {
      const body = el("tbody", {}, ...rows.map((r) => el("tr", {}, el("th", { scope: "row", text: String(r.seed) }), el("td", { text: num(r.observed, digits) }), el("td", { text: num(r.hidden, digits) }), el("td", { text: r.hacks ? "hacks" : "honest" }))));
      return labelColumns(
        el(
          "table",
          { class: "rh-seeds" },
          el("caption", { text: "Greedy policy after training, per seed (exact 100-step values)" }),
          el("thead", {}, el("tr", {}, ...["seed", "observed", "hidden", "verdict"].map((t) => el("th", { scope: "col", text: t })))),
          body,
        ),
      );
    };
    seedsBox.replaceChildren(el("p", { text: "Training seeds 0 to 9 with these settings…" }));
    try {
      const result = await python.call(`${PAGE}.seeds_page`, { settings, seeds: 10 }, {
        onProgress: (run) => {
          rows.push(run);
          bar.value = run.done / run.seeds;
          seedsBox.replaceChildren(el("p", { text: `${run.done} of ${run.seeds} seeds trained…` }), table());
        },
      });
      if (result.error) {
        setRunning(false);
        refuse(result);
        seedsBox.replaceChildren();
        return;
      }
      root.dataset.state = "done";
      seedsBox.dataset.hacks = String(result.hacks);
      seedsBox.replaceChildren(
        el("p", { class: "rh-seeds__summary", text: `${result.hacks} of ${result.seeds} seeds learned to game the reward.` }),
        table(),
      );
      status.textContent = `Done: ${result.seeds} seeds.`;
    } catch (error) {
      root.dataset.state = error instanceof PythonStopped || run.stopped ? "stopped" : "error";
      seedsBox.append(el("p", { text: run.stopped ? "Stopped; the seeds above finished." : `Failed: ${error.message}` }));
    } finally {
      setRunning(false);
    }
  });

  // ---- replay ----
  let timer = null;
  function showReplay(replay) {
    clearInterval(timer);
    replayBox.hidden = false;
    const frames = replay.frames;
    const slider = el("input", { type: "range", min: 0, max: frames.length - 1, value: 0, id: `rh-${level}-step`, class: "rh-slider" });
    const playButton = el("button", { type: "button", class: "md-button rh-play", text: "▶ Play" });
    const view = el("div", { class: "rh-replay__view" });
    const caption = el("p", { class: "rh-replay__caption" });
    const show = (i) => {
      const f = frames[i];
      slider.value = String(i);
      const differs = f.board.join("") !== f.observed_board.join("");
      view.replaceChildren(board(f.board, "As it is"), ...(differs ? [board(f.observed_board, "As the agent sees it")] : []));
      caption.textContent = `Step ${f.step} of ${frames.length - 1}: observed return so far ${num(f.observed, digits)}, hidden performance so far ${num(f.hidden, digits)}.`;
    };
    const stop = () => {
      clearInterval(timer);
      timer = null;
      playButton.textContent = "▶ Play";
    };
    playButton.addEventListener("click", () => {
      if (timer) return stop();
      if (Number(slider.value) >= frames.length - 1) show(0);
      playButton.textContent = "❚❚ Pause";
      timer = setInterval(() => {
        const next = Number(slider.value) + 1;
        if (next >= frames.length || !root.isConnected) return stop();
        show(next);
      }, 120);
    });
    slider.addEventListener("input", () => {
      stop();
      show(Number(slider.value));
    });
    const who = replay.supervised === undefined ? "" : replay.supervised ? " The supervisor watched this episode." : " The supervisor was absent this episode.";
    replayBox.replaceChildren(
      el("h4", { text: "Replay: one greedy episode" }),
      el("p", { text: `The learned policy, acting greedily for one episode.${who}` }),
      el("div", { class: "rh-actions" }, playButton, el("label", { for: slider.id, text: "Step" }), slider),
      caption,
      view,
    );
    show(0);
  }

  root.dataset.state = "ready";
  redraw(base.episodes);
  askSolver();
}

export function mountRewardLabs(article, python) {
  for (const root of article.querySelectorAll('[data-python="reward-lab"]')) mountRewardLab(root, python);
}
