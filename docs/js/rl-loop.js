// "RL under the hood" (docs/blackjack/under-the-hood.md): the agent-environment loop
// replayed on a real hand, the Q-learning update of each step with its numbers, and
// a run without exploration for contrast. All RL happens in Python
// (saferlhub/blackjack/lesson.py); this file only renders what it returns.
//
// Roots: [data-python="rl-loop"] and [data-python="rl-exploration"]; each has
// data-state = loading | ready | running | done | stopped | error, for tests and styles.

import { PythonStopped } from "./python-client.js";
import { count, el, fmt, labelColumns, markBusy } from "./dom.js";

const LESSON = "saferlhub.blackjack.lesson";
const PHASES = ["state", "decide", "act", "reward"];
// Which parts of the diagram light up in each phase.
const ACTIVE = {
  state: ["env", "state"],
  decide: ["agent"],
  act: ["action", "env"],
  reward: ["reward", "agent"],
};
const PLAY_MS = 1100;

const signed = (x, digits = 4) => (x < 0 ? "− " : "+ ") + Math.abs(x).toFixed(digits);
const card = (c) => (c === 1 ? "A" : String(c));
const total = (cards) => {
  const sum = cards.reduce((a, b) => a + b, 0);
  return cards.includes(1) && sum + 10 <= 21 ? sum + 10 : sum;
};
// A Q-value in [-1, 1] as a bar from the middle (0) of its track.
const bar = (q) => {
  const x = Math.max(-1, Math.min(1, q));
  return `--left: ${50 + Math.min(0, x) * 50}%; --w: ${Math.abs(x) * 50}%`;
};
const stateText = ([sum, dealer, usable]) =>
  `(${sum}, ${card(dealer)}, ${usable ? "usable ace" : "no usable ace"})`;

function failed(root, status, error) {
  if (error instanceof PythonStopped) {
    root.dataset.state = "stopped";
    status.textContent = "Python was stopped. Press the button again to start afresh.";
  } else {
    root.dataset.state = "error";
    status.textContent = `Python failed: ${error.message}`;
  }
}

// ---- the loop -----------------------------------------------------------------

function diagram() {
  const part = (name, cls, ...children) => el("div", { class: cls, "data-part": name }, ...children);
  const valueOf = (name) => el("span", { class: "rl-diagram__value", "data-value": name, text: "–" });
  return el(
    "div",
    { class: "rl-diagram", role: "img", "aria-label": "The agent-environment loop" },
    part("agent", "rl-box rl-box--agent", el("strong", { text: "Agent" }), el("small", { text: "Q-table, greedy" })),
    el(
      "div",
      { class: "rl-diagram__arrows" },
      part("action", "rl-arrow rl-arrow--right", el("span", { text: "action A" }), valueOf("action")),
      part("state", "rl-arrow rl-arrow--left", el("span", { text: "state S" }), valueOf("state")),
      part("reward", "rl-arrow rl-arrow--left", el("span", { text: "reward R" }), valueOf("reward")),
    ),
    part("env", "rl-box rl-box--env", el("strong", { text: "Environment" }), el("small", { text: "Blackjack-v1" })),
  );
}

function cardRow(cards, hidden = 0) {
  const row = el("span", { class: "rl-cards" });
  for (const c of cards) row.append(el("span", { class: "rl-card", text: card(c) }));
  for (let i = 0; i < hidden; i++) row.append(el("span", { class: "rl-card rl-card--hidden", text: "?", "aria-label": "face down" }));
  return row;
}

function workedExample(w) {
  const v = (name, x, text) => el("span", { class: `rl-w rl-w--${name}`, "data-value": String(x), text: text ?? fmt(x) });
  const box = el("div", { class: "rl-worked", "data-terminated": String(w.terminated) });
  box.append(el("p", { class: "rl-worked__title", text: `Q-learning update for s = ${stateText(w.observation)}, a = ${w.action_name}` }));
  const target = el("p", { class: "rl-worked__line" }, "target = r");
  if (w.terminated) {
    target.append(" = ", v("r", w.reward), " ", el("small", { text: "(the hand is over: no next state, the target is the reward alone)" }));
    target.append(" → target = ", v("target", w.target));
  } else {
    const nxt = `(${w.next_observation.join(", ")})`;
    target.append(
      " + γ · max Q(s′, a′) = ",
      v("r", w.reward),
      " + ",
      v("gamma", w.gamma, fmt(w.gamma, 2)),
      " × max(",
      v("next-stick", w.next_q[0]),
      ", ",
      v("next-hit", w.next_q[1]),
      ") = ",
      v("r2", w.reward),
      " + ",
      v("gamma2", w.gamma, fmt(w.gamma, 2)),
      " × ",
      v("maxq", w.max_next_q),
      " = ",
      v("target", w.target),
      " ",
      el("small", { text: `(s′ = ${nxt})` }),
    );
  }
  const update = el(
    "p",
    { class: "rl-worked__line" },
    "new Q = Q + α · (target − Q) = ",
    v("qold", w.q_old),
    " + ",
    v("alpha", w.alpha),
    " × (",
    v("target2", w.target),
    " − ",
    v("qold2", w.q_old),
    ") = ",
    v("qnew", w.q_new),
  );
  const note = el("p", {
    class: "rl-worked__note",
    text:
      `The TD error is ${fmt(w.td_error)}: Q(s, ${w.action_name}) moves ${signed(w.q_new - w.q_old)} ` +
      "towards the target. (Shown, not applied: the replay leaves the trained table as it is.)",
  });
  box.append(target, update, note);
  return box;
}

