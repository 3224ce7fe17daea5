// The WebAssembly binary format's integers (LEB128), sections, imports and exports, for the build's
// scripts that read or rewrite the module (npm-dist.mjs: export and import names; wasm-order-functions.mjs:
// the function order; wasm-export-costs.mjs: what each export costs).

/** Section ids. */
export const SECTION = { custom: 0, type: 1, import: 2, function: 3, table: 4, export: 7, start: 8, element: 9, code: 10 };

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

/** A section with its id and the size of its contents in front. */
export function withSize(id, body) {
  return [id, ...uleb(body.length), ...body];
}

/** A name as the binary writes one: its UTF-8 length, then its bytes. */
export function nameBytes(name) {
  const bytes = new TextEncoder().encode(name);
  return [...uleb(bytes.length), ...bytes];
}

function readName(r) {
  const length = r.u32();
  const name = new TextDecoder().decode(r.bytes.subarray(r.at, r.at + length));
  r.skip(length);
  return name;
}

/** The name of a custom section `s`. */
export function customSectionName(bytes, s) {
  return readName(new Reader(bytes, s.start, s.end));
}

/**
 * The entries of import section `s`: { name, kind, start, nameStart, nameEnd, end }, where [start,
 * nameStart) is the module name and [nameEnd, end) the kind and its description.
 */
export function readImports(bytes, s) {
  const r = new Reader(bytes, s.start, s.end);
  const limits = () => {
    if (r.u32() & 1) r.u32();
    r.u32();
  };
  const out = [];
  for (let n = r.u32(); n > 0; n--) {
    const start = r.at;
    r.skip(r.u32()); // the module name
    const nameStart = r.at;
    const name = readName(r);
    const nameEnd = r.at;
    const kind = r.byte();
    if (kind === 0) r.u32(); // function: its type
    else if (kind === 1) {
      r.byte(); // table: element type, limits
      limits();
    } else if (kind === 2) limits(); // memory
    else if (kind === 3) r.skip(2); // global: value type, mutability
    else throw new Error(`wasm: import ${name} of unknown kind ${kind}`);
    out.push({ name, kind, start, nameStart, nameEnd, end: r.at });
  }
  if (r.at !== s.end) throw new Error(`wasm: the import section ends at ${r.at}, its size says ${s.end}`);
  return out;
}

/** The entries of export section `s`: { name, kind, index }. */
export function readExports(bytes, s) {
  const r = new Reader(bytes, s.start, s.end);
  const out = [];
  for (let n = r.u32(); n > 0; n--) out.push({ name: readName(r), kind: r.byte(), index: r.u32() });
  if (r.at !== s.end) throw new Error(`wasm: the export section ends at ${r.at}, its size says ${s.end}`);
  return out;
}

/** An export section (id and size included) holding `exports`: { name, kind, index }, in that order. */
export function exportSection(exports) {
  const body = uleb(exports.length);
  for (const { name, kind, index } of exports) body.push(...nameBytes(name), kind, ...uleb(index));
  return withSize(SECTION.export, body);
}
