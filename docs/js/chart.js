// A line chart with its text alternative: uPlot (1.6.32) inside a <figure> whose
// caption names it, followed by a one-paragraph summary of what it shows and a
// "Data table" (<details>) with every plotted number. Reusable by any page:
//
//   const chart = lineChart(host, {
//     title: "Exact value of the greedy policy",
//     xLabel: "hands played", yLabel: "expected payoff per hand",
//     series: [{ label: "greedy policy", color: "--saferlhub-chart-1" },
//              { label: "greedy policy (previous run)", color: "--saferlhub-chart-1", previous: true }],
//   });
//   chart.setData(xs, [ys0, ys1], { xMax: 100000 });
//
// Colours are names of CSS custom properties, read when the chart is drawn, so light
// and dark mode come from the stylesheet; the chart redraws when Material's palette
// toggle changes the scheme. The legend shows each series as a short stretch of its own
// line (colour, width and dash), so series of one colour stay apart. Axes are always drawn, also before the first data
// (the x axis spans 0..xMax, the y axis `yRange`), so an empty chart says what it will show.

import uPlot from "uplot";
import { el } from "./dom.js";

const charts = new Set();
let schemeWatch = null;

/** A tick or table value: 1,500 → "1.5k", 2,000,000 → "2M"; small numbers as they are. */
export function compact(x) {
  const abs = Math.abs(x);
  const minus = x < 0 ? "−" : "";
  const trim = (v) => String(Number(v.toFixed(2)));
  if (abs >= 1e6) return `${minus}${trim(abs / 1e6)}M`;
  if (abs >= 1e3) return `${minus}${trim(abs / 1e3)}k`;
  return `${minus}${trim(abs)}`;
}

const plain = (x) => (x < 0 ? "−" : "") + String(Number(Math.abs(x).toPrecision(4)));

function cssColor(host, name, fallback = "#777") {
  const value = name.startsWith("--") ? getComputedStyle(host).getPropertyValue(name).trim() : name;
  return value || fallback;
}

// A colour at `alpha` opacity: hex (#rgb, #rrggbb) or rgb() from the stylesheet.
function faded(color, alpha) {
  let rgb = null;
  const hex = color.match(/^#([0-9a-f]{3}|[0-9a-f]{6})$/i);
  if (hex) {
    const h = hex[1].length === 3 ? [...hex[1]].map((c) => c + c).join("") : hex[1];
    rgb = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
  } else {
    const m = color.match(/rgba?\(([^)]+)\)/);
    if (m) rgb = m[1].split(/[ ,/]+/).slice(0, 3).map(Number);
  }
  return rgb ? `rgba(${rgb.join(",")},${alpha})` : color;
}

const SVG = "http://www.w3.org/2000/svg";

/** A legend swatch: a stretch of the series' line as drawn (colour, width, dash). */
function swatch({ stroke, width, dash }) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "saferlhub-chart__swatch");
  svg.setAttribute("viewBox", "0 0 32 10");
  svg.setAttribute("width", "32");
  svg.setAttribute("height", "10");
  svg.setAttribute("aria-hidden", "true");
  svg.style.verticalAlign = "middle";
  svg.style.marginRight = "4px";
  const line = document.createElementNS(SVG, "line");
  for (const [k, v] of Object.entries({ x1: 0, y1: 5, x2: 32, y2: 5, stroke, "stroke-width": Math.max(2, width) })) line.setAttribute(k, String(v));
  if (dash?.length) line.setAttribute("stroke-dasharray", dash.join(" "));
  svg.append(line);
  return svg;
}

function watchScheme() {
  if (schemeWatch) return;
  schemeWatch = new MutationObserver(() => {
    for (const chart of charts) {
      if (chart.host.isConnected) chart.rebuild();
      else charts.delete(chart);
    }
  });
  schemeWatch.observe(document.body, { attributes: true, attributeFilter: ["data-md-color-scheme"] });
}

function defaultSummary(xLabel, xs, series, ys) {
  if (!xs.length) return "No data yet.";
  const parts = [];
  series.forEach((s, i) => {
    if (s.previous) return;
    const pts = ys[i].map((y, k) => [xs[k], y]).filter(([, y]) => y !== null && y !== undefined);
    if (!pts.length) return;
    const values = pts.map(([, y]) => y);
    const [x0, y0] = pts[0];
    const [x1, y1] = pts.at(-1);
    parts.push(
      `${s.label}: ${plain(y0)} at ${compact(x0)} ${xLabel}, ${plain(y1)} at ${compact(x1)} ` +
        `(lowest ${plain(Math.min(...values))}, highest ${plain(Math.max(...values))})`,
    );
  });
  return `${parts.join("; ")}.`;
}

