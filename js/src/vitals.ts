/**
 * `@golivekit/observability/vitals`: Core Web Vitals (LCP, INP, CLS) and FCP, TTFB of the page, measured
 * by the `web-vitals` package and recorded into five histograms whose buckets have web.dev's "good" and
 * "poor" thresholds as bounds, so that the share of good page loads is one ratio of two buckets.
 *
 * ```ts
 * import { loadObservability } from "@golivekit/observability";
 * import { recordWebVitals } from "@golivekit/observability/vitals";
 *
 * const obs = await loadObservability();
 * const registry = obs.newRegistry();
 * recordWebVitals(obs, registry);
 * obs.startShipping(registry, { url: "/metrics/ingest" });
 * ```
 *
 * An optional entry: it imports `web-vitals` (an optional peer dependency: `npm install web-vitals`),
 * the default entry and `/inline` do not, so pages that do not record Web Vitals neither need nor ship
 * it. The server declares the same five histograms (C++: `obs::WebVitalsClientMetrics()`).
 *
 * @packageDocumentation
 */
import { onCLS, onFCP, onINP, onLCP, onTTFB } from "web-vitals";

import type { Histogram, Observability, Registry } from "./types.js";

/** What `web-vitals` reports for one metric; only `value` is read. */
export interface WebVitalsReport {
  /** `"LCP"`, `"INP"`, `"CLS"`, `"FCP"` or `"TTFB"`. */
  readonly name: string;
  /** Milliseconds (LCP, INP, FCP, TTFB) or the unitless layout-shift score (CLS). */
  readonly value: number;
}

/** One of `web-vitals`' `onLCP`, `onINP`, …: calls `callback` with each report. */
export type WebVitalsListener = (
  callback: (report: WebVitalsReport) => void,
  opts?: { reportAllChanges?: boolean },
) => void;

/** The five functions of `web-vitals` (v6) that {@link recordWebVitals} uses. */
export interface WebVitalsFunctions {
  onLCP: WebVitalsListener;
  onINP: WebVitalsListener;
  onCLS: WebVitalsListener;
  onFCP: WebVitalsListener;
  onTTFB: WebVitalsListener;
}

/** Options of {@link recordWebVitals}. */
export interface WebVitalsOpts {
  /**
   * The functions to listen with, instead of the imported `web-vitals` package: another version of it,
   * its `web-vitals/attribution` build, or a fake in tests. Called even where there is no `document`.
   */
  webVitals?: WebVitalsFunctions;
}

/** The histograms {@link recordWebVitals} registered, one per metric; no labels. */
export interface WebVitalsHistograms {
  /** `golivekit_client_web_vitals_lcp_seconds`: Largest Contentful Paint. */
  readonly lcp: Histogram;
  /** `golivekit_client_web_vitals_inp_seconds`: Interaction to Next Paint. */
  readonly inp: Histogram;
  /** `golivekit_client_web_vitals_cls`: Cumulative Layout Shift (unitless). */
  readonly cls: Histogram;
  /** `golivekit_client_web_vitals_fcp_seconds`: First Contentful Paint. */
  readonly fcp: Histogram;
  /** `golivekit_client_web_vitals_ttfb_seconds`: Time to First Byte. */
  readonly ttfb: Histogram;
}

/** The declaration of one Web Vitals histogram: what the server must declare to accept it. */
export interface WebVitalsMetric {
  /** Which member of {@link WebVitalsHistograms} it is. */
  readonly key: keyof WebVitalsHistograms;
  /** Full metric name (a registry namespace would prefix it). */
  readonly name: string;
  /** HELP text (the server's declaration decides what its `/metrics` shows). */
  readonly help: string;
  /** Bucket upper bounds (`+Inf` implied); the thresholds of web.dev are among them. */
  readonly buckets: readonly number[];
}

/**
 * The five histograms, in the order LCP, INP, CLS, FCP, TTFB. The same names, HELP texts and buckets as
 * the server-side `obs::WebVitalsClientMetrics()` (C++, `<golivekit/observability/web_vitals.h>`).
 */
