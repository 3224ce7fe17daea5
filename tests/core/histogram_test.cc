// Histogram (histogram.h): bucket placement, NaN, count/sum, label rules, the binary-search path.
#include "golivekit/observability/histogram.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "golivekit/observability/buckets.h"
#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

using glk_obs_test::FindFamily;
using glk_obs_test::SplitMix64;

// Cumulative counts of the single series of a label-less histogram, as Gather reports them, with the
// +Inf bucket (count) appended.
std::vector<std::uint64_t> Cumulative(const obs::Registry& reg, const std::string& name) {
  const obs::Snapshot s = reg.Gather();
  const obs::FamilySnapshot* f = FindFamily(s, name);
  REQUIRE(f != nullptr);
  REQUIRE(f->series.size() == 1);
  std::vector<std::uint64_t> out = f->series[0].bucket_counts;
  out.push_back(f->series[0].count);
  return out;
}

// Reference: index of the bucket `v` falls in (le inclusive), bounds.size() for the +Inf bucket.
std::size_t LinearIndex(const std::vector<double>& bounds, double v) {
  std::size_t i = 0;
  while (i < bounds.size() && !(v <= bounds[i])) ++i;
  return i;
}

std::vector<std::uint64_t> ReferenceCumulative(const std::vector<double>& bounds,
                                               const std::vector<double>& values) {
  std::vector<std::uint64_t> non_cumulative(bounds.size() + 1, 0);
  for (double v : values) ++non_cumulative[LinearIndex(bounds, v)];
  std::vector<std::uint64_t> out(bounds.size() + 1, 0);
  std::uint64_t acc = 0;
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = acc += non_cumulative[i];
  return out;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("histogram: observations land in the right buckets (le inclusive)") {
    auto h = obs::NewHistogram({.name = "lat_seconds", .help = "h"});
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(h).ok());

    h->Observe(0.005);  // exactly the first bound: goes into le=0.005
    CHECK(Cumulative(*reg, "lat_seconds") == std::vector<std::uint64_t>{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
    h->Observe(0.0050000001);  // just above: le=0.01
    CHECK(Cumulative(*reg, "lat_seconds") == std::vector<std::uint64_t>{1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2});
    h->Observe(10);    // the last finite bound
    h->Observe(10.5);  // above every bound: only +Inf
    h->Observe(-3);    // below every bound: first bucket
    CHECK(Cumulative(*reg, "lat_seconds") == std::vector<std::uint64_t>{2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 5});

    auto child = h->WithLabels();
    REQUIRE(child.ok());
    CHECK(child.Count() == 5);
    CHECK(child.Sum() == doctest::Approx(0.005 + 0.0050000001 + 10 + 10.5 - 3));
  }

  TEST_CASE("histogram: each bound is inclusive") {
    const std::vector<double> bounds = {-1, 0, 0.1, 1, 2.5, 1e6};
    auto h = obs::NewHistogram({.name = "incl", .help = "h", .buckets = bounds});
    REQUIRE(h->status().ok());
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(h).ok());
    std::vector<double> seen;
    for (double b : bounds) {
      for (double v : {b, std::nextafter(b, -HUGE_VAL), std::nextafter(b, HUGE_VAL)}) {
        h->Observe(v);
        seen.push_back(v);
        CAPTURE(v);
        CHECK(Cumulative(*reg, "incl") == ReferenceCumulative(bounds, seen));
      }
    }
  }

  TEST_CASE("histogram: NaN goes to +Inf and makes the sum NaN") {
    auto h = obs::NewHistogram({.name = "nan_obs", .help = "h", .buckets = {1, 2}});
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(h).ok());
    h->Observe(1.5);
    h->Observe(std::numeric_limits<double>::quiet_NaN());
    CHECK(Cumulative(*reg, "nan_obs") == std::vector<std::uint64_t>{0, 1, 2});
    auto child = h->WithLabels();
    CHECK(child.Count() == 2);
    CHECK(std::isnan(child.Sum()));
    const std::string text = reg->Expose();
    CHECK(text.find("nan_obs_sum NaN\n") != std::string::npos);
    CHECK(text.find("nan_obs_count 2\n") != std::string::npos);
    CHECK(text.find("nan_obs_bucket{le=\"+Inf\"} 2\n") != std::string::npos);
  }

  TEST_CASE("histogram: infinities") {
    auto h = obs::NewHistogram({.name = "inf_obs", .help = "h", .buckets = {1, 2}});
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(h).ok());
    h->Observe(-std::numeric_limits<double>::infinity());
    CHECK(Cumulative(*reg, "inf_obs") == std::vector<std::uint64_t>{1, 1, 1});
    h->Observe(std::numeric_limits<double>::infinity());
    CHECK(Cumulative(*reg, "inf_obs") == std::vector<std::uint64_t>{1, 1, 2});
  }

  TEST_CASE("histogram: Count and Sum per labelled series") {
    auto h = obs::NewHistogram(
        {.name = "size_bytes", .help = "h", .labels = {"dir"}, .buckets = obs::ExponentialBuckets(1, 10, 5)});
    auto in = h->WithLabels("in");
    auto out = h->WithLabels("out");
    for (int i = 1; i <= 100; ++i) in.Observe(i);
    out.Observe(12345);
    CHECK(in.Count() == 100);
    CHECK(in.Sum() == 5050);
    CHECK(out.Count() == 1);
    CHECK(out.Sum() == 12345);
    CHECK(h->WithLabels("in").Count() == 100);
    // Top-level Observe on a labelled histogram does nothing.
    h->Observe(1);
    CHECK(h->series_count() == 2);

    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(h).ok());
    const obs::Snapshot s = reg->Gather();
    const obs::FamilySnapshot* f = FindFamily(s, "size_bytes");
    REQUIRE(f != nullptr);
    CHECK(f->type == obs::MetricType::kHistogram);
    CHECK(f->bucket_bounds == std::vector<double>{1, 10, 100, 1000, 10000});
    CHECK(f->label_names == std::vector<std::string>{"dir"});
    REQUIRE(f->series.size() == 2);
    CHECK(f->series[0].label_values == std::vector<std::string>{"in"});
    CHECK(f->series[0].bucket_counts == std::vector<std::uint64_t>{1, 10, 100, 100, 100});
    CHECK(f->series[0].count == 100);
    CHECK(f->series[0].sum == 5050);
    CHECK(f->series[1].bucket_counts == std::vector<std::uint64_t>{0, 0, 0, 0, 0});
    CHECK(f->series[1].count == 1);
  }

  TEST_CASE("histogram: le is not allowed as a label name") {
    auto h = obs::NewHistogram({.name = "with_le", .help = "h", .labels = {"le"}});
    CHECK(h->status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(h->status().message().find("le") != std::string::npos);
    CHECK_FALSE(obs::NewRegistry()->Register(h).ok());
    auto h2 = obs::NewHistogram({.name = "with_le2", .help = "h", .labels = {"method", "le"}});
    CHECK_FALSE(h2->status().ok());
    h2->WithLabels("GET", "1").Observe(1);
    CHECK(h2->series_count() == 0);
  }

  TEST_CASE("histogram: more than 16 bounds (binary search) agrees with a linear reference") {
    std::vector<double> bounds = obs::LinearBuckets(-10, 0.5, 41);  // -10 .. 10
    REQUIRE(bounds.size() == 41);
    auto h = obs::NewHistogram({.name = "many_buckets", .help = "h", .buckets = bounds});
    REQUIRE(h->status().ok());
    REQUIRE(h->buckets() == bounds);
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(h).ok());

    // Every bound and both neighbours, one at a time, so a single misplaced value is caught.
    std::vector<double> seen;
    for (double b : bounds) {
      for (double v : {b, std::nextafter(b, -HUGE_VAL), std::nextafter(b, HUGE_VAL)}) {
        h->Observe(v);
        seen.push_back(v);
      }
      CAPTURE(b);
      REQUIRE(Cumulative(*reg, "many_buckets") == ReferenceCumulative(bounds, seen));
    }
    // Many pseudo-random values in and around the range, plus the specials.
    std::uint64_t state = 42;
    for (int i = 0; i < 20000; ++i) {
      const double u = static_cast<double>(SplitMix64(state) >> 11) / 9007199254740992.0;  // [0,1)
      double v = -12 + 24 * u;
      if (i % 7 == 0) v = std::round(v * 2) / 2;  // exactly on a bound (or just outside the range)
      h->Observe(v);
      seen.push_back(v);
    }
    for (double v : {-HUGE_VAL, HUGE_VAL, std::numeric_limits<double>::quiet_NaN(), -1e300, 1e300}) {
      h->Observe(v);
      seen.push_back(v);
    }
    CHECK(Cumulative(*reg, "many_buckets") == ReferenceCumulative(bounds, seen));
  }

  TEST_CASE("histogram: 16 and 17 bounds agree with the reference at every bound") {
    for (int n : {15, 16, 17, 18, 64}) {
      CAPTURE(n);
      std::vector<double> bounds = obs::ExponentialBuckets(0.001, 2, n);
      auto h = obs::NewHistogram({.name = "edge_n", .help = "h", .buckets = bounds});
      auto reg = obs::NewRegistry();
      REQUIRE(reg->Register(h).ok());
      std::vector<double> seen;
      for (double b : bounds) {
        for (double v : {b, std::nextafter(b, 0.0), b * 1.0001}) {
          h->Observe(v);
          seen.push_back(v);
        }
      }
      h->Observe(0);
      seen.push_back(0);
      h->Observe(std::numeric_limits<double>::quiet_NaN());
      seen.push_back(std::numeric_limits<double>::quiet_NaN());
      CHECK(Cumulative(*reg, "edge_n") == ReferenceCumulative(bounds, seen));
    }
  }

  TEST_CASE("histogram: inert histogram and handles ignore observations") {
    auto h = obs::NewHistogram({.name = "bad name", .help = "h"});
    CHECK_FALSE(h->status().ok());
    h->Observe(1);
    CHECK(h->WithLabels().Count() == 0);

    auto lh = obs::NewHistogram({.name = "lh", .help = "h", .labels = {"a"}});
    auto wrong = lh->WithLabels("x", "y");
    CHECK_FALSE(wrong.ok());
    wrong.Observe(1);
    CHECK(wrong.Count() == 0);
    CHECK(wrong.Sum() == 0);
    CHECK(lh->series_count() == 0);

    obs::HistogramChild empty;
    CHECK_FALSE(empty.ok());
    empty.Observe(3);
    CHECK(empty.Count() == 0);
  }
}