function mountLoop(root, python) {
  root.replaceChildren();
  root.dataset.state = "loading";
  let data = null;
  let frame = -1;
  let timer = null;
  let handSeed = 0;
  let busy = false;

  const preset = el("select", { id: "rl-preset" });
  for (const [value, label] of [
    ["quick look", "quick look (10,000 hands)"],
    ["default", "default (100,000 hands)"],
  ]) preset.append(el("option", { value, text: label }));
  const newHand = el("button", { type: "button", class: "md-button rl-new", text: "New hand" });
  const stepButton = el("button", { type: "button", class: "md-button rl-step", text: "Step ▸" });
  const play = el("button", { type: "button", class: "md-button md-button--primary rl-play", text: "▶ Play", "aria-pressed": "false" });
  const controls = el(
    "div",
    { class: "rl-controls" },
    el("label", { for: "rl-preset", text: "Agent trained with " }),
    preset,
    newHand,
    stepButton,
    play,
  );
  const status = el("p", { class: "rl-status", role: "status", text: "Waiting for Python…" });
  const dia = diagram();
  const table = el("div", { class: "rl-table" });
  const narration = el("p", { class: "rl-narration", "aria-live": "polite" });
  const qBox = el("div", { class: "rl-q" });
  const worked = el("div", { class: "rl-worked-slot", "aria-live": "polite" });
  root.append(controls, status, el("div", { class: "rl-stage" }, dia, table), narration, qBox, worked);

  const setValue = (name, text) => (dia.querySelector(`[data-value="${name}"]`).textContent = text);
  const frames = () => (data ? data.hand.steps.length * PHASES.length : 0);

  function enable() {
    const n = frames();
    const focused = document.activeElement;
    markBusy(newHand, busy); // stays focusable while a hand is dealt
    preset.disabled = busy;
    stepButton.disabled = busy || !data || frame >= n - 1;
    play.disabled = busy || !data || (frame >= n - 1 && !timer);
    // A control that has just been disabled would drop the focus to the page's body.
    if (focused?.disabled && root.contains(focused)) newHand.focus();
  }

  function stopPlaying() {
    clearInterval(timer);
    timer = null;
    play.textContent = "▶ Play";
    play.setAttribute("aria-pressed", "false");
  }

  function render() {
    const hand = data.hand;
    const steps = hand.steps;
    const i = Math.floor(frame / PHASES.length);
    const phase = PHASES[frame % PHASES.length];
    const step = steps[i];
    const last = i === steps.length - 1;
    root.dataset.frame = String(frame);
    root.dataset.step = String(i);
    root.dataset.phase = phase;
    root.dataset.last = String(last && phase === "reward");
    for (const node of dia.querySelectorAll("[data-part]")) {
      node.classList.toggle("is-active", ACTIVE[phase].includes(node.dataset.part));
    }
    const after = PHASES.indexOf(phase) >= 2;
    const playerCards = after && step.card !== null ? [...step.player_cards, step.card] : step.player_cards;
    const dealerShown = after && last ? hand.dealer_cards : [hand.dealer_up];
    const hidden = after && last ? 0 : 1;
    setValue("state", `(${step.observation[0]}, ${card(step.observation[1])}, ${step.observation[2] ? "ace" : "no ace"})`);
    setValue("action", PHASES.indexOf(phase) >= 1 ? step.action_name : "–");
    setValue("reward", after ? fmt(step.reward, 1) : "–");
    table.replaceChildren(
      el("div", { class: "rl-hand" }, el("span", { class: "rl-hand__who", text: "Dealer" }), cardRow(dealerShown, hidden),
        el("span", { class: "rl-hand__sum", text: hidden ? "" : `= ${total(dealerShown)}` })),
      el("div", { class: "rl-hand" }, el("span", { class: "rl-hand__who", text: "Player" }), cardRow(playerCards),
        el("span", { class: "rl-hand__sum", text: `= ${total(playerCards)}` })),
      el("p", { class: "rl-hand__step", text: `Decision ${i + 1} of ${steps.length} · ${phase}` }),
    );
    const [qs, qh] = step.q;
    const sentences = {
      state: `The environment shows the agent the state S = ${stateText(step.observation)}: the player's sum, the dealer's face-up card, and whether an ace counts as 11.`,
      decide: `The agent reads its table: Q(S, stick) = ${fmt(qs)}, Q(S, hit) = ${fmt(qh)}. It picks ${step.action_name}, the higher estimate${qs === qh ? " (a tie goes to stick)" : ""}.`,
      act:
        step.action_name === "hit"
          ? `Hit: the environment deals a ${card(step.card)}; the sum is now ${total(playerCards)}${total(playerCards) > 21 ? ": bust" : ""}.`
          : `Stick: the dealer turns the hidden card and draws to 17: ${hand.dealer_cards.map(card).join(", ")} = ${total(hand.dealer_cards)}.`,
      reward: step.terminated
        ? `Reward R = ${fmt(step.reward, 1)} (${hand.outcome.replace("_", " ")}): the hand is over. Q-learning would now update Q(S, ${step.action_name}) as below.`
        : `Reward R = ${fmt(step.reward, 1)}: the hand goes on from S′ = ${stateText(steps[i + 1].observation)}. Q-learning would now update Q(S, hit) as below.`,
    };
    narration.textContent = sentences[phase];
    qBox.replaceChildren();
    if (phase !== "state") {
      for (const [k, name] of [[0, "stick"], [1, "hit"]]) {
        qBox.append(
          el("div", { class: `rl-q__row${step.action === k ? " is-chosen" : ""}`, "data-action": name },
            el("span", { text: `Q(S, ${name})` }),
            el("span", { class: "rl-q__bar", style: bar(step.q[k]), "aria-hidden": "true" }),
            el("span", { class: "rl-q__value", text: fmt(step.q[k]) })),
        );
      }
    }
    if (phase === "reward") worked.replaceChildren(workedExample(step.update));
    else if (frame === 0 || (phase === "state" && i === 0)) worked.replaceChildren(
      el("p", { class: "rl-worked__wait", text: "The update of each step appears when its reward arrives." }));
    enable();
  }

  function advance() {
    if (!data || frame >= frames() - 1) {
      stopPlaying();
      enable();
      return;
    }
    frame += 1;
    render();
    if (frame >= frames() - 1) stopPlaying(), enable();
  }

  async function deal() {
    stopPlaying();
    busy = true;
    enable();
    root.dataset.state = "running";
    status.textContent = `Training an agent (${preset.value}) in Python, then dealing hand ${handSeed}…`;
    try {
      data = await python.call(`${LESSON}.replay_hand`, { preset: preset.value, seed: 0, hand_seed: handSeed });
    } catch (error) {
      busy = false;
      failed(root, status, error);
      enable();
      return;
    }
    busy = false;
    frame = 0;
    root.dataset.state = "ready";
    root.dataset.handSeed = String(handSeed);
    status.textContent =
      `Agent trained for ${count(data.episodes)} hands (exact gap to optimal play ${fmt(data.gap)} per hand), ` +
      `learning rate now α = ${fmt(data.alpha)}, γ = ${fmt(data.gamma, 2)}. Hand #${handSeed}: ` +
      `${data.hand.steps.length} decision${data.hand.steps.length > 1 ? "s" : ""}.`;
    render();
  }

  newHand.addEventListener("click", () => {
    if (busy) return;
    handSeed += 1;
    deal();
  });
  preset.addEventListener("change", () => deal());
  stepButton.addEventListener("click", () => {
    stopPlaying();
    advance();
  });
  play.addEventListener("click", () => {
    if (timer) return stopPlaying(), enable();
    play.textContent = "❚❚ Pause";
    play.setAttribute("aria-pressed", "true");
    timer = setInterval(advance, PLAY_MS);
    advance();
  });
  root.addEventListener("keydown", (event) => {
    if (event.target.closest("select")) return;
    if (event.key === "ArrowRight" && !stepButton.disabled) {
      event.preventDefault();
      stepButton.click();
    }
  });
  enable();
  python.ready.then(() => deal(), (error) => failed(root, status, error));
}

