// Must NOT type-check: tests/npm/typescript_strict.mjs runs tsc on it to prove tsc really checks
// against the installed package's types (a wrong argument type is reported, TS2322).
import { loadObservability } from "@golivekit/observability";

export async function broken(): Promise<void> {
  const obs = await loadObservability();
  obs.newCounter({ name: 42 });
}
