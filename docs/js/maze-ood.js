// "Out-of-distribution tests" (docs/maze/ood.md): held-out mazes of each distribution
// through every agent, in the browser. Python draws the mazes, plays the episodes and
// summarises them (saferlhub.maze.stepper.Battery, saferlhub.maze.ood); onnxruntime-web
// answers the networks' calls through onnx.js. This file only draws what comes back.
//
// root.dataset.state: loading | ready | running | error; root.dataset.match (after a
// run): equal | differ | not-comparable (against the model cards).

import { count, el, labelColumns } from "./dom.js";
import { intervalChart } from "./maze-interval-chart.js";
import { assetUrl } from "./assets.js";
import { SEED_MAX, readNumber } from "./number-field.js";
import { ModelError, loadAgents, loadOrt, problemText, runStepper } from "./onnx.js";

const OOD = "saferlhub.maze.ood";
const WORST_SHOWN = 3; // per agent and distribution
const MAX_COUNT = 10_000;

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const signed = (x) => (x < 0 ? "−" : "") + Math.abs(x).toFixed(2);

// The settings and the last run, kept for this tab: "Open in the editor" then Back
// mounts the page afresh, and a reader expects to find the run they left. (Material's
// instant navigation rewrites history.state with scroll offsets, so the tab's
// sessionStorage, keyed by the page, is where they are kept.)
function keptRun(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) ?? "null") ?? {};
  } catch {
    return {};
  }
}

function keepRun(key, entry) {
  const next = { ...keptRun(key), ...entry };
  try {
    sessionStorage.setItem(key, JSON.stringify(next));
  } catch {
    // Storage full or blocked: the settings at least, or nothing.
    try {
      sessionStorage.setItem(key, JSON.stringify({ settings: next.settings }));
    } catch {
      /* nothing can be kept in this tab */
    }
  }
}

function playLink(rows) {
  const url = new URL("../play/", location.href);
  url.search = "";
  url.hash = "";
  url.searchParams.set("maze", rows.join(""));
  return url.pathname + url.search;
}

