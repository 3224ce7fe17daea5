// Native (sparse exponential) histograms: options, schema choice, bucket placement, spans, resolution
// lowering at native_max_buckets, and snapshots that are never torn while threads observe.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"
#include "test_util.h"

#ifndef GLK_OBS_NO_THREADS
#include <thread>
#endif

namespace obs = golivekit::observability;
namespace detail = golivekit::observability::detail;

namespace {

using glk_obs_test::FindFamily;
using glk_obs_test::SplitMix64;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The one series of a label-less histogram `name` in a fresh gather.
obs::SeriesSnapshot Series(const obs::Registry& reg, const std::string& name,
                           obs::FamilySnapshot* family = nullptr) {
  const obs::Snapshot s = reg.Gather();
  const obs::FamilySnapshot* f = FindFamily(s, name);
  REQUIRE(f != nullptr);
  REQUIRE(f->series.size() == 1);
  if (family != nullptr) *family = *f;
  return f->series[0];
}

// Buckets of one sign as index -> count, expanded from spans.
std::map<std::int32_t, std::uint64_t> Expand(const std::vector<obs::NativeSpan>& spans,
                                             const std::vector<std::uint64_t>& counts) {
  std::map<std::int32_t, std::uint64_t> out;
  std::size_t k = 0;
  std::int32_t index = 0;
  for (std::size_t s = 0; s < spans.size(); ++s) {
    index += spans[s].offset;
    for (std::uint32_t j = 0; j < spans[s].length; ++j, ++index) {
      REQUIRE(k < counts.size());
      if (counts[k] != 0) out[index] = counts[k];
      ++k;
    }
  }
  CHECK(k == counts.size());
  return out;
}

std::uint64_t Total(const std::vector<std::uint64_t>& counts) {
  std::uint64_t n = 0;
  for (std::uint64_t c : counts) n += c;
  return n;
}

// Reference placement: the bucket of `v` at `schema`, by the definition 2^((i-1)/2^s) < |v| <= 2^(i/2^s),
// computed in long double and checked for the neighbours, independent of the fraction table.
bool InBucket(double v, std::int32_t schema, std::int32_t index) {
  const long double a = std::fabs(static_cast<long double>(v));
  const long double width = std::ldexp(1.0L, -schema);  // log2 of one bucket's growth
  const long double lower = std::exp2((index - 1) * width);
  const long double upper = std::exp2(index * width);
  const long double slack = 4 * std::numeric_limits<double>::epsilon();
  return a > lower * (1 - slack) && a <= upper * (1 + slack);
}

std::int32_t Index(double v, std::int32_t schema) {
  return detail::NativeBucketIndex(v, schema, detail::NativeFractions());
}

obs::HistogramOpts NativeOpts(std::string name, double factor = 1.1) {
  return {.name = std::move(name), .help = "h", .buckets = {}, .native_bucket_factor = factor};
}

}  // namespace

