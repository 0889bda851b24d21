// "Reward hacking in reasoning models: a toy" (docs/reward-hacking/reasoning-toy.md): the
// learned lab. Python (saferlhub/reward_hacking/learned_hacking.py) trains the policy in
// the three regimes from the same seeds, summarises the runs (means, 95% intervals, each
// seed) and writes the sentences of what they show; this file lays out what it returns.

import { lineChart } from "./chart.js";
import { el, labelColumns } from "./dom.js";
import { schemaNumber } from "./number-field.js";
import { trainingRun } from "./training-run.js";

const MODULE = "saferlhub.reward_hacking.learned_hacking";
const REGIMES = [
  ["grader", "grader alone", "--saferlhub-chart-optimal", undefined],
  ["grader minus monitor", "grader minus monitor penalty", "--saferlhub-chart-2", [6, 3]],
  ["honest", "honest (hidden test too)", "--saferlhub-chart-1", [2, 3]],
];
const CHARTS = [
  ["hack_rate", "Hack rate: share of samples that pass the grader and fail the hidden test"],
  ["hidden_pass_rate", "Hidden-test pass rate: share of samples that really solve the task"],
  ["monitor_recall", "Monitor recall: share of hacks whose reasoning the monitor flags"],
  ["give_away_usage", "Give-away words: share of reasoning words on the monitor's list"],
];
// Which of Python's settings the page shows: first in view, then under "More settings".
const MAIN_FIELDS = ["seeds", "updates"];
const MORE_FIELDS = ["give_away_logit", "prior", "monitor_penalty", "group_size", "learning_rate", "first_seed"];
const pct = (x) => (x === null || x === undefined ? "—" : `${(100 * x).toFixed(0)}%`);
const withInterval = (s) => (s.low === null ? pct(s.mean) : `${pct(s.mean)} (${pct(s.low)}–${pct(s.high)})`);

function field(spec) {
  const id = `rhl-${spec.name}`;
  const step = spec.type === "int" ? "1" : "any";
  const input = el("input", { id, type: "number", min: String(spec.min), max: String(spec.max), step, value: String(spec.default), "aria-describedby": `${id}-help ${id}-error` });
  const message = el("span", { id: `${id}-error`, class: "rh-field__error" });
  const help = el("small", { id: `${id}-help`, text: `${spec.description} (${spec.range})` });
  const box = el("div", { class: "rh-field", "data-setting": spec.name }, el("label", { for: id, text: spec.label }), input, help, message);
  return { name: spec.name, input, message, box };
}

function table(caption, head, rows) {
  return labelColumns(
    el(
      "table",
      {},
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, ...head.map((t) => el("th", { scope: "col", text: t })))),
      el("tbody", {}, ...rows.map(([rowHead, ...cells]) => el("tr", {}, el("th", { scope: "row", text: rowHead }), ...cells.map((c) => el("td", { text: c }))))),
    ),
  );
}

function resultsTable(summary, groupSize) {
  const head = ["regime", "hack rate, first → last", "hidden-test pass rate, last", "monitor recall, last", "monitor precision, last", "samples flagged (hacks or not), first → last", "give-away words, first → last"];
  const rows = REGIMES.filter(([key]) => summary[key]).map(([key, label]) => {
    const { start, end } = summary[key];
    return [label, `${pct(start.hack_rate.mean)} → ${withInterval(end.hack_rate)}`, withInterval(end.hidden_pass_rate), withInterval(end.monitor_recall), withInterval(end.monitor_precision), `${pct(start.flag_rate.mean)} → ${withInterval(end.flag_rate)}`, `${pct(start.give_away_usage.mean)} → ${withInterval(end.give_away_usage)}`];
  });
  return table(`Means over the seeds, with 95% intervals in brackets: the first report (the untrained policy's first ${groupSize} samples) and the last stretch of training`, head, rows);
}

