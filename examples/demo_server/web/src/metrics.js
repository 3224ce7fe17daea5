// The browser side of the GoliveKit metrics, as this page records them. demo_server declares each one
// (examples/demo_server/main.cc, NewDemoClientMetrics) with the same names, labels and buckets: the
// event latency with the default buckets and native buckets (factor 1.1), render and message sizes with
// those of their server-side counterparts (golivekit_render_latency_seconds, golivekit_message_size_bytes).

/** golivekit_render_latency_seconds' buckets (server: GoliveKitRenderLatencyBuckets). */
export const RENDER_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/** Creates the page's metrics in `registry`; returns their handles. */
export function registerClientMetrics(obs, registry) {
  const add = (m) => registry.register(m);
  return {
    events: add(obs.newCounter({ name: "golivekit_client_events_total", help: "Events the browser sent, by event.", labels: ["event"] })),
    eventLatency: add(
      obs.newHistogram({
        name: "golivekit_client_event_latency_seconds",
        help: "Time from a user event to the server's reply applied to the page, as the browser saw it.",
        labels: ["event"],
        buckets: obs.defaultBuckets,
        nativeBucketFactor: 1.1,
      }),
    ),
    render: add(
      obs.newHistogram({
        name: "golivekit_client_render_seconds",
        help: "Time to apply a render or a diff to the page's DOM, by component.",
        labels: ["component"],
        buckets: RENDER_BUCKETS,
      }),
    ),
    messageSize: add(
      obs.newHistogram({
        name: "golivekit_client_message_size_bytes",
        help: "Sizes of the LiveView messages the browser sent and received.",
        labels: ["direction"],
        // golivekit_message_size_bytes' buckets (server: GoliveKitSizeBuckets): 32 B … 1 MiB.
        buckets: obs.exponentialBuckets(32, 2, 16),
      }),
    ),
    errors: add(
      obs.newCounter({
        name: "golivekit_client_errors_total",
        help: "Errors seen in the browser, by type (network, http, server, script).",
        labels: ["type"],
      }),
    ),
    openViews: add(obs.newGauge({ name: "golivekit_client_open_views", help: "Views open in browsers (sum over live clients)." })),
  };
}