TEST_SUITE("native_histogram") {
  TEST_CASE("native_histogram: the schema is the coarsest one whose growth meets the factor") {
    const std::vector<std::pair<double, std::int32_t>> cases = {
        {1.1, 3}, {2, 0},   {1.0001, 8}, {1.5, 1},    {1.09, 4},  {1.0906, 3},    {1.2, 2},
        {4, -1},  {16, -2}, {256, -3},   {65536, -4}, {1e30, -4}, {1.0000001, 8}, {1.01, 7},
    };
    for (const auto& c : cases) {
      const double factor = c.first;
      const std::int32_t schema = c.second;
      auto h = obs::NewHistogram(NativeOpts("h", factor));
      REQUIRE(h->status().ok());
      CAPTURE(factor);
      CHECK(h->native());
      CHECK(h->native_schema() == schema);
    }
  }

  TEST_CASE("native_histogram: invalid options are refused with a message naming the option") {
    auto message = [](obs::HistogramOpts o) { return obs::NewHistogram(std::move(o))->status().message(); };
    auto with = [](auto set) {
      obs::HistogramOpts o = NativeOpts("h");
      set(o);
      return o;
    };
    for (double f : {1.0, 0.5, -1.0, kNaN, kInf}) {
      CAPTURE(f);
      CHECK(message(with([f](obs::HistogramOpts& o) {
              o.native_bucket_factor = f;
            })).find("native_bucket_factor") != std::string::npos);
    }
    for (double t : {0.0, -1.0, kNaN, kInf}) {
      CAPTURE(t);
      CHECK(message(with([t](obs::HistogramOpts& o) {
              o.native_zero_threshold = t;
            })).find("native_zero_threshold") != std::string::npos);
    }
    for (std::uint32_t m : {0u, 32769u}) {
      CAPTURE(m);
      CHECK(message(with([m](obs::HistogramOpts& o) {
              o.native_max_buckets = m;
            })).find("native_max_buckets") != std::string::npos);
    }
    // No classic buckets and no native factor: nothing to count in.
    CHECK(message({.name = "h", .help = "h", .buckets = {}}).find("native_bucket_factor") !=
          std::string::npos);
    // A native-only histogram is fine; so is one with both.
    auto only = obs::NewHistogram(NativeOpts("h"));
    CHECK(only->status().ok());
    CHECK(only->buckets().empty());
    auto both = obs::NewHistogram({.name = "h", .help = "h", .native_bucket_factor = 1.1});
    CHECK(both->status().ok());
    CHECK(both->buckets() == obs::DefaultBuckets);
    CHECK(both->native());
    CHECK_FALSE(obs::NewHistogram({.name = "h", .help = "h"})->native());
  }

  TEST_CASE(
      "native_histogram: the fraction table is 2^(j/256)/2 to the last bit and nests for every schema") {
    for (int j = 0; j < 256; ++j) {
      const long double exact = std::exp2(static_cast<long double>(j) / 256) / 2;
      const double v = detail::NativeFractions()[j];
      CAPTURE(j);
      CHECK(std::fabs(static_cast<long double>(v) - exact) <=
            std::ldexp(1.0L, -54));  // half an ulp in [0.5, 1)
      if (j > 0) CHECK(v > detail::NativeFractions()[j - 1]);
    }
  }

  TEST_CASE("native_histogram: values land in the bucket the definition gives, at every schema") {
    std::uint64_t state = 42;
    for (std::int32_t schema = detail::kNativeSchemaMin; schema <= detail::kNativeSchemaMax; ++schema) {
      for (int k = 0; k < 4000; ++k) {
        // Log-uniform over 2^-1000 .. 2^1000, plus exact powers of two and bucket bounds.
        const double u = static_cast<double>(SplitMix64(state) >> 11) / 9007199254740992.0;
        double v = std::exp2(-1000 + 2000 * u);
        if (k % 4 == 1) v = std::ldexp(1.0, static_cast<int>(SplitMix64(state) % 200) - 100);
        if (k % 4 == 2 && schema > 0) {
          const int j = static_cast<int>(SplitMix64(state) % 256);
          v = std::ldexp(detail::NativeFractions()[j], static_cast<int>(SplitMix64(state) % 40) - 20);
        }
        const std::int32_t index = Index(v, schema);
        CAPTURE(schema);
        CAPTURE(v);
        CAPTURE(index);
        REQUIRE(InBucket(v, schema, index));
      }
    }
  }

  TEST_CASE("native_histogram: bounds, powers of two, extremes and infinity") {
    // A bucket's upper bound is inclusive: 1 is the top of bucket 0, 2 of bucket 1 (schema 0).
    CHECK(Index(1, 0) == 0);
    CHECK(Index(std::nextafter(1.0, 2.0), 0) == 1);
    CHECK(Index(2, 0) == 1);
    CHECK(Index(0.5, 0) == -1);
    CHECK(Index(1.5, 0) == 1);
    for (std::int32_t schema = detail::kNativeSchemaMin; schema <= detail::kNativeSchemaMax; ++schema) {
      CAPTURE(schema);
      CHECK(Index(1, schema) == 0);
      CHECK(Index(std::nextafter(1.0, 2.0), schema) == 1);
      // +Inf is one bucket above the largest finite value.
      CHECK(Index(kInf, schema) == Index(std::numeric_limits<double>::max(), schema) + 1);
    }
    // Schema 3: bound 8 of the table is 2.
    CHECK(Index(2, 3) == 8);
    CHECK(Index(std::nextafter(2.0, 3.0), 3) == 9);
    // Schema -4: 133 indexes per sign, from the smallest subnormal to +Inf.
    CHECK(Index(std::numeric_limits<double>::denorm_min(), -4) == -67);
    CHECK(Index(kInf, -4) == 65);
    // Lowering merges 2^by neighbours: at schema s-1, bucket ceil(i/2).
    CHECK(detail::LowerNativeIndex(0, 1) == 0);
    CHECK(detail::LowerNativeIndex(-1, 1) == 0);
    CHECK(detail::LowerNativeIndex(1, 1) == 1);
    CHECK(detail::LowerNativeIndex(2, 1) == 1);
    CHECK(detail::LowerNativeIndex(-2, 1) == -1);
    CHECK(detail::LowerNativeIndex(-3, 1) == -1);
    CHECK(detail::LowerNativeIndex(5, 2) == 2);
  }

  TEST_CASE("native_histogram: zero, negative, NaN and infinite observations") {
    obs::Registry reg({});
    auto h = obs::NewHistogram(NativeOpts("h", 2));  // schema 0
    REQUIRE(reg.Register(h).ok());
    for (double v : {0.0, -0.0, 1e-40, -1e-40, 1.0, 2.0, 3.0, -1.0, -5.0, kNaN, kInf, -kInf}) h->Observe(v);
    obs::FamilySnapshot f;
    const obs::SeriesSnapshot s = Series(reg, "h", &f);
    CHECK(f.native);
    CHECK(f.bucket_bounds.empty());
    CHECK(s.native.schema == 0);
    CHECK(s.native.zero_threshold == obs::kDefaultNativeZeroThreshold);
    CHECK(s.native.zero_count == 4);  // 0, -0 and both below 2^-128
    const auto pos = Expand(s.native.positive_spans, s.native.positive_counts);
    const auto neg = Expand(s.native.negative_spans, s.native.negative_counts);
    const std::int32_t inf = Index(kInf, 0);
    CHECK(pos == std::map<std::int32_t, std::uint64_t>{{0, 1}, {1, 1}, {2, 1}, {inf, 1}});
    CHECK(neg == std::map<std::int32_t, std::uint64_t>{{0, 1}, {3, 1}, {inf, 1}});
    CHECK(s.count == 12);  // NaN is counted, in no bucket
    CHECK(std::isnan(s.sum));
    CHECK(h->WithLabelValues(std::vector<std::string>{}).Count() == 12);
  }

  TEST_CASE("native_histogram: a custom zero threshold takes |v| at or below it") {
    obs::Registry reg({});
    obs::HistogramOpts o = NativeOpts("h", 2);
    o.native_zero_threshold = 0.5;
    auto h = obs::NewHistogram(o);
    REQUIRE(reg.Register(h).ok());
    for (double v : {0.5, -0.5, 0.25, std::nextafter(0.5, 1.0), -0.75}) h->Observe(v);
    const obs::SeriesSnapshot s = Series(reg, "h");
    CHECK(s.native.zero_threshold == 0.5);
    CHECK(s.native.zero_count == 3);
    CHECK(Total(s.native.positive_counts) == 1);
    CHECK(Total(s.native.negative_counts) == 1);
    CHECK(s.count == 5);
  }

  TEST_CASE("native_histogram: spans fill gaps of one or two buckets and start anew after longer ones") {
    obs::Registry reg({});
    auto h = obs::NewHistogram(NativeOpts("h", 2));  // schema 0: bucket i is (2^(i-1), 2^i]
    REQUIRE(reg.Register(h).ok());
    for (double v : {1.0, 2.0, 8.0, 8.0, 1024.0, 0.25, 0.03}) h->Observe(v);
    // Indexes: 1 -> 0, 2 -> 1, 8 -> 3 (twice), 1024 -> 10, 0.25 -> -2, 0.03 -> -5. The gaps of two (-4, -3),
    // one (-1) and one (2) are filled; the gap of six before 10 starts a new span.
    const obs::SeriesSnapshot s = Series(reg, "h");
    CHECK(s.native.positive_spans ==
          std::vector<obs::NativeSpan>{{.offset = -5, .length = 9}, {.offset = 6, .length = 1}});
    CHECK(s.native.positive_counts == std::vector<std::uint64_t>{1, 0, 0, 1, 0, 1, 1, 0, 2, 1});
    CHECK(s.native.negative_spans.empty());
    CHECK(s.count == 7);
    CHECK(s.sum == doctest::Approx(1.0 + 2 + 16 + 1024 + 0.25 + 0.03));
  }

  TEST_CASE("native_histogram: an empty series still carries its schema and zero threshold") {
    obs::Registry reg({});
    auto h = obs::NewHistogram(NativeOpts("h"));
    REQUIRE(reg.Register(h).ok());
    const obs::SeriesSnapshot s = Series(reg, "h");
    CHECK(s.count == 0);
    CHECK(s.native.schema == 3);
    CHECK(s.native.zero_threshold > 0);
    CHECK(s.native.positive_spans.empty());
  }

  TEST_CASE("native_histogram: beyond native_max_buckets the schema halves and no observation is lost") {
    for (std::uint32_t max_buckets : {1u, 4u, 10u, 33u, 160u}) {
      CAPTURE(max_buckets);
      obs::Registry reg({});
      obs::HistogramOpts o = NativeOpts("h", 1.0001);  // schema 8
      o.native_max_buckets = max_buckets;
      auto h = obs::NewHistogram(o);
      REQUIRE(reg.Register(h).ok());
      std::vector<double> values;
      std::uint64_t state = max_buckets;
      for (int k = 0; k < 5000; ++k) {
        const double u = static_cast<double>(SplitMix64(state) >> 11) / 9007199254740992.0;
        values.push_back((k % 3 == 0 ? -1 : 1) * std::exp2(-20 + 40 * u));
      }
      for (double v : values) h->Observe(v);
      const obs::SeriesSnapshot s = Series(reg, "h");
      CHECK(s.count == values.size());
      CHECK(s.native.schema < 8);
      const auto pos = Expand(s.native.positive_spans, s.native.positive_counts);
      const auto neg = Expand(s.native.negative_spans, s.native.negative_counts);
      CHECK(pos.size() + neg.size() <= std::max<std::size_t>(max_buckets, s.native.schema == -4 ? 266 : 0));
      // The same values placed directly at the final schema give exactly these buckets.
      std::map<std::int32_t, std::uint64_t> want_pos, want_neg;
      for (double v : values) (v < 0 ? want_neg : want_pos)[Index(std::fabs(v), s.native.schema)]++;
      CHECK(pos == want_pos);
      CHECK(neg == want_neg);
      // Resolution is lowered only as far as needed: one schema higher would not fit.
      if (s.native.schema < 8 && s.native.schema > -4) {
        std::map<std::int32_t, int> finer;
        for (double v : values) finer[Index(std::fabs(v), s.native.schema + 1) * 2 + (v < 0)]++;
        CHECK(finer.size() > max_buckets);
      }
    }
  }

  TEST_CASE("native_histogram: at schema -4 every value still gets its own bucket, whatever the limit") {
    obs::Registry reg({});
    obs::HistogramOpts o = NativeOpts("h", 1.1);
    o.native_max_buckets = 1;
    o.native_zero_threshold = std::numeric_limits<double>::denorm_min();
    auto h = obs::NewHistogram(o);
    REQUIRE(reg.Register(h).ok());
    std::uint64_t n = 0;
    for (int e = -1070; e <= 1020; e += 8) {
      h->Observe(std::ldexp(1.0, e));
      h->Observe(-std::ldexp(1.5, e));
      n += 2;
    }
    const obs::SeriesSnapshot s = Series(reg, "h");
    CHECK(s.native.schema == -4);
    CHECK(s.count == n);
    CHECK(s.native.zero_count == 0);
    CHECK(Total(s.native.positive_counts) + Total(s.native.negative_counts) == n);
  }

  TEST_CASE("native_histogram: classic and native buckets in one series agree on the count") {
    obs::Registry reg({});
    auto h = obs::NewHistogram(
        {.name = "h", .help = "h", .labels = {"l"}, .buckets = {0.01, 0.1, 1}, .native_bucket_factor = 1.1});
    REQUIRE(reg.Register(h).ok());
    auto c = h->WithLabels("a");
    for (double v : {0.005, 0.05, 0.5, 5.0, kNaN}) c.Observe(v);
    CHECK(c.Count() == 5);
    obs::FamilySnapshot f;
    const obs::Snapshot snap = reg.Gather();
    const obs::FamilySnapshot* fam = FindFamily(snap, "h");
    REQUIRE(fam != nullptr);
    CHECK(fam->native);
    CHECK(fam->bucket_bounds == std::vector<double>{0.01, 0.1, 1});
    const obs::SeriesSnapshot& s = fam->series[0];
    CHECK(s.bucket_counts == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(s.count == 5);
    CHECK(Total(s.native.positive_counts) == 4);
    CHECK(s.native.schema == 3);
  }

  TEST_CASE("native_histogram: a scrape is never torn while threads observe") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
#ifndef GLK_OBS_NO_THREADS
    for (std::uint32_t max_buckets : {3u, 160u}) {
      CAPTURE(max_buckets);
      obs::Registry reg({});
      auto h = obs::NewHistogram({.name = "h",
                                  .help = "h",
                                  .buckets = {0.001, 0.01, 0.1},
                                  .native_bucket_factor = 1.01,
                                  .native_max_buckets = max_buckets});
      REQUIRE(reg.Register(h).ok());
      constexpr int kThreads = 3;
      constexpr int kPerThread = 40000;
      std::atomic<bool> start{false};
      std::vector<std::thread> threads;
      for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
          std::uint64_t state = static_cast<std::uint64_t>(t) + 1;
          while (!start.load()) std::this_thread::yield();
          for (int k = 0; k < kPerThread; ++k) {
            const double u = static_cast<double>(SplitMix64(state) >> 11) / 9007199254740992.0;
            h->Observe((k % 5 == 0 ? -1 : 1) * std::exp2(-15 + 20 * u) * (k % 97 == 0 ? 0 : 1));
          }
        });
      }
      start.store(true);
      std::uint64_t last = 0;
      int torn = 0, scrapes = 0;
      for (bool done = false; !done;) {
        done = true;
        for (auto& t : threads) done = done && !t.joinable();
        const obs::SeriesSnapshot s = Series(reg, "h");
        const std::uint64_t buckets =
            s.native.zero_count + Total(s.native.positive_counts) + Total(s.native.negative_counts);
        if (s.count != buckets || s.bucket_counts.back() > s.count || s.count < last) ++torn;
        last = s.count;
        ++scrapes;
        if (s.count == static_cast<std::uint64_t>(kThreads) * kPerThread) break;
      }
      for (auto& t : threads) t.join();
      const obs::SeriesSnapshot s = Series(reg, "h");
      CHECK(torn == 0);
      CHECK(scrapes > 1);
      CHECK(s.count == static_cast<std::uint64_t>(kThreads) * kPerThread);
      CHECK(s.native.zero_count + Total(s.native.positive_counts) + Total(s.native.negative_counts) ==
            s.count);
      CHECK(h->WithLabelValues(std::vector<std::string>{}).Count() == s.count);
    }