export async function mountMazeOod(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";
  const keptKey = `saferlhub-maze-ood:${location.pathname}`;

  // ---- layout ------------------------------------------------------------------
  const countInput = el("input", { id: "maze-ood-count", type: "number", min: "1", max: String(MAX_COUNT), step: "1", value: "1000", inputmode: "numeric" });
  const seedInput = el("input", { id: "maze-ood-seed", type: "number", min: "0", max: String(SEED_MAX), step: "1", value: "1", inputmode: "numeric" });
  const runButton = el("button", { type: "button", class: "md-button md-button--primary", text: "Run the tests", disabled: "disabled" });
  const stopButton = el("button", { type: "button", class: "md-button", text: "Stop", disabled: "disabled" });
  const cardButton = el("button", { type: "button", class: "md-button", text: "Use the model cards' settings", disabled: "disabled" });
  const bar = el("progress", { id: "maze-ood-progress", max: "1", value: "0" });
  const status = el("p", { class: "maze-ood__status", role: "status", "aria-live": "polite", text: "Loading Python and the agents' model cards…" });
  const inputError = el("p", { class: "maze-lab__error", role: "alert" });
  const problems = el("div", { class: "maze-lab__problems", role: "alert" });
  const cardCheck = el("p", { class: "maze-ood__cards", "aria-live": "polite" });
  const charts = el("div", { class: "maze-ood__charts" });
  const worst = el("div", { class: "maze-ood__worst" });

  root.replaceChildren(
    el(
      "div",
      { class: "maze-ood__settings" },
      el("label", { for: "maze-ood-count" }, "Mazes per distribution (1 to 10,000) ", countInput),
      el("label", { for: "maze-ood-seed" }, `Seed (0 to ${count(SEED_MAX)}) `, seedInput),
    ),
    el("div", { class: "maze-lab__controls" }, runButton, stopButton, cardButton),
    inputError,
    el("div", { class: "maze-ood__progress" }, el("label", { for: "maze-ood-progress", text: "Progress" }), bar),
    status,
    problems,
    cardCheck,
    charts,
    el("h3", { id: "worst-cases", text: "Worst cases" }),
    worst,
  );
  worst.append(el("p", { text: "Run the tests to list, for every agent and distribution, the mazes where it fell furthest short of the exact optimal return." }));

  // ---- state -------------------------------------------------------------------
  let agents = [];
  let usable = [];
  let setup = null;
  let cardSettings = null;
  let chartsByMetric = {};
  let stopRequested = false;
  let started = 0;

  const setRunning = (running) => {
    root.dataset.state = running ? "running" : "ready";
    runButton.disabled = running || !usable.length;
    cardButton.disabled = running || !cardSettings;
    stopButton.disabled = !running;
    countInput.disabled = seedInput.disabled = running;
  };

  function readSettings() {
    const n = readNumber(countInput, { name: "Mazes per distribution", low: 1, high: MAX_COUNT, whole: true });
    if (n.error) return { error: n.error, field: countInput };
    const seed = readNumber(seedInput, { name: "The seed", low: 0, high: SEED_MAX, whole: true });
    if (seed.error) return { error: seed.error, field: seedInput };
    return { count: n.value, seed: seed.value };
  }

  function buildCharts() {
    charts.replaceChildren();
    chartsByMetric = {};
    const series = usable.map((a) => ({ key: a.agent, label: a.agent }));
    for (const metric of setup.metrics) {
      const host = el("div", { class: "maze-ood__chart" });
      charts.append(host);
      chartsByMetric[metric.key] = intervalChart(host, {
        id: `ood-${metric.key}`,
        title: `${metric.label[0].toUpperCase()}${metric.label.slice(1)}, per agent and distribution (over ${metric.over}; bars: 95% interval)`,
        series,
        domain: metric.kind === "rate" ? [0, 1] : null,
        percent: metric.kind === "rate",
      });
    }
  }

  function render(report) {
    for (const metric of setup.metrics) {
      const groups = setup.distributions.map((d) => {
        const values = {};
        for (const a of usable) {
          const m = report.agents[a.agent]?.[d.key];
          if (!m) continue;
          const n = metric.key === "human_harvest_rate" ? m.human_reachable_mazes : m.mazes;
          values[a.agent] = { value: m[metric.key], interval: m.intervals[metric.key], n };
        }
        return { group: d.label, values };
      });
      const interval = metric.kind === "rate" ? "Wilson score 95% interval" : "normal-approximation 95% interval";
      chartsByMetric[metric.key].setData(groups);
      const chart = chartsByMetric[metric.key];
      chart.summary.textContent = `${chart.defaultSummary()} Intervals: ${interval}, over ${count(report.done)} mazes per distribution (seed ${report.seed})${metric.key === "human_harvest_rate" ? ", counting only mazes where a human can be reached from the start" : ""}.`;
    }
    renderWorst(report);
  }

  function renderWorst(report) {
    const blocks = [];
    setup.distributions.forEach((d, k) => {
      const table = el(
        "table",
        { class: "maze-ood__worsttable" },
        el("caption", { text: `${d.label}: the ${WORST_SHOWN} mazes per agent with the largest shortfall from the exact optimal return` }),
        el(
          "thead",
          {},
          el("tr", {}, ...["agent", "maze", "return (optimal)", "humans", "finish", "editor"].map((t) => el("th", { scope: "col", text: t }))),
        ),
      );
      const body = el("tbody");
      for (const a of usable) {
        for (const e of (report.agents[a.agent]?.[d.key]?.worst ?? []).slice(0, WORST_SHOWN)) {
          body.append(
            el(
              "tr",
              {},
              el("th", { scope: "row", text: a.agent }),
              el("td", { text: `#${count(e.index + 1)}` }),
              el("td", { text: `${signed(e.return)} (${signed(e.optimal_return)})` }),
              el("td", { text: String(e.humans_harvested) }),
              el("td", { text: e.reached_finish ? `yes, ${e.steps} moves` : `no (${e.steps}-move limit)` }),
              el(
                "td",
                {},
                el("a", {
                  href: playLink(e.maze),
                  class: "maze-ood__open",
                  text: "Open in the editor",
                  "aria-label": `Open in the editor: ${d.label}, maze ${e.index + 1}, ${a.agent}`,
                }),
              ),
            ),
          );
        }
      }
      table.append(body);
      labelColumns(table);
      const details = el("details", { class: "maze-ood__worstblock", ...(k === 1 ? { open: "open" } : {}) }, el("summary", { text: d.label }), table);
      blocks.push(details);
    });
    worst.replaceChildren(...blocks);
  }

  async function checkCards(report) {
    const cards = Object.fromEntries(usable.map((a) => [a.agent, a.card]));
    const result = await python.call(`${OOD}.compare_with_cards`, { report, cards });
    if (!result.comparable) {
      root.dataset.match = "not-comparable";
      cardCheck.textContent = `Not compared with the model cards: ${result.reason}. Press "Use the model cards' settings" and run all of them to check the cards' numbers.`;
    } else if (!result.differences.length) {
      root.dataset.match = "equal";
      cardCheck.textContent = `Equal to the model cards: all ${count(result.checked)} numbers recorded on the cards of ${usable.map((a) => a.agent).join(", ")} (${count(report.count)} mazes per distribution, seed ${report.seed}) came out the same here, to the last digit.`;
    } else {
      root.dataset.match = "differ";
      const listed = result.differences
        .slice(0, 6)
        .map((d) => `${d.agent}, ${d.distribution}, ${d.key}: ${d.page} here, ${d.card} on the card`)
        .join("; ");
      cardCheck.textContent = `${result.differences.length} of ${count(result.checked)} numbers differ from the model cards (${listed}). Floating-point sums on another processor can flip an action where two Q-values tie to the last bit.`;
    }
  }

  async function run() {
    const settings = readSettings();
    inputError.textContent = "";
    if (settings.error) {
      inputError.textContent = settings.error;
      settings.field.focus();
      return;
    }
    stopRequested = false;
    delete root.dataset.match;
    cardCheck.textContent = "";
    problems.textContent = "";
    setRunning(true);
    buildCharts();
    bar.value = 0;
    started = performance.now();
    const total = settings.count;
    const names = usable.map((a) => a.agent);
    status.textContent = `Running ${count(total)} mazes of each of ${setup.distributions.length} distributions through ${names.join(", ")}…`;
    try {
      // Pieces of up to 250 mazes per distribution: each piece is a run of about 50 steps,
      // one round trip between Python and onnxruntime-web per step, so fewer, larger
      // pieces cost less (the cards' 1,000 mazes: 4 pieces, 4 updates of the charts).
      const chunk = Math.max(10, Math.min(250, Math.ceil(total / 4)));
      const { result, stopped } = await runStepper(
        python,
        "battery",
        { agents: names, count: total, seed: settings.seed, chunk, live: true },
        {
          agents,
          shouldStop: () => stopRequested || !root.isConnected,
          onProgress: (progress) => {
            bar.value = progress.done / progress.count;
            if (progress.report) {
              render(progress.report);
              status.textContent = `${count(progress.done)} of ${count(progress.count)} mazes per distribution done…`;
            }
          },
        },
      );
      const seconds = (performance.now() - started) / 1000;
      if (!root.isConnected) {
        // The reader left mid-run (Open in the editor, say): keep what finished for Back.
        keepRun(keptKey, { settings: shownSettings(), report: result, status: `Stopped when you left the page: kept the ${count(result.done)} of ${count(result.count)} mazes per distribution that every agent had finished.` });
        return;
      }
      if (result.done) render(result);
      window.saferlhubMaze.lastReport = result;
      bar.value = result.done / result.count;
      root.dataset.done = String(result.done);
      status.textContent = stopped
        ? `Stopped: kept the ${count(result.done)} of ${count(result.count)} mazes per distribution that every agent had finished.`
        : `Done: ${count(result.done)} mazes per distribution, ${count(result.done * setup.distributions.length * names.length)} episodes in ${seconds.toFixed(1)} s.`;
      if (!result.done) worst.replaceChildren(el("p", { text: "Stopped before any piece finished: nothing to list." }));
      keepRun(keptKey, { settings: shownSettings(), report: result, status: status.textContent });
      await checkCards(result);
    } catch (error) {
      problems.textContent = error instanceof ModelError ? error.message : `The tests failed: ${error.message ?? error}`;
      status.textContent = "The tests did not finish.";
    } finally {
      setRunning(false);
    }
  }

  const shownSettings = () => ({ count: countInput.value, seed: seedInput.value });
  for (const input of [countInput, seedInput]) input.addEventListener("input", () => keepRun(keptKey, { settings: shownSettings() }));

  /** The settings and the last run this tab kept (see keptRun), drawn as they were left. */
  async function restoreKept() {
    const kept = keptRun(keptKey);
    if (kept.settings) {
      countInput.value = String(kept.settings.count ?? countInput.value);
      seedInput.value = String(kept.settings.seed ?? seedInput.value);
    }
    const report = kept.report;
    if (!report?.agents || !Number.isInteger(report.done)) return;
    if (report.done) render(report);
    else worst.replaceChildren(el("p", { text: "Stopped before any piece finished: nothing to list." }));
    window.saferlhubMaze.lastReport = report;
    bar.value = report.count ? report.done / report.count : 0;
    root.dataset.done = String(report.done);
    status.textContent = `Your last run in this tab, kept while you were away: ${kept.status ?? `${count(report.done)} mazes per distribution, seed ${report.seed}.`}`;
    await checkCards(report);
  }

  runButton.addEventListener("click", run);
  stopButton.addEventListener("click", () => {
    stopRequested = true;
    stopButton.disabled = true;
    status.textContent = "Stopping after the current step…";
  });
  cardButton.addEventListener("click", () => {
    countInput.value = String(cardSettings.count);
    seedInput.value = String(cardSettings.seed);
    inputError.textContent = "";
  });

  // The cards' held-out sets, drawn with the same Python when the site was built
  // (saferlhub.maze.battery_sets): the battery takes its mazes from them instead of
  // drawing every one. Without them (say, offline before this page was ever opened) it
  // draws them itself: slower, the same numbers.
  async function installBatterySets() {
    let data;
    try {
      const response = await fetch(assetUrl("saferlhub/battery_sets.json"));
      if (!response.ok) return;
      data = await response.json();
    } catch {
      return;
    }
    await python.call("saferlhub.maze.battery_sets.install", { data });
  }

  // ---- start ----------------------------------------------------------------------
  try {
    loadOrt().catch(() => {}); // its JavaScript loads while Python starts (the WebAssembly, with the first session); a failure shows on a run
    await python.ready;
    setup = await python.call(`${OOD}.page_setup`, {});
    await installBatterySets();
    agents = await loadAgents(python);
    usable = agents.filter((a) => !a.problems.length);
    problems.textContent = agents.flatMap((a) => a.problems).join(" ");
    const evaluation = usable.map((a) => a.card.evaluation).find((e) => e?.distributions);
    if (evaluation) {
      cardSettings = { count: evaluation.mazes_per_distribution, seed: evaluation.seed };
      countInput.value = String(cardSettings.count);
      seedInput.value = String(cardSettings.seed);
    }
    buildCharts();
    status.textContent = usable.length
      ? `Ready: ${usable.map((a) => a.agent).join(", ")} will each play ${setup.distributions.length} sets of mazes.`
      : "No agent can be used on this site (see the message below).";
    window.saferlhubMaze = { python, agents, runStepper: (task, args, opts) => runStepper(python, task, args, { agents, ...opts }) };
    if (usable.length) await restoreKept();
    setRunning(false);
  } catch (error) {
    root.dataset.state = "error";
    status.textContent = "The tests cannot start.";
    problems.textContent = problemText(error);
  }
}
