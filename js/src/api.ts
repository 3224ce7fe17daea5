// The spec's API over one instance of the WebAssembly module: what loadObservability() resolves to.
//
// Cost model (docs/api-js.md): a wasm call with numbers costs a few ns, any string crossing 150-500 ns.
// So counter and gauge updates write their C++ cell in wasm memory directly, a histogram update goes to
// a raw wasm export with the address of a C++ series handle and a double (series.ts), and the strings
// of a label tuple cross only the first time (metrics.ts).
import { COUNTER, GAUGE, HISTOGRAM, MAX_BATCH_BYTES, VERSION } from "./constants.js";
import { ObservabilityError } from "./errors.js";
import { CounterMetric, GaugeMetric, HistogramMetric } from "./metrics.js";
import { type Exposition, MetricRegistry } from "./registry.js";
import { HistogramSeries } from "./series.js";
import { ship } from "./shipper.js";
import type { Histogram, HistogramChild, Observability, Timer } from "./types.js";
import { WasmCore } from "./wasm-core.js";
import type { HeapView } from "./wasm-module.js";

export { ObservabilityError, VERSION };

/** What client ids need of Web Crypto: random values. */
export interface WebCrypto {
  getRandomValues(array: Uint32Array): Uint32Array;
}

const now = (): number => (globalThis.performance ?? Date).now();

function newTimer(target: Histogram | HistogramChild): Timer {
  const series = target instanceof HistogramMetric ? target.onlySeries() : target;
  if (!(series instanceof HistogramSeries)) {
    throw new TypeError("newTimer: a histogram (without labels) or a histogram series is required");
  }
  const start = now();
  const elapsed = () => (now() - start) / 1000;
  return {
    elapsed,
    observeDuration() {
      const seconds = elapsed();
      series.observe(seconds);
      return seconds;
    },
  };
}

/**
 * The API over an instance; `crypto` (where there is one) gives shippers their client ids, `exposition`
 * (the entry's: runtime-metrics.ts, or lite-exposition.ts in /lite) what registries add to their exposition.
 */
export function createApi(heap: HeapView, crypto: WebCrypto | undefined, exposition: Exposition): Observability {
  const core = new WasmCore(heap);
  const wasm = core.wasm;
  // A bucket helper over the core's: no bounds means the arguments were refused.
  const bucketHelper = (helper: string, make: (a: number, b: number, count: number) => number, needs: string) =>
    (a: number, b: number, count: number): number[] => {
      const bounds = core.numbers(make(a, b, count));
      if (!bounds.length) throw new ObservabilityError("INVALID_ARGUMENT", `${helper}: ${needs}`);
      return bounds;
    };
  return {
    newRegistry: (opts) => new MetricRegistry(core, opts, exposition),
    newCounter: (opts) => new CounterMetric(core, COUNTER, opts),
    newGauge: (opts) => new GaugeMetric(core, GAUGE, opts),
    newHistogram: (opts) => new HistogramMetric(core, HISTOGRAM, opts),
    newTimer,
    defaultBuckets: Object.freeze(core.numbers(wasm.glk_default_buckets())),
    linearBuckets: bucketHelper("linearBuckets", wasm.glk_linear_buckets, "needs count >= 1 and width > 0"),
    exponentialBuckets: bucketHelper("exponentialBuckets", wasm.glk_exponential_buckets,
      "needs count >= 1, start > 0 and factor > 1"),
    memoryStats: () => core.memoryUse(),
    version: VERSION,
    // One client: its own batch encoder (random id) over the registry, its runtime metrics skipped.
    startShipping(registry, opts) {
      if (!(registry instanceof MetricRegistry) || registry.core !== core) {
        throw new TypeError("startShipping: not a registry of this instance");
      }
      registry.nativeAddress(); // a disposed registry says so here
      if (!crypto) {
        throw new ObservabilityError(
          "FAILED_PRECONDITION",
          "startShipping: no Web Crypto (crypto.getRandomValues) for a client id",
        );
      }
      if (!opts || typeof opts.url !== "string") throw new TypeError("startShipping: options with a url required");
      // The batch encoder (wasm/bindings.cc over the core's BatchEncoder): four random unsigned 32-bit
      // words, whose 128 bits make the client id (32 hex digits); the runtime metrics never shipped.
      const idWords = crypto.getRandomValues(new Uint32Array(4)) as unknown as [number, number, number, number];
      const encoder = wasm.glk_encoder_new(opts.maxBatchBytes ?? MAX_BATCH_BYTES, ...idWords);
      const skip = (names: string[]) => wasm.glk_encoder_skip(encoder, core.putStrings(names));
      skip(registry.runtime?.names ?? []);
      return ship({
        id: core.string(wasm.glk_encoder_client(encoder)),
        encode(final, dropped) {
          const count = wasm.glk_encoder_encode(encoder, registry.nativeAddress(), +final, dropped);
          const batches = Array.from({ length: count }, (_, i) => core.bytes(wasm.glk_encoder_batch(encoder, i)));
          wasm.glk_release();
          return batches;
        },
        skip,
        free: () => wasm.glk_encoder_free(encoder),
      }, opts);
    },
  };
}