#endif
  }
}

namespace {

// A user's collector that exposes one native histogram series as given.
class NativeCollector : public obs::Collector {
 public:
  explicit NativeCollector(obs::SeriesSnapshot s) : series_(std::move(s)) {}
  std::vector<obs::Descriptor> Describe() const override {
    return {obs::Descriptor{.name = "custom_native", .help = "h", .type = obs::MetricType::kHistogram}};
  }
  obs::Status Collect(std::vector<obs::FamilySnapshot>& out) const override {
    out.push_back({.name = "custom_native",
                   .help = "h",
                   .type = obs::MetricType::kHistogram,
                   .native = true,
                   .series = {series_}});
    return {};
  }

 private:
  obs::SeriesSnapshot series_;
};

// Whether a registry keeps the family a custom collector produced with these native buckets.
bool Kept(const obs::SeriesSnapshot& s) {
  obs::Registry reg({});
  REQUIRE(reg.Register(std::make_shared<NativeCollector>(s)).ok());
  const obs::Snapshot snap = reg.Gather();
  return FindFamily(snap, "custom_native") != nullptr && reg.dropped_families() == 0;
}

}  // namespace

TEST_SUITE("native_histogram") {
  TEST_CASE("native_histogram: a custom collector's native buckets must have the shape encoders rely on") {
    const obs::SeriesSnapshot good{
        .count = 6,
        .native = {.schema = 3,
                   .zero_threshold = 1e-9,
                   .zero_count = 1,
                   .positive_spans = {{.offset = -2, .length = 2}, {.offset = 1, .length = 1}},
                   .positive_counts = {1, 2, 1},
                   .negative_spans = {{.offset = 0, .length = 1}},
                   .negative_counts = {1}}};
    CHECK(Kept(good));
    auto bad = [&](auto change) {
      obs::SeriesSnapshot s = good;
      change(s);
      return !Kept(s);
    };
    CHECK(bad([](obs::SeriesSnapshot& s) { s.native.schema = 9; }));
    CHECK(bad([](obs::SeriesSnapshot& s) { s.native.schema = -5; }));
    CHECK(bad([](obs::SeriesSnapshot& s) { s.native.zero_threshold = 0; }));
    CHECK(bad([](obs::SeriesSnapshot& s) { s.native.zero_threshold = std::nan(""); }));
    CHECK(bad([](obs::SeriesSnapshot& s) { s.native.positive_counts.pop_back(); }));
    CHECK(bad([](obs::SeriesSnapshot& s) { s.native.positive_spans[1].offset = -1; }));
    CHECK(bad([](obs::SeriesSnapshot& s) { s.count = 5; }));
    CHECK(bad([](obs::SeriesSnapshot& s) { s.native.zero_count = 7; }));
  }
}
