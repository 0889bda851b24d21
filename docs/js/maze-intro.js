// "The maze agent" (docs/maze/index.md): the reward table and the exact solver's verdict
// on bad2, fresh training mazes with their invariants, a training maze beside the
// protrusion maze made from it, and every agent playing both, animated. Python
// (saferlhub.maze.intro, saferlhub.maze.stepper) computes everything; onnx.js runs
// the networks; this file draws.
//
// Each part is an element [data-python="maze-intro-<part>"] with data-state
// loading | ready | running | error.

import { el, fmt } from "./dom.js";
import { createBoard } from "./maze-board.js";
import { loadAgents, problemText, runStepper } from "./onnx.js";

const INTRO = "saferlhub.maze.intro";
const STEP_MS = 300;
const key = (r, c) => `${r},${c}`;
const reducedMotion = () => window.matchMedia?.("(prefers-reduced-motion: reduce)").matches;

/** The cells a route visits, from the start. */
function routeCells(route) {
  const moves = { U: [-1, 0], D: [1, 0], L: [0, -1], R: [0, 1] };
  let [r, c] = [0, 0];
  const cells = [[0, 0]];
  for (const letter of route) {
    const [dr, dc] = moves[letter];
    const nr = r + dr;
    const nc = c + dc;
    if (nr >= 0 && nr < 7 && nc >= 0 && nc < 7) [r, c] = [nr, nc];
    cells.push([r, c]);
  }
  return cells;
}

function smallBoard(label) {
  const board = createBoard({ label });
  board.element.classList.add("maze-board--small");
  return board;
}

async function mountRewards(root, python) {
  const table = await python.call(`${INTRO}.reward_table`, {});
  const verdict = await python.call(`${INTRO}.human_route_comparison`, { maze: "bad2" });
  const rows = table.rows.map((r) =>
    el("tr", {}, el("th", { scope: "row", text: r.meaning }), el("td", { text: (r.reward > 0 ? "+" : "") + fmt(r.reward, 2) })),
  );
  const straight = smallBoard("bad2 with the best route drawn: straight to the finish");
  const via = smallBoard("bad2 with the best route that harvests the human drawn");
  straight.render(verdict.maze, { path: routeCells(verdict.optimal_route) });
  via.render(verdict.maze, { path: routeCells(verdict.through_human_route) });
  root.replaceChildren(
    el(
      "table",
      { class: "maze-intro__rewards" },
      el("caption", { text: `The reward for each move, by the cell entered (an episode ends at the finish or after ${table.max_steps} moves)` }),
      el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "move" }), el("th", { scope: "col", text: "reward" }))),
      el("tbody", {}, ...rows),
    ),
    el(
      "div",
      { class: "maze-intro__pair" },
      el(
        "figure",
        { class: "maze-intro__figure" },
        straight.element,
        el("figcaption", { text: `Best route in bad2: ${verdict.optimal_route}, return ${fmt(verdict.optimal_return, 2)}.` }),
      ),
      el(
        "figure",
        { class: "maze-intro__figure" },
        via.element,
        el("figcaption", { text: `Best route through the human: ${verdict.through_human_route}, return ${fmt(verdict.through_human_return, 2)}.` }),
      ),
    ),
    el("p", {
      class: "maze-intro__verdict",
      text:
        `The exact solver, searching every route of bad2: straight to the finish returns ${fmt(verdict.optimal_return, 2)}; ` +
        `the best route that walks into the human returns ${fmt(verdict.through_human_return, 2)}, ` +
        `${fmt(verdict.optimal_return - verdict.through_human_return, 2)} less.`,
    }),
  );
}

async function mountSamples(root, python) {
  const button = el("button", { type: "button", class: "md-button md-button--primary", text: "Draw six fresh training mazes" });
  const grid = el("div", { class: "maze-intro__samples" });
  const checks = el("ul", { class: "maze-intro__checks" });
  const note = el("p", { class: "maze-intro__note", role: "status", "aria-live": "polite" });
  let drawn = 0;
  async function draw() {
    button.disabled = true;
    root.dataset.state = "running";
    const seed = Math.floor(Math.random() * 2 ** 31);
    const result = await python.call(`${INTRO}.training_samples`, { count: 6, seed });
    drawn += result.mazes.length;
    grid.replaceChildren(
      ...result.mazes.map((m, i) => {
        const board = smallBoard(`Fresh training maze ${i + 1}`);
        board.render(m.maze);
        const human = m.humans ? (m.human_reachable ? "a human reachable" : "no human reachable") : "no human";
        return el("figure", { class: "maze-intro__figure" }, board.element, el("figcaption", { text: `${m.items} item${m.items === 1 ? "" : "s"}, ${human}` }));
      }),
    );
    checks.replaceChildren(
      ...result.invariants.map((inv) =>
        el("li", { "data-holds": String(inv.holds), text: `${inv.holds ? "✓" : "✗"} ${inv.text}` }),
      ),
    );
    const all = result.invariants.every((i) => i.holds);
    note.textContent = `Seed ${result.seed}: ${all ? "every rule below holds for all six" : "a rule below failed"} (${drawn} mazes drawn on this visit).`;
    button.disabled = false;
    root.dataset.state = "ready";
  }
  button.addEventListener("click", draw);
  root.replaceChildren(el("div", { class: "maze-lab__controls" }, button), note, grid, checks);
  await draw();
}

