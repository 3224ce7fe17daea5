#include "golivekit/observability/web_vitals.h"

#include <string>
#include <string_view>
#include <utility>

namespace golivekit::observability {

// The npm package's WEB_VITALS_METRICS (js/src/vitals.ts) is generated from WebVitalsClientMetrics() by
// the wasm build (wasm/js_constants.cc): a browser and a server that disagreed on buckets would have
// their families skipped (bucket_mismatch). Native buckets (factor 1.1) beside web.dev's thresholds as
// classic bounds: the thresholds give the share of good page loads, the native buckets any quantile.

std::vector<double> WebVitalsLcpBuckets() { return {0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10}; }
std::vector<double> WebVitalsInpBuckets() { return {0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2}; }
std::vector<double> WebVitalsClsBuckets() { return {0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1}; }
std::vector<double> WebVitalsFcpBuckets() { return {0.5, 1, 1.5, 1.8, 2.5, 3, 4, 6}; }
std::vector<double> WebVitalsTtfbBuckets() { return {0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.4, 1.8, 3}; }

// What one batch may contribute (docs/merge.md, "Bounded influence"): a page reports each vital once,
// or a few times as INP and CLS are revised, so a batch brings a handful of observations; the largest
// plausible value is a 10-minute load (CLS: a shift score of 100, where 0.25 is already poor).
std::vector<ClientMetricDecl> WebVitalsClientMetrics() {
  const auto histogram = [](std::string_view name, std::string help, std::vector<double> buckets,
                            double max_abs_observation = 600) {
    return ClientMetricDecl{.name = std::string(name),
                            .help = std::move(help),
                            .type = MetricType::kHistogram,
                            .buckets = std::move(buckets),
                            .native_bucket_factor = kWebVitalsNativeBucketFactor,
                            .max_observations = 100,
                            .max_abs_observation = max_abs_observation};
  };
  return {
      histogram(kWebVitalsLcpName,
                "Largest Contentful Paint of page loads, in seconds (web.dev: good <= 2.5, poor > 4).",
                WebVitalsLcpBuckets()),
      histogram(kWebVitalsInpName,
                "Interaction to Next Paint of page views, in seconds (web.dev: good <= 0.2, poor > 0.5).",
                WebVitalsInpBuckets()),
      histogram(kWebVitalsClsName,
                "Cumulative Layout Shift of page views, unitless (web.dev: good <= 0.1, poor > 0.25).",
                WebVitalsClsBuckets(), 100),
      histogram(kWebVitalsFcpName,
                "First Contentful Paint of page loads, in seconds (web.dev: good <= 1.8, poor > 3).",
                WebVitalsFcpBuckets()),
      histogram(kWebVitalsTtfbName,
                "Time to First Byte of page loads, in seconds (web.dev: good <= 0.8, poor > 1.8).",
                WebVitalsTtfbBuckets()),
  };
}

}  // namespace golivekit::observability
