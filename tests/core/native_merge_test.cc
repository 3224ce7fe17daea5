// Native histograms from clients, merged by the server (client_metrics.h, docs/merge.md): clients at any
// schema and zero threshold, merged, hold exactly what one histogram at the merged schema and threshold
// holds when it records every client's observations itself.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "golivekit/observability/client_batch.h"
#include "golivekit/observability/client_metrics.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

using glk_obs_test::SplitMix64;
using Outcome = obs::ApplyResult::Outcome;

// The bucket growth factor whose schema is exactly `schema` (client_golang's rule picks the coarsest
// schema whose growth is at most the factor).
double FactorFor(int schema) { return std::pow(2.0, std::ldexp(1.0, -schema)) * (1 + 1e-12); }

// bucket index (sign in the key: negative buckets as -index - 1'000'000) -> count, zero bucket apart.
struct Flat {
  std::int32_t schema = 0;
  double zero_threshold = 0;
  std::uint64_t zero = 0;
  std::map<std::int64_t, std::uint64_t> buckets;
};

void FlattenSide(const std::vector<obs::NativeSpan>& spans, const std::vector<std::uint64_t>& counts,
                 bool negative, Flat& out) {
  std::int64_t index = 0;
  std::size_t at = 0;
  for (std::size_t i = 0; i < spans.size(); ++i) {
    index = (i == 0 ? 0 : index) + spans[i].offset;
    for (std::uint32_t k = 0; k < spans[i].length; ++k, ++index, ++at) {
      REQUIRE(at < counts.size());
      if (counts[at] != 0) out.buckets[negative ? -index - 1'000'000 : index] += counts[at];
    }
  }
  CHECK(at == counts.size());
}

Flat Flatten(const obs::NativeBuckets& n) {
  Flat f{.schema = n.schema, .zero_threshold = n.zero_threshold, .zero = n.zero_count, .buckets = {}};
  FlattenSide(n.positive_spans, n.positive_counts, false, f);
  FlattenSide(n.negative_spans, n.negative_counts, true, f);
  return f;
}

const obs::SeriesSnapshot* OnlySeries(const std::vector<obs::FamilySnapshot>& fams, const std::string& name) {
  for (const auto& f : fams) {
    if (f.name == name && f.series.size() == 1) return &f.series[0];
  }
  return nullptr;
}

// A value drawn log-uniformly over 1e-12 .. 1e6, sometimes negative, sometimes zero or tiny.
double RandomValue(std::uint64_t& rng) {
  const std::uint64_t r = SplitMix64(rng);
  if (r % 50 == 0) return 0;
  const double magnitude = std::pow(10.0, -12 + 18 * static_cast<double>(r >> 11) / 9007199254740992.0);
  return (r >> 3) % 5 == 0 ? -magnitude : magnitude;
}

struct Client {
  std::shared_ptr<obs::Registry> registry;
  std::shared_ptr<obs::Histogram> histogram;
  std::unique_ptr<obs::BatchEncoder> encoder;
};

}  // namespace