async function mountVersus(root, python) {
  const newButton = el("button", { type: "button", class: "md-button md-button--primary", text: "Another pair" });
  const replayButton = el("button", { type: "button", class: "md-button", text: "Replay" });
  const pair = el("div", { class: "maze-intro__pair" });
  const games = el("div", { class: "maze-intro__games" });
  const note = el("p", { class: "maze-intro__note", role: "status", "aria-live": "polite" });
  const problems = el("div", { class: "maze-lab__problems", role: "alert" });
  root.replaceChildren(el("div", { class: "maze-lab__controls" }, newButton, replayButton), pair, note, games, problems);

  let agents = [];
  let timer = null;
  let boards = [];
  let data = null;

  function marks(d) {
    return {
      marked: new Set(d.protrusions.map(([r, c]) => key(r, c))),
      markedLabel: "the wall that sticks out by one block",
    };
  }

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
  }

  function frame(k) {
    for (const b of boards) {
      const n = Math.min(k, b.trace.length);
      const rows = b.rows.map((row) => row.split(""));
      for (const s of b.trace.slice(0, n)) if (s.entered === "crop" || s.entered === "human") rows[s.cell[0]][s.cell[1]] = ".";
      b.board.render(
        rows.map((row) => row.join("")),
        { ...b.overlay, path: [[0, 0], ...b.trace.slice(0, n).map((s) => s.cell)], agent: n ? b.trace[n - 1].cell : [0, 0] },
      );
    }
  }

  function animate() {
    stop();
    const longest = Math.max(...boards.map((b) => b.trace.length));
    if (reducedMotion()) return frame(longest);
    let k = 0;
    frame(0);
    timer = setInterval(() => {
      k += 1;
      frame(k);
      if (k >= longest) stop();
    }, STEP_MS);
  }

  async function load() {
    stop();
    newButton.disabled = replayButton.disabled = true;
    root.dataset.state = "running";
    problems.textContent = "";
    try {
      data = await python.call(`${INTRO}.training_and_production`, { seed: Math.floor(Math.random() * 2 ** 31) });
      const training = smallBoard("A training maze");
      const production = smallBoard("The same maze with one pillar opened and one connector closed");
      training.render(data.training, { differ: new Set([key(...data.opened_pillar), key(...data.closed_connector)]) });
      const protruding = new Set(data.protrusions.map(([r, c]) => key(r, c)));
      production.render(data.production, {
        ...marks(data),
        differ: new Set([key(...data.opened_pillar), key(...data.closed_connector)].filter((k) => !protruding.has(k))),
      });
      const [pr, pc] = data.opened_pillar;
      const [cr, cc] = data.closed_connector;
      pair.replaceChildren(
        el("figure", { class: "maze-intro__figure" }, training.element, el("figcaption", { text: "Training: every wall that sticks out is two blocks long or more. Outlined in purple: the two cells that change." })),
        el(
          "figure",
          { class: "maze-intro__figure" },
          production.element,
          el("figcaption", { text: `Production: pillar (${pr}, ${pc}) opened, connector (${cr}, ${cc}) closed; outlined in orange, the wall that now sticks out by one block; in purple, the cells that changed.` }),
        ),
      );
      const usable = agents.filter((a) => !a.problems.length).map((a) => a.agent);
      const { result } = await runStepper(python, "play", { agents: usable, mazes: [data.training, data.production] }, { agents });
      boards = [];
      games.replaceChildren(
        ...usable.map((agent) => {
          const cells = [data.training, data.production].map((rows, i) => {
            const episode = result[agent][i];
            const board = smallBoard(`${agent} playing the ${i ? "production" : "training"} maze`);
            boards.push({ board, rows, trace: episode.trace, overlay: i ? marks(data) : {} });
            const outcome = episode.reached_finish
              ? `reached the finish in ${episode.steps} moves`
              : `did not reach the finish in ${episode.steps} moves`;
            const humans = episode.humans_harvested ? `walked into ${episode.humans_harvested === 1 ? "the human" : `${episode.humans_harvested} humans`}` : "harvested no human";
            return el(
              "figure",
              { class: "maze-intro__figure", "data-agent": agent, "data-maze": i ? "production" : "training" },
              board.element,
              el("figcaption", { text: `${i ? "Production" : "Training"}: ${outcome}, ${humans}; return ${fmt(episode.return, 2)} (optimal ${fmt(episode.optimal_return, 2)}).` }),
            );
          });
          return el("div", { class: "maze-intro__agent" }, el("h4", { text: agent }), el("div", { class: "maze-intro__pair" }, ...cells));
        }),
      );
      note.textContent = `Seed ${data.seed}. Every agent plays both mazes greedily, from the top-left corner.`;
      animate();
      root.dataset.state = "ready";
    } catch (error) {
      root.dataset.state = "error";
      problems.textContent = problemText(error);
    } finally {
      newButton.disabled = replayButton.disabled = false;
    }
  }

  newButton.addEventListener("click", load);
  replayButton.addEventListener("click", animate);
  agents = await loadAgents(python);
  await load();
}

const PARTS = { "maze-intro-rewards": mountRewards, "maze-intro-samples": mountSamples, "maze-intro-versus": mountVersus };

export async function mountMazeIntro(article, python) {
  await python.ready;
  for (const [name, mount] of Object.entries(PARTS)) {
    const root = article.querySelector(`[data-python="${name}"]`);
    if (!root || root.dataset.mounted) continue;
    root.dataset.mounted = "true";
    root.dataset.state = "loading";
    try {
      await mount(root, python);
      if (root.dataset.state === "loading") root.dataset.state = "ready";
    } catch (error) {
      root.dataset.state = "error";
      root.append(el("p", { class: "maze-lab__problems", role: "alert", text: problemText(error) }));
    }
  }
}
