// A 7x7 maze board: one <button> per cell, drawn from ASCII rows that Python sent,
// with optional overlays (the agent, its path, policy arrows, highlighted cells).
// Keyboard (an editable board): one Tab stop for the whole board (roving
// tabindex), arrow keys move, Enter or Space activates a cell, and # . C H set it
// directly (no focus trap: Tab leaves the board). The board owns those keys: they
// do not reach Material's shortcuts ("." would open the next page). A display-only
// board is no Tab stop. Cells are (row, column), counted from 0 at the top left.

import { el } from "./dom.js";

const SIZE = 7;
const KINDS = { "#": "wall", ".": "empty", C: "crop", H: "human", F: "finish" };
const GLYPHS = { crop: "C", human: "H", finish: "F" };
const ARROWS = { U: "↑", D: "↓", L: "←", R: "→" };
const ARROW_WORDS = { U: "up", D: "down", L: "left", R: "right" };
const key = (r, c) => `${r},${c}`;
const MOVES = { ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1] };
// The symbol each typing key sets (w and e are spoken aliases of # and .).
const SYMBOL_KEYS = { "#": "#", ".": ".", c: "C", C: "C", h: "H", H: "H", w: "#", W: "#", e: ".", E: "." };
const OWNED_KEYS = new Set([...Object.keys(MOVES), "Home", "End", "Enter", " ", ...Object.keys(SYMBOL_KEYS)]);

/**
 * createBoard({ label, editable, onActivate(r, c), onSet(r, c, symbol) })
 * returns { element, render(rows, overlay), focus(r, c) }.
 * overlay: { agent: [r, c], path: [[r, c], ...], arrows: {"r,c": "U"},
 *            marked: Set("r,c"), markedLabel, differ: Set("r,c") }
 */
export function createBoard({ label, editable = false, onActivate, onSet } = {}) {
  const grid = el("div", { class: "maze-board", role: "group", "aria-label": label });
  const cells = [];
  let focused = [0, 0];
  for (let r = 0; r < SIZE; r++) {
    for (let c = 0; c < SIZE; c++) {
      const cell = el("button", {
        type: "button",
        class: "maze-cell",
        "data-cell": key(r, c),
        tabindex: editable && r === 0 && c === 0 ? "0" : "-1",
        // Named before the first maze is drawn (render() then says what the cell holds).
        "aria-label": `row ${r}, column ${c}: no maze drawn yet`,
      });
      cells.push(cell);
      grid.append(cell);
      if (!editable) {
        cell.setAttribute("aria-disabled", "true");
        continue;
      }
      cell.addEventListener("focus", () => {
        if (focused[0] === r && focused[1] === c) return;
        cells[focused[0] * SIZE + focused[1]].tabIndex = -1;
        focused = [r, c];
        cell.tabIndex = 0;
      });
      cell.addEventListener("click", () => {
        focus(r, c);
        onActivate?.(r, c);
      });
    }
  }

  function focus(r, c) {
    cells[focused[0] * SIZE + focused[1]].tabIndex = -1;
    focused = [r, c];
    const cell = cells[r * SIZE + c];
    cell.tabIndex = 0;
    cell.focus();
  }

  grid.addEventListener("keydown", (event) => {
    if (!editable || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!OWNED_KEYS.has(event.key)) return;
    event.stopPropagation(); // Material's keyboard shortcuts listen on the window
    const [r, c] = focused;
    if (MOVES[event.key]) {
      const [dr, dc] = MOVES[event.key];
      const nr = Math.min(SIZE - 1, Math.max(0, r + dr));
      const nc = Math.min(SIZE - 1, Math.max(0, c + dc));
      focus(nr, nc);
      event.preventDefault();
    } else if (event.key === "Home" || event.key === "End") {
      focus(r, event.key === "Home" ? 0 : SIZE - 1);
      event.preventDefault();
    } else if (SYMBOL_KEYS[event.key]) {
      onSet?.(r, c, SYMBOL_KEYS[event.key]);
      event.preventDefault();
    }
  });

  function render(rows, overlay = {}) {
    const path = new Map();
    (overlay.path ?? []).forEach(([r, c], i) => path.set(key(r, c), i));
    for (let r = 0; r < SIZE; r++) {
      for (let c = 0; c < SIZE; c++) {
        const cell = cells[r * SIZE + c];
        const k = key(r, c);
        const kind = r === 0 && c === 0 ? "start" : KINDS[rows[r][c]];
        const isAgent = overlay.agent && overlay.agent[0] === r && overlay.agent[1] === c;
        const arrow = overlay.arrows?.[k];
        cell.dataset.kind = kind;
        cell.classList.toggle("maze-cell--path", path.has(k));
        cell.classList.toggle("maze-cell--agent", Boolean(isAgent));
        cell.classList.toggle("maze-cell--marked", Boolean(overlay.marked?.has(k)));
        cell.classList.toggle("maze-cell--differ", Boolean(overlay.differ?.has(k)));
        cell.textContent = isAgent ? "●" : arrow ? ARROWS[arrow] : (GLYPHS[kind] ?? (kind === "start" ? "S" : ""));
        const words = [`row ${r}, column ${c}: ${kind === "start" ? "start" : kind}`];
        if (isAgent) words.push("the agent is here");
        else if (path.has(k)) words.push("on the agent's path");
        if (arrow) words.push(`best action ${ARROW_WORDS[arrow]}`);
        if (overlay.marked?.has(k)) words.push(overlay.markedLabel ?? "marked");
        if (overlay.differ?.has(k)) words.push("the two agents differ here");
        cell.setAttribute("aria-label", words.join(", "));
      }
    }
  }

  return { element: grid, render, focus };
}
