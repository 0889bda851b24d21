// "Proxy rewards in Blackjack" (docs/reward-hacking/blackjack-proxies.md): a table of
// the policy that is best for each reward, scored exactly under the game's payoffs,
// and a button that trains the learner on each proxy. The numbers come from
// saferlhub/reward_hacking/proxy_rewards.py; this file only lays them out.

import { PythonStopped } from "./python-client.js";
import { el, labelColumns } from "./dom.js";

const MODULE = "saferlhub.reward_hacking.proxy_rewards";
const signed = (x) => (x < 0 ? "−" : x > 0 ? "+" : "") + Math.abs(x).toFixed(3);
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const LABELS = { game: "the game's payoffs", "avoid busting": "avoid busting (proxy)", "blame only busts": "blame only busts (proxy)" };

function table(caption, rows, firstHeader) {
  const head = [firstHeader, "reward it is optimised for, per hand", "true value (game payoff) per hand", "win", "draw", "loss", "bust"];
  return labelColumns(
    el(
      "table",
      { class: "rh-proxies" },
      el("caption", { text: caption }),
      el("thead", {}, el("tr", {}, ...head.map((t) => el("th", { scope: "col", text: t })))),
      el(
        "tbody",
        {},
        ...rows.map((r) =>
          el(
            "tr",
            { "data-reward": r.reward },
            el("th", { scope: "row", text: LABELS[r.reward] }),
            el("td", { text: signed(r.proxy_value) }),
            el("td", { class: "rh-proxies__true", text: signed(r.true_value) }),
            ...["win", "draw", "loss", "bust"].map((k) => el("td", { text: pct(r[k]) })),
          ),
        ),
      ),
    ),
  );
}

export async function mountRewardProxies(root, python) {
  if (root.dataset.mounted) return;
  root.dataset.mounted = "true";
  root.dataset.state = "loading";
  root.replaceChildren(el("p", { class: "rh-status", text: "Solving Blackjack for each reward in Python…" }));
  let report;
  try {
    await python.ready;
    report = await python.call(`${MODULE}.proxy_report`);
  } catch (error) {
    root.dataset.state = "error";
    root.replaceChildren(el("p", { class: "rh-status", "data-kind": "error", text: `Could not solve: ${error.message}` }));
    return;
  }
  const button = el("button", { type: "button", class: "md-button md-button--primary rh-train", text: "▶ Train on both proxies (100,000 hands each)" });
  const stop = el("button", { type: "button", class: "md-button rh-stop", text: "■ Stop", disabled: true });
  const status = el("p", { class: "rh-status", role: "status" });
  const learned = el("div", { class: "rh-proxies__learned" });
  root.replaceChildren(
    table("Exact: the best policy for each reward, scored under both", report.rows, "best policy for"),
    el("div", { class: "rh-actions" }, button, stop),
    status,
    learned,
  );
  root.dataset.state = "ready";
  let running = false;
  button.addEventListener("click", async () => {
    if (running) return;
    running = true;
    button.setAttribute("aria-disabled", "true");
    stop.disabled = false;
    root.dataset.state = "running";
    const rows = [];
    try {
      for (const name of ["avoid busting", "blame only busts"]) {
        status.textContent = `Training on “${name}”…`;
        rows.push(await python.call(`${MODULE}.train_on_proxy`, { name, episodes: 100000, seed: 0 }));
        learned.replaceChildren(table("Learned (seed 0): the agent's greedy policy after 100,000 hands, scored exactly", rows, "trained on"));
      }
      status.textContent = "Done: both agents trained.";
      root.dataset.state = "done";
    } catch (error) {
      root.dataset.state = error instanceof PythonStopped ? "stopped" : "error";
      status.textContent = error instanceof PythonStopped ? "Stopped." : `Training failed: ${error.message}`;
    } finally {
      running = false;
      button.removeAttribute("aria-disabled");
      stop.disabled = true;
    }
  });
  stop.addEventListener("click", () => python.stop());
}
