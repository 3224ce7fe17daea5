// The /inline entry has the same typed API as the default entry.
import { loadObservability, ObservabilityError } from "@golivekit/observability/inline";
import type { Observability as InlineObservability, Counter } from "@golivekit/observability/inline";
import type { Observability } from "@golivekit/observability";
import * as defaultEntry from "@golivekit/observability";
import * as inlineEntry from "@golivekit/observability/inline";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<T extends true>(_: T): void {}

expectType<Equal<InlineObservability, Observability>>(true);
expectType<Equal<typeof inlineEntry.loadObservability, typeof defaultEntry.loadObservability>>(true);
expectType<Equal<typeof inlineEntry.ObservabilityError, typeof defaultEntry.ObservabilityError>>(true);

export async function runInline(bytes: Uint8Array): Promise<string> {
  const obs = await loadObservability({ wasmBinary: bytes });
  const registry = obs.newRegistry();
  const c: Counter = registry.register(obs.newCounter({ name: "x_total", labels: ["a", "b"] }));
  c.withLabels("1", 2).inc();
  // @ts-expect-error -- wasmBinary is bytes, not a string
  await loadObservability({ wasmBinary: "AGFzbQ==" });
  // @ts-expect-error -- a counter's value() is a number
  const s: string = c.value();
  try {
    registry.register(obs.newCounter({ name: "bad name" }));
  } catch (e) {
    if (e instanceof ObservabilityError) return e.code;
  }
  registry.dispose();
  return `${registry.expose()}${s}`;
}
