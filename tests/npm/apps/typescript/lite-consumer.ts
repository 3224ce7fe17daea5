// The /lite entry has the same typed API as the default entry (its registries refuse expose() at run
// time, with an ObservabilityError that names the default entry).
import { loadObservability, ObservabilityError } from "@golivekit/observability/lite";
import type { Observability as LiteObservability, Histogram } from "@golivekit/observability/lite";
import type { Observability } from "@golivekit/observability";
import * as defaultEntry from "@golivekit/observability";
import * as liteEntry from "@golivekit/observability/lite";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

expectType<Equal<LiteObservability, Observability>>(true);
expectType<Equal<typeof liteEntry.loadObservability, typeof defaultEntry.loadObservability>>(true);
expectType<Equal<typeof liteEntry.ObservabilityError, typeof defaultEntry.ObservabilityError>>(true);

export async function runLite(): Promise<number> {
  const obs = await loadObservability();
  const registry = obs.newRegistry();
  const h: Histogram = registry.register(obs.newHistogram({ name: "latency_seconds", nativeBucketFactor: 1.1 }));
  h.observe(0.2);
  // @ts-expect-error -- a shipper needs a url
  obs.startShipping(registry, {});
  const shipper = obs.startShipping(registry, { url: "/metrics/ingest" });
  await shipper.stop();
  try {
    registry.expose();
  } catch (e) {
    if (e instanceof ObservabilityError && e.code === "FAILED_PRECONDITION") return h.count();
  }
  return -1;
}
