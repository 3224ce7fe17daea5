// Two small canvas charts for the dashboard, no library: a line chart of a few series over time and
// a bar chart of Web Vitals (good / needs improvement / poor shares, with the p75).

const FONT = "12px system-ui, sans-serif";
const INK = "#1d2330";
const MUTED = "#5b6475";
const GRID = "#e3e6ec";

// Sizes the canvas' backing store to its CSS box (sharp on high-DPI screens); returns the 2D context
// in CSS pixels, with the box's width and height.
function prepare(canvas) {
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, canvas.clientWidth);
  const h = Math.max(1, canvas.clientHeight);
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const ctx = canvas.getContext("2d");
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, h);
  ctx.font = FONT;
  ctx.textBaseline = "middle";
  return { ctx, w, h };
}

// A "nice" upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at least `v`.
function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/** Formats seconds as µs / ms / s. */
export function formatSeconds(v) {
  if (v === 0) return "0";
  if (v < 0.001) return `${+(v * 1e6).toPrecision(3)} µs`;
  if (v < 1) return `${+(v * 1000).toPrecision(3)} ms`;
  return `${+v.toPrecision(3)} s`;
}

export function formatNumber(v) {
  if (v === 0) return "0";
  if (Math.abs(v) >= 1000) return `${+(v / 1000).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

export class LineChart {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {{ title: string, series: { label: string, color: string }[], format?: (v: number) => string,
   *           windowSeconds?: number }} opts
   */
  constructor(canvas, { title, series, format = formatNumber, windowSeconds = 120 }) {
    this.canvas = canvas;
    this.title = title;
    this.series = series;
    this.format = format;
    this.windowMs = windowSeconds * 1000;
  }

  /** points: [{ t: ms since the epoch, values: [number | null, one per series] }], oldest first. */
  draw(points, now = Date.now()) {
    const { ctx, w, h } = prepare(this.canvas);
    const left = 58;
    const right = 10;
    const top = 44;
    const bottom = 22;
    const plotW = Math.max(1, w - left - right);
    const plotH = Math.max(1, h - top - bottom);

    ctx.fillStyle = INK;
    ctx.font = `600 ${FONT}`;
    ctx.fillText(this.title, 4, 10);
    ctx.font = FONT;
    let x = 4;
    for (const s of this.series) {
      ctx.fillStyle = s.color;
      ctx.fillRect(x, 25, 14, 3);
      ctx.fillStyle = MUTED;
      ctx.fillText(s.label, x + 18, 27);
      x += 18 + ctx.measureText(s.label).width + 16;
    }

    const t0 = now - this.windowMs;
    const visible = points.filter((p) => p.t >= t0);
    let max = 0;
    for (const p of visible) for (const v of p.values) if (v !== null && Number.isFinite(v)) max = Math.max(max, v);
    const yMax = niceMax(max * 1.1);
    const X = (t) => left + ((t - t0) / this.windowMs) * plotW;
    const Y = (v) => top + plotH - (v / yMax) * plotH;

    ctx.strokeStyle = GRID;
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    for (let i = 0; i <= 4; i++) {
      const v = (yMax * i) / 4;
      const y = Math.round(Y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(left, y);
      ctx.lineTo(left + plotW, y);
      ctx.stroke();
      ctx.fillStyle = MUTED;
      ctx.fillText(this.format(v), left - 6, y);
    }
    ctx.textAlign = "center";
    const windowS = this.windowMs / 1000;
    const step = [5, 10, 15, 30, 60, 120].find((x) => x >= windowS / 5) ?? 300;
    for (let s = 0; s <= windowS; s += step) {
      const xs = X(now - s * 1000);
      ctx.fillText(s === 0 ? "now" : `−${s}s`, Math.min(Math.max(xs, left + 12), left + plotW - 12), top + plotH + 12);
    }
    ctx.textAlign = "left";

    if (visible.length === 0) {
      ctx.fillStyle = MUTED;
      ctx.fillText("no data yet", left + 10, top + plotH / 2);
      return;
    }
    ctx.lineWidth = 2;
    ctx.lineJoin = "round";
    this.series.forEach((s, i) => {
      ctx.strokeStyle = s.color;
      ctx.fillStyle = s.color;
      let drawing = false;
      ctx.beginPath();
      visible.forEach((p, k) => {
        const v = p.values[i];
        if (v === null || !Number.isFinite(v)) {
          drawing = false;
          return;
        }
        const px = X(p.t);
        const py = Y(v);
        const next = visible[k + 1]?.values[i];
        const isolated = !drawing && (next === null || next === undefined || !Number.isFinite(next));
        if (isolated) ctx.fillRect(px - 2, py - 2, 4, 4);
        if (drawing) ctx.lineTo(px, py);
        else ctx.moveTo(px, py);
        drawing = true;
      });
      ctx.stroke();
    });
  }
}

const GOOD = "#3a9d5d";
const NEEDS_IMPROVEMENT = "#e8a33d";
const POOR = "#d9534f";

/**
 * rows: [{ name, count, p75 (formatted string or null), good, ni, poor (counts) }]: one stacked bar
 * per Web Vital.
 */
export function drawVitals(canvas, rows) {
  const { ctx, w } = prepare(canvas);
  const labelW = 190;
  const right = 10;
  const rowH = 38;
  const top = 26;
  const barW = Math.max(1, w - labelW - right);

  let x = labelW;
  for (const [label, color] of [["good", GOOD], ["needs improvement", NEEDS_IMPROVEMENT], ["poor", POOR]]) {
    ctx.fillStyle = color;
    ctx.fillRect(x, 6, 12, 12);
    ctx.fillStyle = MUTED;
    ctx.fillText(label, x + 16, 12);
    x += 16 + ctx.measureText(label).width + 18;
  }

  rows.forEach((r, i) => {
    const y = top + i * rowH;
    ctx.fillStyle = INK;
    ctx.font = `600 ${FONT}`;
    ctx.fillText(r.name, 4, y + 10);
    ctx.font = FONT;
    ctx.fillStyle = MUTED;
    ctx.fillText(r.count ? `p75 ${r.p75}  ·  ${r.count} page views` : "no reports yet", 4, y + 26);
    ctx.fillStyle = "#f0f2f5";
    ctx.fillRect(labelW, y + 4, barW, 24);
    if (!r.count) return;
    let bx = labelW;
    for (const [n, color] of [[r.good, GOOD], [r.ni, NEEDS_IMPROVEMENT], [r.poor, POOR]]) {
      const width = (n / r.count) * barW;
      if (width <= 0) continue;
      ctx.fillStyle = color;
      ctx.fillRect(bx, y + 4, width, 24);
      if (width > 40) {
        ctx.fillStyle = "#fff";
        ctx.fillText(`${Math.round((100 * n) / r.count)}%`, bx + 6, y + 16);
      }
      bx += width;
    }
  });
}