class LineChart {
  constructor(host, options) {
    this.host = host;
    this.options = { height: 220, yRange: [0, 1], xFormat: compact, yFormat: plain, ...options };
    this.xs = [];
    this.ys = this.options.series.map(() => []);
    this.xMax = this.options.xMax ?? 1;
    const id = `chart-${Math.random().toString(36).slice(2, 9)}`;
    const { title, xLabel, yLabel } = this.options;
    this.caption = el("figcaption", { id: `${id}-caption`, class: "saferlhub-chart__title", text: title });
    this.summary = el("p", { id: `${id}-summary`, class: "saferlhub-chart__summary", text: "No data yet." });
    this.plot = el("div", {
      class: "saferlhub-chart__plot",
      role: "img",
      "aria-labelledby": `${id}-caption`,
      "aria-describedby": `${id}-summary`,
    });
    // Scrolls when long: a focusable, named region, so keyboards can scroll it too.
    this.table = el("div", { class: "saferlhub-chart__table", tabindex: "0", role: "region", "aria-label": `Data of the chart: ${title}` });
    this.details = el(
      "details",
      { class: "saferlhub-chart__data" },
      el("summary", { text: "Data table" }),
      this.table,
    );
    this.details.addEventListener("toggle", () => this.details.open && this.renderTable());
    this.figure = el(
      "figure",
      { class: "saferlhub-chart", "data-x-label": xLabel, "data-y-label": yLabel },
      this.caption,
      this.plot,
      this.summary,
      this.details,
    );
    host.replaceChildren(this.figure);
    this.rebuild();
    new ResizeObserver(() => {
      const width = this.width();
      if (this.uplot && Math.abs(width - this.uplot.width) > 1) this.uplot.setSize({ width, height: this.options.height });
    }).observe(this.plot);
    charts.add(this);
    watchScheme();
  }

  width() {
    return Math.max(180, Math.floor(this.plot.clientWidth || this.host.clientWidth || 600));
  }

  rebuild() {
    const { series, xLabel, yLabel, height, yRange, xFormat, yFormat } = this.options;
    const fg = cssColor(this.host, "--saferlhub-chart-axis");
    const grid = cssColor(this.host, "--saferlhub-chart-grid");
    const font = `12px ${getComputedStyle(this.host).fontFamily || "sans-serif"}`;
    const axis = {
      stroke: fg,
      font,
      labelFont: `bold ${font}`,
      grid: { stroke: grid, width: 1 },
      ticks: { stroke: grid, width: 1 },
    };
    const opts = {
      width: this.width(),
      height,
      scales: {
        x: { time: false, range: () => [0, this.xMax] },
        y: {
          range: (u, min, max) => {
            if (min === null || max === null || !Number.isFinite(min)) return yRange;
            if (this.options.yFixed) return yRange;
            const pad = Math.max((max - min) * 0.08, 1e-3);
            return [min - pad, max + pad];
          },
        },
      },
      axes: [
        { ...axis, label: xLabel, space: 70, values: (u, splits) => splits.map(xFormat) },
        { ...axis, label: yLabel, size: 56, space: 30, values: (u, splits) => splits.map((v) => yFormat(v)) },
      ],
      // uPlot's markers are squares of the series' colour: ours (swatch) show the dash too.
      legend: { live: false, markers: { show: false } },
      cursor: { show: false },
      series: [
        { label: xLabel },
        ...series.map((s) => {
          const color = cssColor(this.host, s.color);
          return {
            label: s.label,
            stroke: s.previous ? faded(color, 0.5) : color,
            width: s.previous ? 1.5 : (s.width ?? 2),
            dash: s.previous ? [4, 4] : s.dash,
            spanGaps: true,
            points: { show: false },
          };
        }),
      ],
    };
    this.uplot?.destroy();
    this.uplot = new uPlot(opts, [this.xs, ...this.ys], this.plot);
    // With a legend that is not live, uPlot gives the x series no row: row k is series k + 1.
    const rows = this.plot.querySelectorAll(".u-legend .u-series");
    rows.forEach((row, k) => {
      const s = opts.series[k + 1];
      const label = row.querySelector(".u-label");
      if (!s || !label) return;
      label.style.color = ""; // uPlot colours a label without a marker; the stylesheet's colour reads on both schemes
      label.prepend(swatch(s)); // inside the label, so a wrapped label keeps its swatch
    });
  }

  /** Replace the data: xs, one array per series (null = no point), optionally the x
   * span, a summary to show instead of the generated one, or a note to add to it. */
  setData(xs, ys, { xMax, summary, note } = {}) {
    this.xs = xs;
    this.ys = ys;
    if (xMax !== undefined) this.xMax = xMax;
    this.uplot.setData([xs, ...ys]);
    this.figure.dataset.points = String(xs.length);
    this.figure.dataset.xMax = String(this.xMax);
    const text = summary ?? defaultSummary(this.options.xLabel, xs, this.options.series, ys);
    this.summary.textContent = note ? `${text} ${note}` : text;
    if (this.details.open) this.renderTable();
  }

  /** Set the x axis span before any data arrives (e.g. the planned number of episodes). */
  setXMax(xMax) {
    this.xMax = xMax;
    this.figure.dataset.xMax = String(xMax);
    this.uplot.setData([this.xs, ...this.ys]); // re-ranges the scales
  }

  renderTable() {
    const { series, xLabel, yFormat } = this.options;
    const shown = series.map((s, i) => [s, i]).filter(([, i]) => this.ys[i].some((y) => y !== null && y !== undefined));
    if (!this.xs.length || !shown.length) {
      this.table.replaceChildren(el("p", { text: "No data yet." }));
      return;
    }
    const head = el("tr", {}, el("th", { scope: "col", text: xLabel }), ...shown.map(([s]) => el("th", { scope: "col", text: s.label })));
    const body = el("tbody");
    this.xs.forEach((x, k) => {
      body.append(
        el(
          "tr",
          {},
          el("th", { scope: "row", text: x.toLocaleString("en-US") }),
          ...shown.map(([, i]) => {
            const y = this.ys[i][k];
            return el("td", { text: y === null || y === undefined ? "" : yFormat(y) });
          }),
        ),
      );
    });
    this.table.replaceChildren(
      el(
        "table",
        { class: "saferlhub-chart__numbers" },
        el("caption", { text: this.options.title }),
        el("thead", {}, head),
        body,
      ),
    );
  }
}

export function lineChart(host, options) {
  return new LineChart(host, options);
}
