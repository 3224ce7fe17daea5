// Browser stand-in for node:util, for bundling prom-client (it uses format/inspect in error messages).
"use strict";
function inspect(value) {
  if (typeof value === "string") return `'${value}'`;
  try {
    const s = JSON.stringify(value);
    return s === undefined ? String(value) : s;
  } catch {
    return String(value);
  }
}
function format(first, ...rest) {
  if (typeof first !== "string") return [first, ...rest].map(inspect).join(" ");
  let i = 0;
  const out = first.replace(/%[sdifjoO%]/g, (m) => {
    if (m === "%%") return "%";
    if (i >= rest.length) return m;
    const v = rest[i++];
    if (m === "%s") return String(v);
    if (m === "%d" || m === "%i" || m === "%f") return String(Number(v));
    return inspect(v);
  });
  return [out, ...rest.slice(i).map(inspect)].join(" ");
}
module.exports = { format, inspect };
