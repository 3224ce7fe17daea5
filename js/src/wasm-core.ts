// One instance of the C++ core compiled to WebAssembly: its exports, the marshalling of strings and
// number arrays through the module's scratch buffers (everything else crosses as numbers), the
// finalizers that free what JS drops, and the reading of the core's errors.
//
// Memory: a JS object that owns wasm memory registers with a FinalizationRegistry whose held value is
// only what is needed to free it (never the object itself, which would keep it alive). dispose() frees
// at once and unregisters; the finalizer is the safety net for what is dropped.
import { disposedError, type ObservabilityError, statusError } from "./errors.js";
import { type MetricKind, METRIC_ADAPTER, REGISTRY_ADAPTER } from "./constants.js";
import { CounterSeries, GaugeSeries, HistogramSeries, type SeriesClass, type SeriesHandle } from "./series.js";
import type { MemoryStats } from "./types.js";
import { encoder } from "./wasm-instance.js";
import type { HeapView, WasmExports } from "./wasm-module.js";

/** What a finalizer frees: a series handle of a metric kind, a metric adapter or a registry adapter. */
export type Owned = MetricKind | typeof METRIC_ADAPTER | typeof REGISTRY_ADAPTER;

// The exports that neither read nor change a counter or gauge cell, called without a flush: the
// histogram update (a hot path) and the scratch-buffer helpers.
const WITHOUT_FLUSH = ["glk_histogram_observe", "glk_in", "glk_len", "glk_nums", "glk_release"];

const decoder = new TextDecoder();

export class WasmCore {
  declare readonly wasm: WasmExports;
  /** The module's memory as doubles, current across growth: counter and gauge cells are updated in it. */
  declare readonly heap: HeapView;
  /** The series handle classes of this instance, by metric kind. */
  declare readonly seriesClasses: readonly SeriesClass[];
  /** Frees what JS dropped, where the platform has FinalizationRegistry. */
  declare readonly finalizer: FinalizationRegistry<[Owned, number]> | undefined;
  /**
   * Counter and gauge handles with updates not yet in their cells: a handle joins at its first update
   * since the last flush (series.ts).
   */
  declare readonly updated: SeriesHandle[];

