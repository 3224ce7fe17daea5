#pragma once
/// \file
/// \brief Web Vitals of the browser as client metrics: the server-side declarations of the five
/// histograms that `@golivekit/observability/vitals` (`recordWebVitals`) records in each page.
///
/// \code
/// obs::ClientMetricsOpts opts;
/// opts.metrics = obs::WebVitalsClientMetrics();            // LCP, INP, CLS, FCP, TTFB
/// opts.metrics.push_back({.name = "golivekit_client_events_total", …});  // the app's own
/// auto client = obs::NewClientMetrics(std::move(opts));
/// registry->Register(client);
/// \endcode
///
/// The bucket bounds include web.dev's thresholds between "good", "needs improvement" and "poor", so the
/// share of good page views is one bucket over the count, e.g. for LCP
/// `…_lcp_seconds_bucket{le="2.5"} / …_lcp_seconds_count`. The names, HELP texts and buckets are those
/// of `WEB_VITALS_METRICS` in the npm package, which the build generates from here. A browser registry
/// with a namespace or constant labels exposes other names or labels: adjust the returned declarations
/// (`name`, `labels`) to match.
/// Details: docs/api-js.md, "Web Vitals".
///
/// Thread-safety: every function here is pure and may be called from any thread.
#include <string_view>
#include <vector>

#include "golivekit/observability/client_metrics.h"

namespace golivekit::observability {

/// The metric names (no labels; counted in seconds, CLS unitless).
inline constexpr std::string_view kWebVitalsLcpName = "golivekit_client_web_vitals_lcp_seconds";
inline constexpr std::string_view kWebVitalsInpName = "golivekit_client_web_vitals_inp_seconds";
inline constexpr std::string_view kWebVitalsClsName = "golivekit_client_web_vitals_cls";
inline constexpr std::string_view kWebVitalsFcpName = "golivekit_client_web_vitals_fcp_seconds";
inline constexpr std::string_view kWebVitalsTtfbName = "golivekit_client_web_vitals_ttfb_seconds";

/// The native bucket factor of the five histograms (beside the classic buckets): about 9 % per bucket.
inline constexpr double kWebVitalsNativeBucketFactor = 1.1;

/// Largest Contentful Paint, seconds: .5 1 1.5 2 2.5 3 4 5 7.5 10 (good <= 2.5, poor > 4).
std::vector<double> WebVitalsLcpBuckets();
/// Interaction to Next Paint, seconds: .05 .1 .2 .3 .5 .75 1 2 (good <= 0.2, poor > 0.5).
std::vector<double> WebVitalsInpBuckets();
/// Cumulative Layout Shift, unitless: .01 .05 .1 .15 .25 .5 1 (good <= 0.1, poor > 0.25).
std::vector<double> WebVitalsClsBuckets();
/// First Contentful Paint, seconds: .5 1 1.5 1.8 2.5 3 4 6 (good <= 1.8, poor > 3).
std::vector<double> WebVitalsFcpBuckets();
/// Time to First Byte, seconds: .1 .2 .4 .6 .8 1 1.4 1.8 3 (good <= 0.8, poor > 1.8).
std::vector<double> WebVitalsTtfbBuckets();

/// The five declarations, in the order LCP, INP, CLS, FCP, TTFB: histograms without labels, with the
/// buckets above and HELP texts stating the unit and the thresholds (default max_series), and what one
/// batch may contribute to each: 100 observations, of at most 600 s on average (CLS: 100). Put them in
/// ClientMetricsOpts::metrics, alone or with the application's own declarations.
std::vector<ClientMetricDecl> WebVitalsClientMetrics();

}  // namespace golivekit::observability