TEST_SUITE("native_merge") {
  TEST_CASE("clients at random schemas and zero thresholds merge to exactly one histogram of all values") {
    const double thresholds[] = {obs::kDefaultNativeZeroThreshold, 1e-10, 1e-7, 3e-5, 0.001};
    std::uint64_t rng = 20261205;
    for (int trial = 0; trial < 300; ++trial) {
      CAPTURE(trial);
      const int server_schema = static_cast<int>(SplitMix64(rng) % 13) - 4;
      const std::uint32_t server_max = 20 + static_cast<std::uint32_t>(SplitMix64(rng) % 300);
      obs::ClientMetrics server({.metrics = {{.name = "lat_seconds",
                                              .help = "h",
                                              .type = obs::MetricType::kHistogram,
                                              .labels = {},
                                              .buckets = {},
                                              .native_bucket_factor = FactorFor(server_schema),
                                              .native_max_buckets = server_max,
                                              .native_max_zero_threshold = 0.01}},
                                 .rate_per_second = 0});
      REQUIRE(server.status().ok());
      std::vector<double> all;
      std::vector<Client> clients(1 + SplitMix64(rng) % 6);
      for (std::size_t c = 0; c < clients.size(); ++c) {
        Client& cl = clients[c];
        cl.registry = obs::NewRegistry();
        cl.histogram =
            obs::NewHistogram({.name = "lat_seconds",
                               .help = "h",
                               .labels = {},
                               .buckets = {},
                               .native_bucket_factor = FactorFor(static_cast<int>(SplitMix64(rng) % 13) - 4),
                               .native_zero_threshold = thresholds[SplitMix64(rng) % 5],
                               .native_max_buckets = 10 + static_cast<std::uint32_t>(SplitMix64(rng) % 200)});
        REQUIRE(cl.histogram->status().ok());
        REQUIRE(cl.registry->Register(cl.histogram).ok());
        cl.encoder = std::make_unique<obs::BatchEncoder>(
            obs::ClientIdFromWords({static_cast<std::uint32_t>(trial), static_cast<std::uint32_t>(c), 7, 9}));
      }
      // Rounds: each client observes some values and ships what changed (its schema may drop between
      // rounds as its buckets grow).
      for (int round = 0; round < 3; ++round) {
        for (Client& cl : clients) {
          const int n = static_cast<int>(SplitMix64(rng) % 80);
          for (int i = 0; i < n; ++i) {
            const double v = RandomValue(rng);
            cl.histogram->Observe(v);
            all.push_back(v);
          }
          for (const std::string& batch : cl.encoder->Encode(cl.registry->Gather())) {
            const obs::ApplyResult r = server.Apply(batch);
            REQUIRE_MESSAGE(r.outcome == Outcome::kApplied, r.message);
            REQUIRE(r.skipped.empty());
          }
        }
      }
      std::vector<obs::FamilySnapshot> fams;
      REQUIRE(server.Collect(fams).ok());
      const obs::SeriesSnapshot* merged = OnlySeries(fams, "lat_seconds");
      REQUIRE(merged != nullptr);
      const Flat got = Flatten(merged->native);
      CHECK(got.schema <= server_schema);
      CHECK(merged->count == all.size());
      CHECK(got.buckets.size() <= std::max<std::size_t>(server_max, 270));

      // The same values, recorded directly at the merged schema and threshold.
      auto direct = obs::NewHistogram({.name = "direct_seconds",
                                       .help = "h",
                                       .labels = {},
                                       .buckets = {},
                                       .native_bucket_factor = FactorFor(got.schema),
                                       .native_zero_threshold = got.zero_threshold,
                                       .native_max_buckets = 32768});
      REQUIRE(direct->status().ok());
      auto reg = obs::NewRegistry();
      REQUIRE(reg->Register(direct).ok());
      double sum = 0;
      for (const double v : all) {
        direct->Observe(v);
        sum += v;
      }
      const obs::Snapshot snap = reg->Gather();
      const Flat want = Flatten(snap.families.at(0).series.at(0).native);
      CHECK(want.schema == got.schema);
      CHECK(want.zero == got.zero);
      CHECK(want.buckets == got.buckets);
      CHECK(merged->sum == doctest::Approx(sum).epsilon(1e-9));
    }
  }

  TEST_CASE("a wider zero bucket takes whole buckets and rises to a bucket boundary") {
    obs::ClientMetrics server({.metrics = {{.name = "x_seconds",
                                            .help = "h",
                                            .type = obs::MetricType::kHistogram,
                                            .buckets = {},
                                            .native_bucket_factor = 2,  // schema 0: bounds are powers of 2
                                            .native_max_zero_threshold = 1}},
                               .rate_per_second = 0});
    obs::Batch b{.client = obs::ClientIdFromWords({1, 2, 3, 4}), .sequence = 1};
    obs::BatchFamily f{.name = "x_seconds", .type = obs::MetricType::kHistogram, .native = true};
    // Buckets (0.25, 0.5], (0.5, 1], (1, 2] with 1, 2, 4 observations; threshold 2^-128.
    f.series.push_back({.sum_delta = 10,
                        .native = {.schema = 0,
                                   .zero_threshold = obs::kDefaultNativeZeroThreshold,
                                   .zero_count = 0,
                                   .positive_spans = {{-1, 3}},
                                   .positive_counts = {1, 2, 4}}});
    b.families.push_back(f);
    std::string bytes;
    obs::EncodeBatch(b, bytes);
    REQUIRE(server.Apply(bytes).outcome == Outcome::kApplied);
    // Another client with threshold 0.6: (0.25, 0.5] and (0.5, 1] join the zero bucket, threshold 1.
    b.client = obs::ClientIdFromWords({5, 6, 7, 8});
    b.families[0].series[0] = {.sum_delta = 0.1,
                               .native = {.schema = 0, .zero_threshold = 0.6, .zero_count = 1}};
    bytes.clear();
    obs::EncodeBatch(b, bytes);
    REQUIRE(server.Apply(bytes).outcome == Outcome::kApplied);
    std::vector<obs::FamilySnapshot> fams;
    REQUIRE(server.Collect(fams).ok());
    const Flat got = Flatten(OnlySeries(fams, "x_seconds")->native);
    CHECK(got.zero_threshold == 1);
    CHECK(got.zero == 1 + 2 + 1);
    CHECK(got.buckets == std::map<std::int64_t, std::uint64_t>{{1, 4}});
    // A threshold beyond the declared maximum: the family is skipped, everyone's zero bucket kept.
    b.client = obs::ClientIdFromWords({9, 9, 9, 9});
    b.families[0].series[0].native.zero_threshold = 2;
    bytes.clear();
    obs::EncodeBatch(b, bytes);
    const obs::ApplyResult r = server.Apply(bytes);
    REQUIRE(r.skipped.size() == 1);
    CHECK(r.skipped[0].reason == obs::SkipReason::kZeroThresholdTooLarge);
  }

  TEST_CASE("native values that cannot be right refuse the batch whole") {
    obs::ClientMetrics server({.metrics = {{.name = "x_seconds",
                                            .help = "h",
                                            .type = obs::MetricType::kHistogram,
                                            .buckets = {1},
                                            .native_bucket_factor = 1.1}},
                               .rate_per_second = 0});
    auto apply = [&](obs::BatchSeries s) {
      obs::Batch b{.client = obs::ClientIdFromWords({1, 1, 1, 1}), .sequence = 1};
      b.families.push_back({.name = "x_seconds",
                            .type = obs::MetricType::kHistogram,
                            .bucket_bounds = {1},
                            .native = true,
                            .series = {std::move(s)}});
      std::string bytes;
      obs::EncodeBatch(b, bytes);
      return server.Apply(bytes);
    };
    const obs::NativeBuckets one{.schema = 3, .zero_threshold = 1e-9, .zero_count = 1};
    obs::ApplyResult r = apply({.bucket_deltas = {1, 1}, .sum_delta = 0, .native = one});
    CHECK(r.reason == obs::RejectReason::kInvalidValue);
    CHECK(r.message.find("1 native observations, 2 classic ones") != std::string::npos);
    obs::NativeBuckets nan_threshold = one;
    nan_threshold.zero_threshold = NAN;
    r = apply({.bucket_deltas = {1, 0}, .sum_delta = 0, .native = nan_threshold});
    CHECK(r.reason == obs::RejectReason::kInvalidValue);
    obs::NativeBuckets huge = one;
    huge.zero_count = (std::uint64_t{1} << 53) + 1;
    r = apply({.bucket_deltas = {(std::uint64_t{1} << 53) + 1, 0}, .sum_delta = 0, .native = huge});
    CHECK(r.reason == obs::RejectReason::kTotalOutOfRange);
    CHECK(apply({.bucket_deltas = {1, 0}, .sum_delta = 0.5, .native = one}).outcome == Outcome::kApplied);
  }
}
