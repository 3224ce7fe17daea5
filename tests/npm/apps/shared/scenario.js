// The API walk-through every consumer (Node, the Vite and esbuild pages) runs against the installed
// package. It only records what happened (JSON-serializable); tests/npm/lib.mjs checkScenario() judges
// it, so that the browser pages and Node are held to the same expectations.

function describeError(fn) {
  try {
    fn();
  } catch (e) {
    return {
      threw: true,
      name: e?.name ?? typeof e, // Error#name (constructor names do not survive minification)
      message: String(e?.message ?? e),
      code: e?.code ?? null,
      isError: e instanceof Error,
      isObservabilityError: false, // filled in by the caller (needs the entry's class)
      isRangeError: e instanceof RangeError,
      error: e,
    };
  }
  return { threw: false };
}

export async function runScenario(entry, { loadObservability, ObservabilityError, VERSION }) {
  const caught = (fn) => {
    const r = describeError(fn);
    if (r.threw) r.isObservabilityError = r.error instanceof ObservabilityError;
    delete r.error;
    return r;
  };

  const obs = await loadObservability();
  const again = await loadObservability();

  const registry = obs.newRegistry({ namespace: "shop", constLabels: { env: "test" }, includeRuntimeMetrics: true });
  const clicks = registry.register(obs.newCounter({ name: "clicks_total", help: "Clicks.", labels: ["button"] }));
  clicks.withLabels("buy").inc();
  clicks.withLabels("buy").add(2);
  const sell = clicks.withLabels("sell");
  sell.inc();

  const errors = registry.register(obs.newCounter({ name: "errors_total", help: 'E "x" \\ y\nz', labels: ["msg"] }));
  errors.withLabels('a"b\\c\nd é').inc();
  errors.withLabels(404).inc();
  errors.withLabels(true).add(0.5);

  const lat = registry.register(
    obs.newHistogram({ name: "latency_seconds", help: "L.", buckets: obs.exponentialBuckets(0.01, 2, 5) }),
  );
  lat.observe(0.25);
  lat.observe(0.015625);

  const temp = registry.register(obs.newGauge({ name: "temp" }));
  temp.set(3);
  temp.dec();

  // The timer's duration is not deterministic: it gets a histogram (and registry) of its own.
  const timerRegistry = obs.newRegistry();
  const op = timerRegistry.register(obs.newHistogram({ name: "op_seconds", help: "Op." }));
  const timer = obs.newTimer(op);
  const elapsed = timer.observeDuration();

  const errorsSeen = {
    badName: caught(() => obs.newCounter({ name: "bad name" })),
    wrongLabelCount: caught(() => clicks.withLabels("a", "b")),
    negativeAdd: caught(() => clicks.withLabels("buy").add(-1)),
    duplicate: caught(() => registry.register(obs.newCounter({ name: "clicks_total" }))),
    badBuckets: caught(() => obs.exponentialBuckets(0, 2, 3)),
  };

  const text = registry.expose();
  const openmetrics = registry.expose("openmetrics");
  const timerText = timerRegistry.expose();

  const values = {
    buy: clicks.withLabels("buy").value(),
    sell: sell.value(),
    temp: temp.value(),
    latCount: lat.count(),
    latSum: lat.sum(),
    opCount: op.count(),
    elapsed,
    seriesCount: clicks.seriesCount(),
  };

  clicks.dispose();
  clicks.dispose(); // twice is harmless
  const afterDispose = caught(() => clicks.inc());
  registry.dispose();
  const registryAfterDispose = caught(() => registry.expose());
  timerRegistry.dispose();

  return {
    entry,
    version: obs.version,
    exportedVersion: VERSION,
    sharedInstance: obs === again,
    defaultBuckets: [...obs.defaultBuckets],
    linearBuckets: obs.linearBuckets(1, 0.5, 3),
    memoryStats: obs.memoryStats(),
    values,
    errors: errorsSeen,
    afterDispose,
    registryAfterDispose,
    text,
    openmetrics,
    timerText,
  };
}
