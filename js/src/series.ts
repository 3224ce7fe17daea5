// Series handles: one series of a metric, what withLabels returns (a metric without labels keeps its
// only one). Each wraps the address of a C++ series handle. A histogram update is one wasm call with
// that address and a double (a few ns). A counter or gauge update makes no call at all: it adds to a
// number of the handle (`pending`), and the handle joins the instance's queue the first time; before
// any call into the module the queue is flushed into the doubles of the C++ cells, in the module's
// memory (WasmCore.flushQueue; wasm/hot_paths.cc says why writing them is sound). So the core reads every
// update at gather time as ever, and an update costs what a JS property update does: a double in
// memory, updated in a loop, waits on the previous store every time (~3.5 ns in V8), a field does not.
import { HISTOGRAM, type MetricKind, STAMP_WORDS_BACK } from "./constants.js";
import { disposedError } from "./errors.js";
import type { CounterChild, GaugeChild, HistogramChild } from "./types.js";
import type { WasmCore } from "./wasm-core.js";
import type { HeapView, WasmExports } from "./wasm-module.js";

export abstract class SeriesHandle {
  /** @internal the C++ handle's address; 0 once freed with its metric */
  declare protected address: number;
  /** @internal the instance, on the prototype (see WasmCore's constructor) */
  declare protected readonly core: WasmCore;
  /** @internal the instance's exports, on the prototype */
  declare protected readonly wasm: WasmExports;
  /** @internal the metric kind of the handle, on the prototype */
  declare protected readonly kind: MetricKind;
  /** @internal counters and gauges: the index in heap.f64 of the cell's double; 0 once freed */
  declare protected cell: number;
  /** @internal counters and gauges: what updates added since the last flush, not yet in the cell */
  protected pending = 0;
  /** @internal gauges: in the instance's queue (a counter is queued exactly when pending > 0) */
  protected queued = false;

  constructor(address: number) {
    this.address = address;
    this.core.freeWithOwner(this, this.kind, address);
    this.cell = this.kind === HISTOGRAM ? 0 : this.wasm.glk_cell(this.kind, address) >>> 3;
  }

  /** @internal frees the C++ handle now (the metric is disposed); later updates throw */
  free(): void {
    const address = this.address;
    if (!address) return;
    this.core.flushQueue(); // the series outlives its handle when the metric is registered
    this.address = 0;
    this.cell = 0;
    this.core.free(this, this.kind, address);
  }

  /**
   * @internal adds what is pending to the cell (WasmCore.flushQueue, with the memory's current views),
   * and marks the series updated
   */
  flushInto(heap: HeapView): void {
    const cell = this.cell;
    if (cell !== 0) {
      heap.f64[cell]! += this.pending;
      heap.u32[2 * cell - STAMP_WORDS_BACK] = 0;
    }
    this.pending = 0;
    this.queued = false;
  }

  /** @internal the first update since a flush: joins the queue, unless the handle is freed */
  protected enqueue(what: string): void {
    if (this.cell === 0) throw disposedError(what);
    this.queued = true;
    this.core.updated.push(this);
  }
}

export class CounterSeries extends SeriesHandle implements CounterChild {
  // A counter's pending amount only grows, so it is 0 exactly when the handle is not queued (one test
  // per update instead of two).
  inc(): void {
    const pending = this.pending;
    if (pending === 0) this.enqueue("counter series");
    this.pending = pending + 1;
  }
  add(value: number): void {
    if (!(value > 0)) {
      if (value !== 0) {
        throw new RangeError(`counter: cannot decrease (add(${value})): the amount must be >= 0 and not NaN`);
      }
      if (this.cell === 0) throw disposedError("counter series");
      return;
    }
    const pending = this.pending;
    if (pending === 0) this.enqueue("counter series");
    this.pending = pending + value;
  }
  value(): number {
    return this.address && this.wasm.glk_counter_value(this.address);
  }
}

export class GaugeSeries extends SeriesHandle implements GaugeChild {
  // A set() replaces what was pending; it writes the cell at once (a gauge is set less often than a
  // counter is incremented).
  set(value: number): void {
    const cell = this.cell;
    if (cell === 0) throw disposedError("gauge series");
    const heap = this.core.heap;
    heap.f64[cell] = value;
    heap.u32[2 * cell - STAMP_WORDS_BACK] = 0; // updated, for series lifetimes (CellBase::idle_since)
    this.pending = 0;
  }
  add(value: number): void {
    if (!this.queued) this.enqueue("gauge series");
    this.pending += value;
  }
  inc(): void {
    this.add(1);
  }
  dec(): void {
    this.add(-1);
  }
  sub(value: number): void {
    this.add(-value);
  }
  setToCurrentTime(): void {
    this.set(Date.now() / 1000);
  }
  value(): number {
    return this.address && this.wasm.glk_gauge_value(this.address);
  }
}

export class HistogramSeries extends SeriesHandle implements HistogramChild {
  observe(value: number): void {
    const address = this.address;
    if (address === 0) throw disposedError("histogram series");
    this.wasm.glk_histogram_observe(address, value);
  }
  count(): number {
    return this.address && this.wasm.glk_histogram_count(this.address);
  }
  sum(): number {
    return this.address && this.wasm.glk_histogram_sum(this.address);
  }
}

export type SeriesClass = new (address: number) => SeriesHandle;
