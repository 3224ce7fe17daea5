// Web Vitals client metrics (web_vitals.h): the five declarations, their buckets (web.dev's thresholds
// are bounds), and a round trip: a browser-side registry with the same histograms, encoded by a
// BatchEncoder, is accepted and merged by a ClientMetrics built from the declarations.
#include "golivekit/observability/web_vitals.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "golivekit/observability/client_batch.h"
#include "golivekit/observability/client_metrics.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

using glk_obs_test::FindFamily;

struct Expected {
  std::string name;
  std::vector<double> buckets;
  double good;  // web.dev: good <= this
  double poor;  // web.dev: poor > this
};

// The contract (docs/api-js.md, "Web Vitals"; js/src/vitals.ts has the same list).
const std::vector<Expected>& Table() {
  static const std::vector<Expected> table = {
      {"golivekit_client_web_vitals_lcp_seconds", {0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7.5, 10}, 2.5, 4},
      {"golivekit_client_web_vitals_inp_seconds", {0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2}, 0.2, 0.5},
      {"golivekit_client_web_vitals_cls", {0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1}, 0.1, 0.25},
      {"golivekit_client_web_vitals_fcp_seconds", {0.5, 1, 1.5, 1.8, 2.5, 3, 4, 6}, 1.8, 3},
      {"golivekit_client_web_vitals_ttfb_seconds", {0.1, 0.2, 0.4, 0.6, 0.8, 1, 1.4, 1.8, 3}, 0.8, 1.8},
  };
  return table;
}

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The browser side: a registry holding the five histograms as recordWebVitals makes them.
struct Browser {
  std::shared_ptr<obs::Registry> registry = obs::NewRegistry();
  std::vector<std::shared_ptr<obs::Histogram>> histograms;
  Browser() {
    for (const obs::ClientMetricDecl& d : obs::WebVitalsClientMetrics()) {
      // As the npm package's /vitals entry makes them: the declared classic bounds and native buckets.
      histograms.push_back(obs::NewHistogram({.name = d.name,
                                              .help = "client-side help",
                                              .buckets = d.buckets,
                                              .native_bucket_factor = d.native_bucket_factor}));
      REQUIRE(registry->Register(histograms.back()).ok());
    }
  }
};

}  // namespace

