// The WebAssembly binary format's integers (LEB128) and sections, for the build's scripts that rewrite
// the module (npm-dist.mjs: export and import names; wasm-order-functions.mjs: the function order).

/** The unsigned LEB128 integer at `at`, and where the next field begins: [value, next]. */
export function readUleb(bytes, at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return [value, at];
  }
}

/** `value` as unsigned LEB128 bytes. */
export function uleb(value) {
  const out = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

/** A cursor over `bytes` from `at` to `end` that stops with an error rather than read past the end. */
export class Reader {
  constructor(bytes, at = 0, end = bytes.length) {
    this.bytes = bytes;
    this.at = at;
    this.end = end;
  }
  byte() {
    if (this.at >= this.end) throw new Error(`wasm: the module is truncated at byte ${this.at}`);
    return this.bytes[this.at++];
  }
  u32() {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      const b = this.byte();
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  }
  skipLeb() {
    while (this.byte() & 0x80);
  }
  skip(n) {
    this.at += n;
  }
}

/** The sections of a module: { id, start, end } of each one's contents, in order. */
export function sections(bytes) {
  const out = [];
  const r = new Reader(bytes, 8);
  while (r.at < bytes.length) {
    const id = r.byte();
    const size = r.u32();
    out.push({ id, start: r.at, end: r.at + size });
    r.skip(size);
  }
  return out;
}