  constructor(heap: HeapView) {
    // The exports, every function but WITHOUT_FLUSH's calling flushQueue() first.
    const wasm: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(heap.exports)) {
      wasm[name] =
        typeof value !== "function" || WITHOUT_FLUSH.includes(name)
          ? value
          : (...args: number[]) => {
              this.flushQueue();
              return (value as (...args: number[]) => unknown)(...args);
            };
    }
    this.wasm = wasm as unknown as WasmExports;
    this.heap = heap;
    // The series classes of this instance, by metric kind: subclasses whose prototype holds the
    // instance, its exports and the kind. The JIT then takes the wasm function an update calls for a
    // constant, as it would a closure's, and calls it as fast (the exports in a field of each handle
    // cost ~10 % on the hottest paths); and a handle holds nothing but its address.
    const classes = [class extends CounterSeries {}, class extends GaugeSeries {}, class extends HistogramSeries {}];
    classes.forEach((Series, kind) => Object.assign(Series.prototype, { core: this, wasm: this.wasm, kind }));
    this.seriesClasses = classes;
    this.updated = [];
    if (typeof FinalizationRegistry === "function") {
      this.finalizer = new FinalizationRegistry(([what, address]) => this.wasm.glk_free(what, address));
    }
  }

  /**
   * Adds the queued handles' pending updates to their cells. Every export but the histogram update
   * calls it first (the constructor wraps them so), so whatever the core reads or changes (gather,
   * encode, value, reset, remove, free) comes after every update made before it, as if each had been
   * written at once.
   */
  flushQueue(): void {
    const queue = this.updated;
    if (!queue.length) return;
    const heap = this.heap;
    for (const series of queue) series.flushInto(heap);
    queue.length = 0;
  }

  /** Has the C++ object at `address` freed once `owner` is garbage-collected, unless free() came first. */
  freeWithOwner(owner: object, what: Owned, address: number): void {
    this.finalizer?.register(owner, [what, address], owner);
  }

  /** Frees the C++ object at `address` of `owner` now. */
  free(owner: object, what: Owned, address: number): void {
    this.finalizer?.unregister(owner);
    this.wasm.glk_free(what, address);
  }

  /**
   * Writes strings into the input buffer: their UTF-8 bytes, and before them a string view of each (address
   * and length, wasm/bindings.cc); returns how many.
   */
  putStrings(strings: readonly string[]): number {
    // 8 bytes for each string's view, at most 3 for each UTF-16 unit.
    let room = strings.length * 8;
    for (const s of strings) room += s.length * 3;
    let view = this.wasm.glk_in(room) >> 2;
    const memory = new Uint8Array(this.wasm.memory.buffer); // a fresh view: growth detached the last one
    const words = new Uint32Array(memory.buffer);
    let at = (view + strings.length * 2) * 4;
    for (const s of strings) {
      words[view++] = at;
      at += words[view++] = encoder.encodeInto(s, memory.subarray(at)).written!;
    }
    return strings.length;
  }

  /** The string whose address an export returned (its length from glk_len). */
  string(address: number): string {
    const bytes = this.bytes(address);
    if (bytes.length > 4096) this.wasm.glk_release(); // do not keep an exposition's worth of wasm heap
    return decoder.decode(bytes);
  }

  /** A copy of the bytes whose address an export returned. */
  bytes(address: number): Uint8Array {
    return new Uint8Array(this.wasm.memory.buffer).slice(address, address + this.wasm.glk_len());
  }

  /** Writes numbers into the number buffer; returns how many. */
  putNumbers(values: readonly number[]): number {
    this.numberBuffer(values.length).set(values);
    return values.length;
  }

  /** The first `count` numbers of the number buffer (an export returned `count`). */
  numbers(count: number): number[] {
    return Array.from(this.numberBuffer(count));
  }

  /** The error in the status text at `address` (an export's answer), or undefined if it is empty (OK). */
  errorAt(address: number): ObservabilityError | undefined {
    const text = this.string(address);
    return text ? statusError(text) : undefined;
  }

  /** Throws the error in the status text at `address`, if there is one. */
  check(address: number): void {
    const error = this.errorAt(address);
    if (error) throw error;
  }

  memoryUse(): MemoryStats {
    return { wasmMemoryBytes: this.wasm.memory.buffer.byteLength, heapInUseBytes: this.wasm.glk_heap_in_use() };
  }

  // The number buffer's first `count` doubles (glk_nums makes room for them).
  numberBuffer(count: number): Float64Array {
    return new Float64Array(this.wasm.memory.buffer, this.wasm.glk_nums(count), count);
  }
}

/** What metrics and registries share: a C++ adapter (wasm/bindings.cc) that the object owns, and its lifetime. */
export abstract class Adapter {
  /** @internal the instance the adapter lives in */
  declare readonly core: WasmCore;
  /** @internal the instance's exports */
  declare readonly wasm: WasmExports;
  /** @internal the adapter's address; 0 once disposed */
  declare address: number;

  /**
   * Owns the new adapter at `address`; or, if the core found an error in its options, frees it and
   * throws that.
   */
  constructor(core: WasmCore, what: typeof METRIC_ADAPTER | typeof REGISTRY_ADAPTER, address: number) {
    const wasm = core.wasm;
    const error = core.errorAt(wasm.glk_error(what, address));
    if (error) {
      wasm.glk_free(what, address);
      throw error;
    }
    core.freeWithOwner(this, what, address);
    this.core = core;
    this.wasm = wasm;
    this.address = address;
  }

  /** @internal the adapter's address, or the error of a disposed metric or registry */
  nativeAddress(): number {
    if (!this.address) throw disposedError(this.name ? `metric ${this.name}` : "registry");
    return this.address;
  }

  dispose(): void {
    const address = this.address;
    if (!address) return;
    this.address = 0;
    this.release();
    this.core.free(this, this.name ? METRIC_ADAPTER : REGISTRY_ADAPTER, address);
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** A metric's name, never empty (the core refuses that); a registry has none. */
  declare readonly name?: string;

  /** @internal frees what the object holds beside its adapter (dispose()) */
  abstract release(): void;
}