TEST_SUITE("web_vitals") {
  TEST_CASE("five label-less histograms with the contract's names and buckets") {
    const std::vector<obs::ClientMetricDecl> decls = obs::WebVitalsClientMetrics();
    REQUIRE(decls.size() == Table().size());
    for (std::size_t i = 0; i < decls.size(); ++i) {
      const obs::ClientMetricDecl& d = decls[i];
      const Expected& e = Table()[i];
      CAPTURE(d.name);
      CHECK(d.name == e.name);
      CHECK(d.type == obs::MetricType::kHistogram);
      CHECK(d.labels.empty());
      CHECK(d.buckets == e.buckets);
      CHECK(std::is_sorted(d.buckets.begin(), d.buckets.end()));
      CHECK(std::adjacent_find(d.buckets.begin(), d.buckets.end()) == d.buckets.end());
      // Both thresholds are bounds: "good" is the le=<good> bucket, "poor" is count minus le=<poor>.
      CHECK(std::find(d.buckets.begin(), d.buckets.end(), e.good) != d.buckets.end());
      CHECK(std::find(d.buckets.begin(), d.buckets.end(), e.poor) != d.buckets.end());
      // HELP states the unit and the thresholds.
      CHECK(Contains(d.help, d.name.ends_with("_seconds") ? "in seconds" : "unitless"));
      CHECK(Contains(d.help, "good <= "));
      CHECK(Contains(d.help, "poor > "));
    }
    CHECK(obs::WebVitalsLcpBuckets() == Table()[0].buckets);
    CHECK(obs::WebVitalsInpBuckets() == Table()[1].buckets);
    CHECK(obs::WebVitalsClsBuckets() == Table()[2].buckets);
    CHECK(obs::WebVitalsFcpBuckets() == Table()[3].buckets);
    CHECK(obs::WebVitalsTtfbBuckets() == Table()[4].buckets);
    CHECK(decls[0].name == obs::kWebVitalsLcpName);
    CHECK(decls[1].name == obs::kWebVitalsInpName);
    CHECK(decls[2].name == obs::kWebVitalsClsName);
    CHECK(decls[3].name == obs::kWebVitalsFcpName);
    CHECK(decls[4].name == obs::kWebVitalsTtfbName);
  }

  TEST_CASE("the declarations are valid client metrics and valid histogram layouts") {
    auto client = obs::NewClientMetrics({.metrics = obs::WebVitalsClientMetrics()});
    CHECK(client->status().ok());
    auto registry = obs::NewRegistry();
    CHECK(registry->Register(client).ok());
    for (const obs::ClientMetricDecl& d : obs::WebVitalsClientMetrics()) {
      CHECK(d.native_bucket_factor == obs::kWebVitalsNativeBucketFactor);
      auto h = obs::NewHistogram({.name = d.name,
                                  .help = d.help,
                                  .buckets = d.buckets,
                                  .native_bucket_factor = d.native_bucket_factor});
      CHECK_MESSAGE(h->status().ok(), d.name);
    }
  }

  TEST_CASE("a batch from a browser registry with the same histograms is accepted and merged") {
    Browser a;
    Browser b;
    // Page A: a good LCP exactly on the threshold, a poor INP; page B: a "needs improvement" LCP.
    a.histograms[0]->Observe(2.5);
    a.histograms[1]->Observe(0.6);
    a.histograms[2]->Observe(0.05);
    a.histograms[3]->Observe(1.2);
    a.histograms[4]->Observe(0.3);
    b.histograms[0]->Observe(3.1);

    obs::ClientMetricsOpts opts{.metrics = obs::WebVitalsClientMetrics()};
    opts.metrics.push_back({.name = "golivekit_client_events_total", .help = "Events.", .labels = {"event"}});
    auto client = obs::NewClientMetrics(std::move(opts));
    REQUIRE(client->status().ok());

    obs::BatchEncoder enc_a(obs::NewClientId());
    obs::BatchEncoder enc_b(obs::NewClientId());
    for (obs::BatchEncoder* enc : {&enc_a, &enc_b}) {
      const obs::Snapshot snap = (enc == &enc_a ? a : b).registry->Gather();
      const std::vector<std::string> batches = enc->Encode(snap);
      REQUIRE(!batches.empty());
      for (const std::string& batch : batches) {
        const obs::ApplyResult r = client->Apply(batch);
        CHECK_MESSAGE(r.outcome == obs::ApplyResult::Outcome::kApplied, r.message);
      }
    }

    auto server = obs::NewRegistry();
    REQUIRE(server->Register(client).ok());
    const obs::Snapshot merged = server->Gather();
    const obs::FamilySnapshot* lcp = FindFamily(merged, "golivekit_client_web_vitals_lcp_seconds");
    REQUIRE(lcp != nullptr);
    CHECK(lcp->type == obs::MetricType::kHistogram);
    CHECK(lcp->help == obs::WebVitalsClientMetrics()[0].help);  // HELP from the declaration
    CHECK(lcp->bucket_bounds == obs::WebVitalsLcpBuckets());
    REQUIRE(lcp->series.size() == 1);
    const obs::SeriesSnapshot& s = lcp->series[0];
    CHECK(s.count == 2);
    CHECK(s.sum == doctest::Approx(5.6));
    // Cumulative: le=2 → 0, le=2.5 → 1 (good, the bound is inclusive), le=3 → 1, le=4 → 2.
    CHECK(s.bucket_counts[3] == 0);
    CHECK(s.bucket_counts[4] == 1);
    CHECK(s.bucket_counts[5] == 1);
    CHECK(s.bucket_counts[6] == 2);

    const std::string text = server->Expose();
    CHECK(Contains(text, "golivekit_client_web_vitals_inp_seconds_bucket{le=\"0.5\"} 0\n"));
    CHECK(Contains(text, "golivekit_client_web_vitals_inp_seconds_bucket{le=\"0.75\"} 1\n"));
    CHECK(Contains(text, "golivekit_client_web_vitals_cls_bucket{le=\"0.05\"} 1\n"));
    CHECK(Contains(text, "golivekit_client_web_vitals_fcp_seconds_count 1\n"));
    CHECK(Contains(text, "golivekit_client_web_vitals_ttfb_seconds_bucket{le=\"0.2\"} 0\n"));
    CHECK(Contains(text, "golivekit_client_web_vitals_ttfb_seconds_bucket{le=\"0.4\"} 1\n"));
  }

  TEST_CASE("a browser with other buckets has that family skipped with bucket_mismatch") {
    auto client = obs::NewClientMetrics({.metrics = obs::WebVitalsClientMetrics()});
    auto registry = obs::NewRegistry();
    auto lcp = obs::NewHistogram({.name = std::string(obs::kWebVitalsLcpName),
                                  .buckets = obs::DefaultBuckets,
                                  .native_bucket_factor = obs::kWebVitalsNativeBucketFactor});
    REQUIRE(registry->Register(lcp).ok());
    lcp->Observe(1.0);
    obs::BatchEncoder enc(obs::NewClientId());
    const std::vector<std::string> batches = enc.Encode(registry->Gather());
    REQUIRE(batches.size() == 1);
    const obs::ApplyResult r = client->Apply(batches[0]);
    CHECK(r.outcome == obs::ApplyResult::Outcome::kApplied);
    REQUIRE(r.skipped.size() == 1);
    CHECK(r.skipped[0].metric == obs::kWebVitalsLcpName);
    CHECK(r.skipped[0].reason == obs::SkipReason::kBucketMismatch);
  }
}
