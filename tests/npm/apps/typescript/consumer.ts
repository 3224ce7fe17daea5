// A strict TypeScript consumer of the default entry. Type-checked only (tsc -p, noEmit). Every
// `@ts-expect-error` must be needed: tsc fails on an unused one, so these lines prove the types reject
// the misuse.
import { loadObservability, ObservabilityError, VERSION } from "@golivekit/observability";
import type {
  AnyMetric,
  Counter,
  CounterChild,
  Gauge,
  Histogram,
  HistogramChild,
  HistogramOpts,
  LabelValue,
  LoadOptions,
  MemoryStats,
  Observability,
  ObservabilityErrorCode,
  ObservabilityErrorLike,
  Registry,
  RegistryOpts,
  Timer,
} from "@golivekit/observability";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

export async function run(options?: LoadOptions): Promise<string> {
  const obs: Observability = await loadObservability(options);
  const opts: RegistryOpts = { namespace: "shop", constLabels: { env: "test" }, includeRuntimeMetrics: true };
  using registry: Registry = obs.newRegistry(opts);

  const clicks = registry.register(obs.newCounter({ name: "clicks_total", help: "Clicks.", labels: ["button"] }));
  expectType<Equal<typeof clicks, Counter>>(true);
  const buy: CounterChild = clicks.withLabels("buy");
  buy.inc();
  buy.add(2);
  const label: LabelValue = 404;
  clicks.withLabels(label).inc();
  clicks.withLabels(true).inc();

  const lat = registry.register(
    obs.newHistogram({ name: "latency_seconds", help: "L.", buckets: obs.exponentialBuckets(0.01, 2, 5) }),
  );
  expectType<Equal<typeof lat, Histogram>>(true);
  lat.observe(0.3);
  const timer: Timer = obs.newTimer(lat);
  const seconds: number = timer.observeDuration();
  const child: HistogramChild = lat.withLabels();
  obs.newTimer(child).elapsed();
  const bounds: readonly number[] = lat.buckets;
  const nativeOpts: HistogramOpts = {
    name: "size_bytes",
    buckets: [],
    nativeBucketFactor: 1.1,
    nativeZeroThreshold: 1e-9,
    nativeMaxBuckets: 100,
  };
  registry.register(obs.newHistogram(nativeOpts)).observe(0);

  const g: Gauge = registry.register(obs.newGauge({ name: "temp" }));
  g.set(3);
  g.dec();
  g.setToCurrentTime();

  const any: AnyMetric[] = [clicks, lat, g];
  const removed: boolean = registry.unregister(g);
  const stats: MemoryStats = obs.memoryStats();

  // noUncheckedIndexedAccess: indexing a readonly number[] gives number | undefined.
  const first = obs.defaultBuckets[0];
  expectType<Equal<typeof first, number | undefined>>(true);
  // @ts-expect-error -- number | undefined is not a number
  const firstAsNumber: number = obs.defaultBuckets[0];

  // @ts-expect-error -- a metric name is a string
  obs.newCounter({ name: 42 });
  // @ts-expect-error -- name is required
  obs.newGauge({ help: "no name" });
  // @ts-expect-error -- only "text" and "openmetrics"
  registry.expose("json");
  // @ts-expect-error -- defaultBuckets is readonly
  obs.defaultBuckets.push(1);
  // @ts-expect-error -- a registry takes metrics, not numbers
  registry.register(123);
  // @ts-expect-error -- label values are strings, numbers or booleans
  clicks.withLabels({ button: "buy" });
  // @ts-expect-error -- constLabels values are strings
  obs.newRegistry({ constLabels: { env: 1 } });
  // @ts-expect-error -- native options are numbers
  obs.newHistogram({ name: "n", nativeBucketFactor: "1.1" });
  // @ts-expect-error -- a counter has no set()
  clicks.set(1);
  // @ts-expect-error -- version is readonly
  obs.version = "2";

  try {
    buy.add(-1);
  } catch (e: unknown) {
    if (e instanceof ObservabilityError) {
      const code: string = e.code;
      const typed: ObservabilityErrorCode = e.code;
      const like: ObservabilityErrorLike = e;
      const refused: ObservabilityErrorCode = "HTTP_400";
      // @ts-expect-error -- codes are the core's status names, upper case
      const wrong: ObservabilityErrorCode = "invalid_argument";
      const err: Error = e;
      return `${code} ${typed} ${like.code} ${refused} ${wrong} ${err.message}`;
    }
    if (e instanceof RangeError) return e.message;
  }

  const text: string = registry.expose();
  const om: string = registry.expose("openmetrics");
  clicks.dispose();
  clicks[Symbol.dispose]();
  return [VERSION, text, om, seconds, bounds.length, any.length, removed, stats.wasmMemoryBytes, firstAsNumber].join("\n");
}