// ---- exploration contrast -------------------------------------------------------

// What each run of lesson.exploration_contrast changes, for a reader.
const CONTRAST_LABELS = {
  explore: "ε-greedy, Q starts at 0 (the preset)",
  greedy_pessimistic: "ε = 0, Q starts at −1 (pessimistic)",
  explore_pessimistic: "ε-greedy, Q starts at −1",
  greedy_zero: "ε = 0, Q starts at 0 (optimistic here)",
  greedy_optimistic: "ε = 0, Q starts at +1 (very optimistic)",
};

function mountContrast(root, python) {
  root.replaceChildren();
  root.dataset.state = "ready";
  const run = el("button", { type: "button", class: "md-button md-button--primary rl-contrast-run", text: "▶ Train all" });
  const status = el("p", {
    class: "rl-status",
    role: "status",
    text: "Five versions of the default run (100,000 hands each), each trained with seeds 0 to 4: 25 runs, about half a minute.",
  });
  const bar = el("progress", { class: "rl-contrast-progress", max: "1", value: "0", "aria-label": "Runs finished", hidden: "" });
  const out = el("div", { class: "rl-contrast-out", "aria-live": "polite" });
  root.append(el("div", { class: "rl-controls" }, run), status, bar, out);

  const range = (r) => `${fmt(r.gap_mean)} (${fmt(r.gap_min)} to ${fmt(r.gap_max)})`;
  const mean = (x) => (Number.isInteger(x) ? count(x) : x.toFixed(1));

  function row(r, pairs) {
    return el(
      "tr",
      { "data-run": r.name },
      el("th", { scope: "row", text: CONTRAST_LABELS[r.name] ?? r.name }),
      el("td", { class: "rl-c-gap", "data-value": String(r.gap_mean), text: range(r) }),
      el("td", { class: "rl-c-untried", "data-value": String(r.never_tried_mean), text: `${mean(r.never_tried_mean)} of ${count(pairs)}` }),
      el("td", { class: "rl-c-differs", "data-value": String(r.policy_differs_mean), text: mean(r.policy_differs_mean) }),
    );
  }

  let running = false;
  run.addEventListener("click", async () => {
    if (running) return;
    running = true;
    markBusy(run, true); // marked, not disabled: the focus stays on the button
    root.dataset.state = "running";
    out.replaceChildren();
    bar.hidden = false;
    bar.value = 0;
    status.textContent = "Training…";
    let result;
    try {
      result = await python.call(`${LESSON}.exploration_contrast`, { preset: "default" }, {
        onProgress: (event) => {
          bar.value = event.done / event.total;
          status.textContent = `Training run ${event.done + 1} of ${event.total}: ${CONTRAST_LABELS[event.stage] ?? event.stage}, seed ${event.seed}…`;
        },
      });
    } catch (error) {
      running = false;
      markBusy(run, false);
      bar.hidden = true;
      failed(root, status, error);
      return;
    }
    running = false;
    markBusy(run, false);
    bar.hidden = true;
    const by = Object.fromEntries(result.runs.map((r) => [r.name, r]));
    const seeds = result.seeds;
    const { explore, greedy_pessimistic: stuck, greedy_zero: zero, greedy_optimistic: optimistic } = by;
    const summary = [
      `Starting from a pessimistic Q = −1 without exploration, the agent never tries hitting: ${mean(stuck.never_tried_mean)} of ${count(result.pairs)} state-action pairs are never tried and its gap is ${fmt(stuck.gap_mean)} per hand, against ${fmt(explore.gap_mean)} for the preset.`,
      `Without exploration but starting from 0 or +1, far fewer pairs go untried (${mean(zero.never_tried_mean)} and ${mean(optimistic.never_tried_mean)}): every estimate that disappoints sends the agent to the other action, so optimistic initial values make a greedy agent explore.`,
      zero.gap_max < explore.gap_min
        ? "Here the ε = 0 run from Q = 0 even beats the exploring one on every seed."
        : `Over seeds ${seeds[0]} to ${seeds[seeds.length - 1]} its gap ranges from ${fmt(zero.gap_min)} to ${fmt(zero.gap_max)}, against ${fmt(explore.gap_min)} to ${fmt(explore.gap_max)} with exploration.`,
    ];
    out.replaceChildren(
      el(
        "div",
        { class: "rl-table-scroll", tabindex: "0", role: "region", "aria-label": "Exploration contrast results" },
        labelColumns(el(
          "table",
          { class: "rl-contrast" },
          el("caption", { text: `Exact gap to optimal play (mean over seeds ${seeds.join(", ")}, with the range), state-action pairs never tried and decisions that differ from optimal (means), for ${count(result.pairs / 2)} reachable states.` }),
          el("thead", {}, el("tr", {}, ...["run", "gap to optimal", "pairs never tried", "decisions ≠ optimal"].map((t) => el("th", { scope: "col", text: t })))),
          el("tbody", {}, ...result.runs.map((r) => row(r, result.pairs))),
        )),
      ),
      el("p", { class: "rl-contrast-summary", text: summary.join(" ") }),
    );
    status.textContent = `Optimal play is worth ${fmt(result.optimal_value)} per hand (exact, by dynamic programming).`;
    root.dataset.state = "done";
  });
}

export function mountRlLoop(article, python) {
  const loop = article.querySelector('[data-python="rl-loop"]');
  if (loop) mountLoop(loop, python);
  const contrast = article.querySelector('[data-python="rl-exploration"]');
  if (contrast) mountContrast(contrast, python);
}
