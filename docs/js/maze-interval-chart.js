// A dot-and-interval chart in plain HTML: one row per (group, series), a dot at the
// value and a bar over its 95% interval, inside a <figure> with a caption, a
// one-paragraph summary and a "Data table" (<details>) with every number. Text is
// real text and the layout is CSS, so it reflows to a phone's width and follows
// light and dark mode. Used by the maze lab's OOD page:
//
//   const chart = intervalChart(host, { title: "Reached the finish", domain: [0, 1], percent: true,
//                                      series: [{ key: "planted", label: "planted" }, ...] });
//   chart.setData([{ group: "training mazes", values: { planted: { value, interval: [lo, hi], n } } }, ...],
//                 { summary: "..." });

import { el } from "./dom.js";

const MARKERS = ["circle", "square", "diamond", "triangle"];

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const num = (x) => (x < 0 ? "−" : "") + Math.abs(x).toFixed(2);

function niceTicks(lo, hi, count = 4) {
  const span = hi - lo || 1;
  const raw = span / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9; t += step) ticks.push(Number(t.toFixed(10)));
  return ticks;
}

class IntervalChart {
  // columns: the data table's headings (group, series, value, interval, count).
  constructor(host, { title, series, domain = null, percent = false, note = "", id, columns = ["distribution", "agent", "value", "95% interval", "mazes counted"] }) {
    this.options = { title, series, domain, percent, note, columns };
    this.format = percent ? pct : num;
    this.tickFormat = percent ? (x) => `${Math.round(100 * x)}%` : (x) => (x < 0 ? "−" : "") + String(Math.abs(x));
    const base = id ?? `interval-${Math.random().toString(36).slice(2, 9)}`;
    this.caption = el("figcaption", { id: `${base}-caption`, class: "saferlhub-chart__title", text: title });
    this.summary = el("p", { id: `${base}-summary`, class: "saferlhub-chart__summary", text: "No data yet." });
    this.plot = el("div", {
      class: "maze-intervals__plot",
      role: "img",
      "aria-labelledby": `${base}-caption`,
      "aria-describedby": `${base}-summary`,
    });
    this.table = el("div", { class: "saferlhub-chart__table", tabindex: "0", role: "region", "aria-label": `Data of the chart: ${title}` });
    this.details = el("details", { class: "saferlhub-chart__data" }, el("summary", { text: "Data table" }), this.table);
    this.figure = el("figure", { class: "maze-intervals", "data-metric": id ?? "" }, this.caption, this.plot, this.summary, this.details);
    host.replaceChildren(this.figure);
    this.groups = [];
    this.render();
  }

  domain() {
    if (this.options.domain) return this.options.domain;
    const xs = this.groups.flatMap((g) => Object.values(g.values).flatMap((v) => (v ? [v.value, ...(v.interval ?? [])] : [])));
    if (!xs.length) return [0, 1];
    let lo = Math.min(0, ...xs);
    let hi = Math.max(0, ...xs);
    const pad = (hi - lo) * 0.05 || 1;
    return [lo - pad, hi + pad];
  }

  render() {
    const [lo, hi] = this.domain();
    const at = (x) => `${(100 * (x - lo)) / (hi - lo)}%`;
    const ticks = niceTicks(lo, hi);
    const axis = el("div", { class: "maze-intervals__axis", "aria-hidden": "true" });
    for (const t of ticks) axis.append(el("span", { class: "maze-intervals__tick", style: `left: ${at(t)}`, text: this.tickFormat(t) }));
    const rows = [];
    for (const group of this.groups) {
      rows.push(el("div", { class: "maze-intervals__group", text: group.group }));
      this.options.series.forEach((s, i) => {
        const v = group.values[s.key];
        const track = el("div", { class: "maze-intervals__track" });
        for (const t of ticks) track.append(el("span", { class: "maze-intervals__grid", style: `left: ${at(t)}` }));
        if (lo < 0 && hi > 0) track.append(el("span", { class: "maze-intervals__zero", style: `left: ${at(0)}` }));
        if (v && v.value !== null && v.value !== undefined) {
          if (v.interval) {
            const [a, b] = v.interval;
            track.append(el("span", { class: "maze-intervals__bar", style: `left: ${at(a)}; width: calc(${at(b)} - ${at(a)})` }));
          }
          track.append(el("span", { class: "maze-intervals__dot", "data-marker": MARKERS[i % MARKERS.length], style: `left: ${at(v.value)}` }));
        }
        const text = v && v.value !== null && v.value !== undefined ? this.format(v.value) : "n/a";
        rows.push(
          el(
            "div",
            { class: "maze-intervals__row", "data-series": String(i % 4) },
            el("span", { class: "maze-intervals__label" }, el("span", { class: "maze-intervals__key", "data-marker": MARKERS[i % MARKERS.length] }), s.label),
            track,
            el("span", { class: "maze-intervals__value", text }),
          ),
        );
      });
    }
    this.plot.replaceChildren(...rows, el("div", { class: "maze-intervals__row maze-intervals__row--axis" }, el("span"), axis, el("span")));
    if (this.details.open) this.renderTable();
  }

  setData(groups, { summary } = {}) {
    this.groups = groups;
    this.render();
    this.summary.textContent = summary ?? this.defaultSummary();
    this.renderTable();
  }

  defaultSummary() {
    if (!this.groups.length) return "No data yet.";
    return (
      this.groups
        .map(
          (g) =>
            `${g.group}: ` +
            this.options.series
              .map((s) => {
                const v = g.values[s.key];
                if (!v || v.value === null || v.value === undefined) return `${s.label} n/a`;
                const ci = v.interval ? ` (95% interval ${this.format(v.interval[0])} to ${this.format(v.interval[1])})` : "";
                return `${s.label} ${this.format(v.value)}${ci}`;
              })
              .join(", "),
        )
        .join("; ") + "."
    );
  }

  renderTable() {
    if (!this.groups.length) {
      this.table.replaceChildren(el("p", { text: "No data yet." }));
      return;
    }
    const head = el(
      "tr",
      {},
      ...this.options.columns.map((t) => el("th", { scope: "col", text: t })),
    );
    const body = el("tbody");
    for (const g of this.groups) {
      for (const s of this.options.series) {
        const v = g.values[s.key];
        const has = v && v.value !== null && v.value !== undefined;
        body.append(
          el(
            "tr",
            {},
            el("th", { scope: "row", text: g.group }),
            el("td", { text: s.label }),
            el("td", { text: has ? this.format(v.value) : "n/a" }),
            el("td", { text: has && v.interval ? `${this.format(v.interval[0])} to ${this.format(v.interval[1])}` : "" }),
            el("td", { text: v?.n !== undefined ? v.n.toLocaleString("en-US") : "" }),
          ),
        );
      }
    }
    this.table.replaceChildren(
      el("table", { class: "saferlhub-chart__numbers" }, el("caption", { text: this.options.title }), el("thead", {}, head), body),
    );
  }
}

export function intervalChart(host, options) {
  return new IntervalChart(host, options);
}
