// The same page with OpenTelemetry's metrics SDK, for npm.page_size's comparison: a meter provider, a
// periodic reader and the OTLP/HTTP exporter; a counter with an attribute, a gauge, and the latency
// histogram with explicit buckets (ours' classic) and as an exponential histogram (ours' native).
import { AggregationType, MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { OTLPMetricExporter } from "@opentelemetry/exporter-metrics-otlp-http";

const reader = new PeriodicExportingMetricReader({
  exporter: new OTLPMetricExporter({ url: "/v1/metrics" }),
  exportIntervalMillis: 10_000,
});
const provider = new MeterProvider({
  readers: [reader],
  views: [
    { instrumentName: "page_event_latency_seconds" },
    {
      instrumentName: "page_event_latency_seconds",
      name: "page_event_latency_seconds_exponential",
      aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM, options: { maxSize: 160 } },
    },
  ],
});
const meter = provider.getMeter("page");
const clicks = meter.createCounter("page_clicks_total", { description: "Clicks." });
const visible = meter.createGauge("page_visible", { description: "Whether the page is visible." });
const latency = meter.createHistogram("page_event_latency_seconds", {
  description: "Time to handle a click.",
  unit: "s",
  advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] },
});

function onClick(button) {
  const t0 = performance.now();
  clicks.add(1, { button });
  latency.record((performance.now() - t0) / 1000 + 0.003);
}
document.addEventListener("click", (e) => onClick(e.target.id || "none"));
visible.record(document.visibilityState === "visible" ? 1 : 0);

for (const button of ["save", "save", "open"]) onClick(button);
reader.forceFlush().then(
  () => (window.__result = { ok: true, result: {} }),
  (err) => (window.__result = { ok: false, error: String(err?.stack ?? err) }),
);
