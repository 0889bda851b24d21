// A heatmap as an HTML table: each cell coloured by its value on a colour scale, its
// number printed in black or white, whichever has the higher WCAG contrast ratio
// against the cell's colour. Reusable by any page (Blackjack's Q-values, the maze's
// value maps):
//
//   heatmap({ caption: "No usable ace", rowHeader: "sum", colHeader: "dealer's card",
//             rows: ["21", ...], cols: ["A", ...], values: [[...], ...],   // top row first
//             scale: "value", describe: (r, c) => "21 against A: V = 0.640; ...",
//             muted: (r, c) => false });
//
// Details of a cell are not hover-only: the table is one keyboard stop (a grid with
// a roving tabindex; arrow keys, Home/End, PageUp/PageDown move), and the focused,
// tapped or hovered cell's description is shown under the table.

import { el } from "./dom.js";

// Colour stops for a value in [-1, 1] (clamped): a perceptually ordered scale (viridis)
// for values, a colour-blind-safe diverging one (purple < 0 < orange) for differences.
export const SCALES = {
  value: ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"],
  advantage: ["#542788", "#998ec3", "#f7f7f7", "#f1a340", "#b35806"],
};

const hexRgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));

/** WCAG 2 relative luminance of an [r, g, b] colour (0-255). */
export function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => {
    const c = v / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG 2 contrast ratio of two [r, g, b] colours. */
export function contrastRatio(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** Black or white, whichever contrasts more with the background [r, g, b]. */
export function textColourOn(rgb) {
  return contrastRatio(rgb, [0, 0, 0]) >= contrastRatio(rgb, [255, 255, 255]) ? "#000" : "#fff";
}

/** The colour of x on a scale (name or list of hex stops), over [lo, hi], clamped. */
export function colourAt(scale, x, [lo, hi] = [-1, 1]) {
  const stops = typeof scale === "string" ? SCALES[scale] : scale;
  const t = ((Math.max(lo, Math.min(hi, x)) - lo) / (hi - lo)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(t));
  const a = hexRgb(stops[i]);
  const b = hexRgb(stops[i + 1]);
  const rgb = a.map((v, k) => Math.round(v + (b[k] - v) * (t - i)));
  return { background: `rgb(${rgb.join(",")})`, color: textColourOn(rgb), rgb };
}

/** A value in few characters for a small cell: ".64", "−.39", "−1.4". */
export function shortNumber(x) {
  const minus = x < 0 ? "−" : "";
  const abs = Math.abs(x);
  if (abs >= 9.95) return minus + abs.toFixed(0);
  if (abs >= 0.995) return minus + abs.toFixed(1);
  return minus + abs.toFixed(2).replace(/^0\./, ".");
}

const HINT = "Tap, hover or focus a cell (arrow keys move) for its details.";

export function heatmap({
  caption,
  rows,
  cols,
  values,
  scale = "value",
  domain = [-1, 1],
  rowHeader = "",
  colHeader = "",
  describe = (r, c) => `${rows[r]}, ${cols[c]}: ${values[r][c]}`,
  muted = () => false,
  text = shortNumber,
  kind,
  tableClass = "",
}) {
  // Not a live region: a focused cell's aria-label already says the same.
  const detail = el("p", { class: "saferlhub-heatmap__detail", text: HINT });
  const head = el("tr", {}, el("th", { scope: "col", text: rowHeader }));
  for (const label of cols) head.append(el("th", { scope: "col", text: label }));
  const thead = el("thead", {});
  if (colHeader) thead.append(el("tr", {}, el("th", { colspan: cols.length + 1, class: "saferlhub-heatmap__axis", text: colHeader })));
  thead.append(head);
  const body = el("tbody");
  const cells = [];
  rows.forEach((rowLabel, r) => {
    const tr = el("tr", {}, el("th", { scope: "row", text: rowLabel }));
    cells.push([]);
    cols.forEach((_, c) => {
      const x = values[r][c];
      const about = describe(r, c);
      const td = el("td", {
        title: about,
        // The accessible name starts with the number shown, then the details.
        "aria-label": `${text(x)}: ${about}`,
        "data-detail": about,
        "data-value": String(x),
        "data-row": String(r),
        "data-col": String(c),
        tabindex: r === 0 && c === 0 ? "0" : "-1",
        text: text(x),
      });
      if (muted(r, c)) td.classList.add("is-muted");
      else {
        const { background, color } = colourAt(scale, x, domain);
        td.style.background = background;
        td.style.color = color;
      }
      cells[r].push(td);
      tr.append(td);
    });
    body.append(tr);
  });
  const table = el(
    "table",
    { class: `saferlhub-heatmap__grid ${tableClass}`.trim(), role: "grid", ...(kind ? { "data-kind": kind } : {}) },
    el("caption", { text: caption }),
    thead,
    body,
  );

  let current = cells[0]?.[0];
  const show = (td) => {
    detail.textContent = td.dataset.detail;
    for (const row of cells) for (const cell of row) cell.classList.toggle("is-selected", cell === td);
  };
  const moveTo = (td) => {
    if (!td) return;
    current.tabIndex = -1;
    td.tabIndex = 0;
    current = td;
    td.focus();
  };
  table.addEventListener("focusin", (event) => {
    const td = event.target.closest("td[data-row]");
    if (!td) return;
    if (td !== current) {
      current.tabIndex = -1;
      td.tabIndex = 0;
      current = td;
    }
    show(td);
  });
  table.addEventListener("click", (event) => {
    const td = event.target.closest("td[data-row]");
    if (td) moveTo(td);
  });
  // The pointer's cell shows when the pointer moves onto it: not on "mouseover", which
  // also fires when the page scrolls under a resting pointer (as arrow keys scroll a
  // tall grid) and would replace the focused cell's details with the pointer's.
  let pointed = null;
  table.addEventListener("pointermove", (event) => {
    const td = event.target.closest("td[data-row]");
    if (td && td !== pointed) show(td);
    pointed = td;
  });
  table.addEventListener("pointerleave", () => (pointed = null));
  table.addEventListener("keydown", (event) => {
    if (!current) return;
    const r = Number(current.dataset.row);
    const c = Number(current.dataset.col);
    const last = { r: rows.length - 1, c: cols.length - 1 };
    const target = {
      ArrowUp: [r - 1, c],
      ArrowDown: [r + 1, c],
      ArrowLeft: [r, c - 1],
      ArrowRight: [r, c + 1],
      Home: event.ctrlKey ? [0, 0] : [r, 0],
      End: event.ctrlKey ? [last.r, last.c] : [r, last.c],
      PageUp: [0, c],
      PageDown: [last.r, c],
    }[event.key];
    if (!target) return;
    event.preventDefault();
    const [nr, nc] = target;
    moveTo(cells[Math.max(0, Math.min(last.r, nr))][Math.max(0, Math.min(last.c, nc))]);
  });

  return el("div", { class: "saferlhub-heatmap", ...(kind ? { "data-kind": kind } : {}) }, table, detail);
}

/** A horizontal colour bar for a scale, with its two ends named. */
export function scaleLegend(scale, low, high) {
  const stops = (typeof scale === "string" ? SCALES[scale] : scale).join(", ");
  return el(
    "div",
    { class: "saferlhub-scale", ...(typeof scale === "string" ? { "data-kind": scale } : {}) },
    el("span", { class: "saferlhub-scale__end", text: low }),
    el("span", {
      class: "saferlhub-scale__bar",
      style: `background: linear-gradient(to right, ${stops})`,
      role: "img",
      "aria-label": `colour scale from ${low} to ${high}`,
    }),
    el("span", { class: "saferlhub-scale__end", text: high }),
  );
}