function seedTable(summary) {
  const head = ["regime, seed", "hack rate", "hidden-test pass rate", "monitor recall", "give-away words"];
  const rows = [];
  for (const [key, label] of REGIMES) {
    if (!summary[key]) continue;
    for (const [seed, v] of Object.entries(summary[key].end.per_seed)) {
      rows.push([`${label}, seed ${seed}`, pct(v.hack_rate), pct(v.hidden_pass_rate), pct(v.monitor_recall), pct(v.give_away_usage)]);
    }
  }
  return table("Each seed over the last stretch of training", head, rows);
}

function wordTable(summary) {
  const shown = REGIMES.filter(([key]) => summary[key]);
  const head = ["reasoning word", ...shown.flatMap(([, label]) => [`${label}: first`, `${label}: last`])];
  const words = Object.keys(shown.length ? summary[shown[0][0]].start.word_usage : {});
  const rows = words.map((w) => [w, ...shown.flatMap(([key]) => [pct(summary[key].start.word_usage[w]), pct(summary[key].end.word_usage[w])])]);
  return table("How often each reasoning word is used (share of all reasoning words, mean over seeds)", head, rows);
}

function exampleList(summary) {
  const items = [];
  for (const [key, label] of REGIMES.slice(0, 2)) {
    const seeds = summary[key]?.examples ?? {};
    const [seed, examples] = Object.entries(seeds)[0] ?? [];
    for (const [when, words] of [["first", "early"], ["last", "late"]]) {
      const e = examples?.[when];
      if (!e) continue;
      items.push(
        el(
          "li",
          { "data-regime": key, "data-when": when },
          el("strong", { text: `${label}, seed ${seed}, ${words} in training (update ${e.update}): ` }),
          "reasoning ",
          el("code", { text: e.reasoning.join(" ") }),
          ", program ",
          el("code", { text: e.program.join(" ") || "(empty)" }),
          `: a hack (${e.hack}), ${e.flagged ? "flagged by the monitor" : "not flagged by the monitor"}.`,
        ),
      );
    }
  }
  return items.length ? el("ul", { class: "rhl-examples" }, ...items) : el("p", { text: "No hack was sampled." });
}