export const WEB_VITALS_METRICS: readonly WebVitalsMetric[] = Object.freeze([
  Object.freeze({
    key: "lcp",
    name: "golivekit_client_web_vitals_lcp_seconds",
    help: "Largest Contentful Paint of page loads, in seconds (web.dev: good <= 2.5, poor > 4).",
    buckets: Object.freeze([0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10]),
  }),
  Object.freeze({
    key: "inp",
    name: "golivekit_client_web_vitals_inp_seconds",
    help: "Interaction to Next Paint of page views, in seconds (web.dev: good <= 0.2, poor > 0.5).",
    buckets: Object.freeze([0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2]),
  }),
  Object.freeze({
    key: "cls",
    name: "golivekit_client_web_vitals_cls",
    help: "Cumulative Layout Shift of page views, unitless (web.dev: good <= 0.1, poor > 0.25).",
    buckets: Object.freeze([0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1]),
  }),
  Object.freeze({
    key: "fcp",
    name: "golivekit_client_web_vitals_fcp_seconds",
    help: "First Contentful Paint of page loads, in seconds (web.dev: good <= 1.8, poor > 3).",
    buckets: Object.freeze([0.5, 1, 1.5, 1.8, 2.5, 3, 4, 6]),
  }),
  Object.freeze({
    key: "ttfb",
    name: "golivekit_client_web_vitals_ttfb_seconds",
    help: "Time to First Byte of page loads, in seconds (web.dev: good <= 0.8, poor > 1.8).",
    buckets: Object.freeze([0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.4, 1.8, 3]),
  }),
] as const);

const LISTENER_OF = { lcp: "onLCP", inp: "onINP", cls: "onCLS", fcp: "onFCP", ttfb: "onTTFB" } as const;

/**
 * Creates the five Web Vitals histograms (see {@link WEB_VITALS_METRICS}), registers them in `registry`
 * and starts listening with `web-vitals` (`reportAllChanges: false`: one report per metric and page
 * view, LCP when the user first interacts or the page is hidden, INP and CLS when it is hidden).
 * Milliseconds become seconds; CLS is observed as reported. A value that is negative or not finite is
 * ignored.
 *
 * `web-vitals` needs a page: where there is no `document` (Node, workers) the histograms are registered
 * but nothing is listened to, unless `opts.webVitals` supplies the functions. `web-vitals` cannot stop
 * listening: call this once per page (a second call on the same registry throws, the names being taken).
 *
 * Throws an `ObservabilityError` (`"ALREADY_EXISTS"`, …) if the registry refuses one of the histograms
 * (none stays registered then), and a `TypeError` if `opts.webVitals` lacks one of the five functions.
 * Thread-safety: as the rest of the API, for the thread (page, worker) that loaded `obs`.
 */
export function recordWebVitals(obs: Observability, registry: Registry, opts: WebVitalsOpts = {}): WebVitalsHistograms {
  const supplied = opts.webVitals;
  if (supplied !== undefined) {
    for (const fn of Object.values(LISTENER_OF)) {
      if (typeof supplied[fn] !== "function") throw new TypeError(`recordWebVitals: opts.webVitals.${fn} is not a function`);
    }
  }
  const fns: WebVitalsFunctions | undefined =
    supplied ?? (typeof document === "undefined" ? undefined : { onLCP, onINP, onCLS, onFCP, onTTFB });

  const made: Histogram[] = [];
  const registered: Histogram[] = [];
  try {
    for (const m of WEB_VITALS_METRICS) {
      const h = obs.newHistogram({ name: m.name, help: m.help, buckets: m.buckets });
      made.push(h);
      registered.push(registry.register(h));
    }
  } catch (e) {
    for (const h of registered) registry.unregister(h);
    for (const h of made) h.dispose();
    throw e;
  }
  const [lcp, inp, cls, fcp, ttfb] = made as [Histogram, Histogram, Histogram, Histogram, Histogram];
  const histograms: WebVitalsHistograms = { lcp, inp, cls, fcp, ttfb };

  if (fns !== undefined) {
    for (const m of WEB_VITALS_METRICS) {
      const h = histograms[m.key];
      const divisor = m.key === "cls" ? 1 : 1000; // a division: 2500 / 1000 is exactly the bound 2.5
      fns[LISTENER_OF[m.key]]((report) => {
        const v = report.value;
        if (typeof v === "number" && Number.isFinite(v) && v >= 0) h.observe(v / divisor);
      }, { reportAllChanges: false });
    }
  }
  return histograms;
}
