// Just enough of the Prometheus text format 0.0.4 for the dashboard: sample lines into
// { name, labels, value }, sums over series, histogram buckets merged over series, deltas between two
// scrapes and histogram_quantile's interpolation. Comment lines (HELP, TYPE) are skipped.

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

function unescapeLabel(v) {
  return v.replace(/\\(.)/g, (_, c) => (c === "n" ? "\n" : c));
}

function parseValue(text) {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

/** A scrape: Map name → [{ labels, value }]. */
export function parseExposition(text) {
  const out = new Map();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) for (const [, k, v] of m[2].matchAll(LABEL)) labels[k] = unescapeLabel(v);
    let list = out.get(m[1]);
    if (!list) out.set(m[1], (list = []));
    list.push({ labels, value: parseValue(m[3]) });
  }
  return out;
}

const matches = (labels, where) => Object.entries(where).every(([k, v]) => labels[k] === v);

/** The sum of the samples of `name` whose labels include `where`; null if there is none. */
export function sum(scrape, name, where = {}) {
  const list = (scrape.get(name) ?? []).filter((s) => matches(s.labels, where));
  return list.length ? list.reduce((a, s) => a + s.value, 0) : null;
}

/**
 * The histogram `name` merged over its series (those whose labels include `where`): { buckets: [[le,
 * cumulative count]...] ascending, +Inf last, count, sum }, or null if it has no series.
 */
export function histogram(scrape, name, where = {}) {
  const byLe = new Map();
  for (const s of scrape.get(`${name}_bucket`) ?? []) {
    if (!matches(s.labels, where)) continue;
    const le = parseValue(s.labels.le);
    byLe.set(le, (byLe.get(le) ?? 0) + s.value);
  }
  if (byLe.size === 0) return null;
  return {
    buckets: [...byLe.entries()].sort((a, b) => a[0] - b[0]),
    count: sum(scrape, `${name}_count`, where) ?? 0,
    sum: sum(scrape, `${name}_sum`, where) ?? 0,
  };
}

/** `now` minus `before` (a histogram that did not exist before counts from zero). */
export function histogramDelta(now, before) {
  if (!now) return null;
  if (!before) return now;
  const prev = new Map(before.buckets);
  return {
    buckets: now.buckets.map(([le, c]) => [le, c - (prev.get(le) ?? 0)]),
    count: now.count - before.count,
    sum: now.sum - before.sum,
  };
}

/**
 * The q-quantile of a histogram as PromQL's histogram_quantile computes it: linear interpolation
 * inside the bucket the rank falls in (from 0 for the first bucket); the highest finite bound if the
 * rank is in +Inf. null when the histogram is empty.
 */
export function quantile(q, h) {
  if (!h || h.buckets.length === 0) return null;
  const total = h.buckets[h.buckets.length - 1][1];
  if (!(total > 0)) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of h.buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      if (count === prevCount) return le;
      return prevLe + ((le - prevLe) * (rank - prevCount)) / (count - prevCount);
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** The cumulative count of the largest bucket bound <= `bound` (0 if none). */
export function countAtMost(h, bound) {
  let c = 0;
  for (const [le, count] of h.buckets) {
    if (le <= bound + 1e-12) c = count;
  }
  return c;
}