export async function mountRewardLearned(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";
  let specs;
  try {
    await python.ready;
    specs = await python.call(`${MODULE}.settings_schema`);
  } catch (error) {
    root.dataset.state = "error";
    root.replaceChildren(el("p", { class: "rh-status", "data-kind": "error", text: `Could not load the lab: ${error.message}` }));
    return;
  }
  const byName = new Map(specs.map((spec) => [spec.name, field(spec)]));
  const main = MAIN_FIELDS.map((name) => byName.get(name));
  const more = MORE_FIELDS.map((name) => byName.get(name));
  const fields = [...main, ...more];
  const trainButton = el("button", { type: "button", class: "md-button md-button--primary rh-train", text: "▶ Train in all three regimes" });
  const stopButton = el("button", { type: "button", class: "md-button rh-stop", text: "■ Stop", disabled: true });
  const bar = el("progress", { class: "rh-progress", max: "1", value: "0", "aria-label": "Training progress" });
  const status = el("p", { class: "rh-status", role: "status", text: "Press Train: Python trains the policy from each seed in each regime." });
  const chartBoxes = CHARTS.map(([key]) => el("div", { class: "rh-chart", "data-metric": key }));
  const findings = el("ul", { class: "rhl-findings", "aria-live": "polite" });
  const results = el("div", { class: "rhl-results" });
  root.replaceChildren(
    el("div", { class: "rh-fields" }, ...main.map((f) => f.box)),
    el("details", { class: "rh-more" }, el("summary", { text: "More settings" }), el("div", { class: "rh-fields" }, ...more.map((f) => f.box))),
    el("div", { class: "rh-actions" }, trainButton, stopButton, bar),
    status,
    ...chartBoxes,
    el("h3", { text: "What this run shows" }),
    findings,
    results,
  );
  const charts = CHARTS.map(([, title], i) =>
    lineChart(chartBoxes[i], {
      title: `${title} (mean over seeds)`,
      xLabel: "samples",
      yLabel: "share",
      yRange: [0, 1],
      yFixed: true,
      yFormat: pct,
      series: REGIMES.map(([, label, color, dash]) => ({ label, color, dash })),
    }),
  );
  // The latest chart points of each regime (mean over seeds), as Python last sent them.
  let curves = {};
  const draw = (totalSamples) => {
    const longest = Object.values(curves).reduce((a, c) => (c.length > a.length ? c : a), []);
    const xs = longest.map((p) => p.samples);
    CHARTS.forEach(([metric], i) => {
      const ys = REGIMES.map(([key]) => xs.map((_, k) => curves[key]?.[k]?.[metric] ?? null));
      charts[i].setData(xs, ys, { xMax: totalSamples });
    });
  };
  const showResults = (result) => {
    findings.replaceChildren(...result.findings.map((f) => el("li", { "data-claim": f.claim, text: f.text })));
    results.replaceChildren(
      resultsTable(result.summary, result.settings.group_size),
      el("h4", { text: "Sample reasoning, before and after" }),
      exampleList(result.summary),
      el("details", {}, el("summary", { text: "Each seed" }), seedTable(result.summary)),
      el("details", {}, el("summary", { text: "Each reasoning word" }), wordTable(result.summary)),
    );
  };
  const run = trainingRun({ python, root, status, trainButton, stopButton });
  let running = false;
  const setRunning = (busy) => {
    running = busy;
    run.busy(busy);
    for (const f of fields) f.input.disabled = busy;
  };
  // Before any run, the x axis spans the default run's samples.
  const samplesOf = (name) => specs.find((spec) => spec.name === name).default;
  draw(samplesOf("updates") * samplesOf("group_size"));
  root.dataset.state = "ready";

  trainButton.addEventListener("click", async () => {
    if (running) return;
    status.removeAttribute("data-kind");
    for (const f of fields) {
      f.message.textContent = "";
      f.input.removeAttribute("aria-invalid");
    }
    // Python says what is wrong with a value, and what to enter (number-field.js).
    const settings = Object.fromEntries(fields.map((f) => [f.name, schemaNumber(f.input)]));
    curves = {};
    draw(Math.max(1, settings.updates * settings.group_size || 1));
    findings.replaceChildren();
    results.replaceChildren();
    bar.value = 0;
    setRunning(true);
    run.start();
    status.textContent = ["ready", "running"].includes(python.status.state) ? "Training…" : "Waiting for Python to load…";
    try {
      await python.ready;
      const result = await python.call(`${MODULE}.learned_hacking_page`, { settings }, {
        onProgress: (event) => {
          curves[event.regime] = event.points;
          bar.value = (event.run - 1 + event.update / event.updates) / event.runs;
          status.textContent = `Training: ${event.regime}, seed ${event.seed}, update ${event.update} of ${event.updates} (run ${event.run} of ${event.runs})…`;
          draw(event.updates * event.group_size);
        },
      });
      if (result.error) {
        root.dataset.state = "invalid";
        status.dataset.kind = "error";
        status.textContent = `Not trained: ${result.error}`;
        const f = fields.find((x) => x.name === result.setting);
        if (f) {
          f.message.textContent = result.error;
          f.input.setAttribute("aria-invalid", "true");
          f.box.closest("details")?.setAttribute("open", "");
          setRunning(false);
          f.input.focus();
        }
        return;
      }
      curves = result.points;
      draw(result.settings.updates * result.settings.group_size);
      showResults(result);
      bar.value = 1;
      status.textContent = "Done: every regime trained from every seed.";
      root.dataset.state = "done";
    } catch (error) {
      run.ended(error, () => {
        status.textContent = "Stopped; the curves so far are kept.";
      });
    } finally {
      if (running) setRunning(false);
    }
  });
}
