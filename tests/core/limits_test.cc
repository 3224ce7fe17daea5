// Series limits and lifetimes of the library's metrics (max_series, series_ttl, RegistryOpts::max_series)
// and created timestamps (RegistryOpts::created_timestamps): docs/api-cpp.md, "Series limits and
// lifetimes". Lifetimes run on an injected clock (detail/clock.h).
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "golivekit/observability/counter.h"
#include "golivekit/observability/detail/clock.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;
using namespace std::chrono_literals;
using glk_obs_test::FindFamily;

namespace {

constexpr const char* kOverflowFamily = "golivekit_registry_overflow_samples_total";

// The injected clock: milliseconds, both wall and steady, moved by the tests.
// Atomic: worker threads read it (a series' creation time) while a test moves it.
std::atomic<std::int64_t> g_now_ms{0};
std::int64_t TestNow() noexcept { return g_now_ms.load(); }

// Installs the test clock at `start_ms` for a scope, the real clocks again after it.
struct TestClock {
  explicit TestClock(std::int64_t start_ms) {
    g_now_ms = start_ms;
    obs::detail::SetClockForTesting(&TestNow);
  }
  ~TestClock() { obs::detail::SetClockForTesting(nullptr); }
  TestClock(const TestClock&) = delete;
  TestClock& operator=(const TestClock&) = delete;
  void Advance(std::chrono::milliseconds d) { g_now_ms += d.count(); }
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The label values of a family's series, each joined with '/'.
std::vector<std::string> SeriesKeys(const obs::FamilySnapshot& f) {
  std::vector<std::string> keys;
  for (const obs::SeriesSnapshot& s : f.series) {
    std::string key;
    for (const std::string& v : s.label_values) key += (key.empty() ? "" : "/") + v;
    keys.push_back(key);
  }
  return keys;
}

const obs::SeriesSnapshot* FindSeries(const obs::FamilySnapshot& f, const std::vector<std::string>& values) {
  for (const obs::SeriesSnapshot& s : f.series) {
    if (s.label_values == values) return &s;
  }
  return nullptr;
}

double OverflowsOf(const obs::Snapshot& snap, const std::string& metric,
                   const std::string& family = kOverflowFamily) {
  const obs::FamilySnapshot* f = FindFamily(snap, family);
  REQUIRE(f != nullptr);
  const obs::SeriesSnapshot* s = FindSeries(*f, {metric});
  REQUIRE(s != nullptr);
  return s->value;
}

}  // namespace

TEST_SUITE("limits") {
  TEST_CASE("limits: past max_series new label sets share one overflow series, totals exact") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "x_total", .help = "h", .labels = {"k"}, .max_series = 3});
    REQUIRE(reg->Register(c).ok());
    CHECK(c->max_series() == 3);
    c->WithLabels("a").Inc();
    c->WithLabels("b").Add(2);
    // The third place is the overflow series': every new label set from now on goes there.
    c->WithLabels("c").Inc();
    c->WithLabels("d").Add(4);
    c->WithLabels("a").Inc();  // a known label set still finds its own series
    CHECK(c->series_count() == 3);
    CHECK(c->overflowed() == 2);
    const obs::Snapshot snap = reg->Gather();
    const obs::FamilySnapshot* f = FindFamily(snap, "x_total");
    REQUIRE(f != nullptr);
    CHECK(SeriesKeys(*f) == std::vector<std::string>{"__overflow__", "a", "b"});
    CHECK(FindSeries(*f, {"__overflow__"})->value == 5);
    CHECK(FindSeries(*f, {"a"})->value == 2);
    double total = 0;
    for (const auto& s : f->series) total += s.value;
    CHECK(total == 9);
    CHECK(OverflowsOf(snap, "x_total") == 2);
    // The overflow series is an ordinary series: its label values find it, Delete removes it.
    CHECK(c->WithLabels("__overflow__").Value() == 5);
    REQUIRE(c->Delete("__overflow__").ok());
    c->WithLabels("e").Inc();
    CHECK(c->WithLabels("__overflow__").Value() == 1);
    CHECK(c->series_count() == 3);
  }

  TEST_CASE("limits: every label of the overflow series is __overflow__, for each metric type") {
    auto g = obs::NewGauge({.name = "g", .help = "h", .labels = {"a", "b"}, .max_series = 2});
    auto h = obs::NewHistogram(
        {.name = "h_seconds", .help = "h", .labels = {"a", "b"}, .buckets = {1}, .max_series = 2});
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(g).ok());
    REQUIRE(reg->Register(h).ok());
    g->WithLabels("1", "1").Set(1);
    g->WithLabels("2", "2").Set(7);
    g->WithLabels("3", "3").Set(9);  // the last write to the overflow series wins, as for any gauge
    h->WithLabels("1", "1").Observe(0.5);
    h->WithLabels("2", "2").Observe(2);
    h->WithLabels("3", "3").Observe(0.5);
    const obs::Snapshot snap = reg->Gather();
    const obs::SeriesSnapshot* gs = FindSeries(*FindFamily(snap, "g"), {"__overflow__", "__overflow__"});
    REQUIRE(gs != nullptr);
    CHECK(gs->value == 9);
    const obs::SeriesSnapshot* hs =
        FindSeries(*FindFamily(snap, "h_seconds"), {"__overflow__", "__overflow__"});
    REQUIRE(hs != nullptr);
    CHECK(hs->count == 2);
    CHECK(hs->sum == 2.5);
    CHECK(OverflowsOf(snap, "g") == 2);
    CHECK(OverflowsOf(snap, "h_seconds") == 2);
  }

  TEST_CASE(
      "limits: past the limit an invalid label value is still refused, not sent to the overflow series") {
    auto c = obs::NewCounter({.name = "x_total", .help = "h", .labels = {"k"}, .max_series = 2});
    c->WithLabels("a").Inc();
    c->WithLabels("b").Inc();  // makes the overflow series
    const obs::CounterChild bad = c->WithLabels(std::string("\xff"));
    CHECK_FALSE(bad.ok());
    CHECK(bad.status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(c->overflowed() == 1);
    CHECK(c->WithLabels("__overflow__").Value() == 1);
  }

  TEST_CASE("limits: max_series 1 sends every label set to the overflow series") {
    auto c = obs::NewCounter({.name = "one_total", .help = "h", .labels = {"k"}, .max_series = 1});
    for (int i = 0; i < 10; ++i) c->WithLabels(std::to_string(i)).Inc();
    CHECK(c->series_count() == 1);
    CHECK(c->WithLabels("__overflow__").Value() == 10);
  }

  TEST_CASE(
      "limits: a metric without labels ignores max_series, and without limits there is no overflow family") {
    auto c = obs::NewCounter({.name = "plain_total", .help = "h", .max_series = 1});
    c->Inc();
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(c).ok());
    const obs::Snapshot snap = reg->Gather();
    CHECK(FindFamily(snap, "plain_total")->series.at(0).value == 1);
    CHECK(FindFamily(snap, kOverflowFamily) == nullptr);
    CHECK_FALSE(Contains(reg->Expose(), "overflow"));
  }

  TEST_CASE("limits: RegistryOpts::max_series limits each metric that has no lower limit of its own") {
    auto reg = obs::NewRegistry({.namespace_ = "app", .const_labels = {{"env", "prod"}}, .max_series = 3});
    auto wide = obs::NewCounter({.name = "wide_total", .help = "h", .labels = {"k"}});
    auto narrow = obs::NewCounter({.name = "narrow_total", .help = "h", .labels = {"k"}, .max_series = 2});
    auto loose = obs::NewGauge({.name = "loose", .help = "h", .labels = {"k"}, .max_series = 100});
    REQUIRE(reg->Register(wide).ok());
    REQUIRE(reg->Register(narrow).ok());
    REQUIRE(reg->Register(loose).ok());
    CHECK(wide->max_series() == 3);
    CHECK(narrow->max_series() == 2);
    CHECK(loose->max_series() == 3);
    for (int i = 0; i < 50; ++i) {
      wide->WithLabels(std::to_string(i)).Inc();
      narrow->WithLabels(std::to_string(i)).Inc();
      loose->WithLabels(std::to_string(i)).Set(i);
    }
    CHECK(wide->series_count() == 3);
    CHECK(narrow->series_count() == 2);
    CHECK(loose->series_count() == 3);
    const obs::Snapshot snap = reg->Gather();
    // A family of the registry like any other: with its namespace and constant labels.
    const obs::FamilySnapshot* f = FindFamily(snap, std::string("app_") + kOverflowFamily);
    REQUIRE(f != nullptr);
    // The metrics named as the registry exposes them, sorted.
    CHECK(f->label_names == std::vector<std::string>{"env", "metric"});
    CHECK(SeriesKeys(*f) ==
          std::vector<std::string>{"prod/app_loose", "prod/app_narrow_total", "prod/app_wide_total"});
    CHECK(FindSeries(*f, {"prod", "app_wide_total"})->value == 48);
    CHECK(FindSeries(*f, {"prod", "app_narrow_total"})->value == 49);
    const std::string text = reg->Expose();
    CHECK(Contains(text, "# TYPE app_golivekit_registry_overflow_samples_total counter\n"));
    CHECK(Contains(
        text, "app_golivekit_registry_overflow_samples_total{env=\"prod\",metric=\"app_wide_total\"} 48\n"));
    CHECK(Contains(text, "app_wide_total{env=\"prod\",k=\"__overflow__\"} 48\n"));
  }

  TEST_CASE("limits: a kept snapshot refilled gives the overflow family as a fresh gather does") {
    auto reg = obs::NewRegistry({.max_series = 2});
    auto c = obs::NewCounter({.name = "x_total", .help = "h", .labels = {"k"}});
    auto h = obs::NewHistogram({.name = "h", .help = "h", .labels = {"k"}, .buckets = {1, 2}});
    REQUIRE(reg->Register(c).ok());
    REQUIRE(reg->Register(h).ok());
    obs::Snapshot kept;
    for (int round = 0; round < 4; ++round) {
      for (int i = 0; i < 5; ++i) c->WithLabels(std::to_string(round * 10 + i)).Inc();
      h->WithLabels(std::to_string(round)).Observe(1.5);
      reg->Gather(kept);
      CHECK(obs::Encode(kept, obs::Format::kOpenMetrics) ==
            obs::Encode(reg->Gather(), obs::Format::kOpenMetrics));
    }
    CHECK(OverflowsOf(kept, "x_total") == 19);
    CHECK(OverflowsOf(kept, "h") == 3);
  }

  TEST_CASE("lifetimes: a series not updated for series_ttl goes at the next gather, an updated one stays") {
    TestClock clock(1'000'000);
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "x_total", .help = "h", .labels = {"k"}, .series_ttl = 10s});
    REQUIRE(reg->Register(c).ok());
    c->WithLabels("idle").Inc();
    c->WithLabels("busy").Inc();
    CHECK(c->series_count() == 2);
    // Each gather sees which series were updated since the one before; every 5 s "busy" is.
    for (int step = 0; step < 6; ++step) {
      (void)reg->Gather();
      clock.Advance(5s);
      c->WithLabels("busy").Inc();
    }
    // "idle" was last updated 30 s ago: gone. "busy" holds every increment.
    const obs::Snapshot snap = reg->Gather();
    const obs::FamilySnapshot* f = FindFamily(snap, "x_total");
    REQUIRE(f != nullptr);
    CHECK(SeriesKeys(*f) == std::vector<std::string>{"busy"});
    CHECK(f->series[0].value == 7);
    CHECK(c->series_count() == 1);
  }

  TEST_CASE("lifetimes: never early, and at most a second and one gather late") {
    TestClock clock(5'500);
    auto g = obs::NewGauge({.name = "g", .help = "h", .labels = {"k"}, .series_ttl = 1500ms});
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(g).ok());
    g->WithLabels("a").Set(1);
    (void)reg->Gather();  // finds "a" updated: idle from here (5.5 s)
    // The lifetime counts in whole seconds, rounded up (2 s), on a clock of whole seconds: "a" must
    // stay through 7.5 s and be gone by 9.5 s.
    for (const std::int64_t at : {6'000, 7'000, 7'499}) {
      g_now_ms = at;
      CHECK(FindFamily(reg->Gather(), "g")->series.size() == 1);
    }
    g_now_ms = 9'500;
    CHECK(FindFamily(reg->Gather(), "g")->series.empty());
  }

  TEST_CASE(
      "lifetimes: a gauge set to the same value is updated, and a metric without labels never expires") {
    TestClock clock(0);
    auto g = obs::NewGauge({.name = "g", .help = "h", .labels = {"k"}, .series_ttl = 2s});
    auto plain = obs::NewCounter({.name = "plain_total", .help = "h", .series_ttl = 1s});
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(g).ok());
    REQUIRE(reg->Register(plain).ok());
    auto same = g->WithLabels("same");
    for (int step = 0; step < 20; ++step) {
      same.Set(1);
      (void)reg->Gather();
      clock.Advance(1s);
    }
    const obs::Snapshot snap = reg->Gather();
    CHECK(FindFamily(snap, "g")->series.size() == 1);
    CHECK(FindFamily(snap, "plain_total")->series.size() == 1);
  }

  TEST_CASE("lifetimes: a kept handle of an expired series is detached, WithLabels starts again from zero") {
    TestClock clock(1'700'000'000'000);
    auto reg = obs::NewRegistry({.created_timestamps = true});
    auto c = obs::NewCounter({.name = "x_total", .help = "h", .labels = {"k"}, .series_ttl = 1s});
    REQUIRE(reg->Register(c).ok());
    auto kept = c->WithLabels("a");
    kept.Add(5);
    (void)reg->Gather();
    clock.Advance(3s);
    CHECK(FindFamily(reg->Gather(), "x_total")->series.empty());
    // Detached, as after Delete: updates are accepted and no longer exported.
    kept.Inc();
    CHECK(kept.Value() == 6);
    CHECK(FindFamily(reg->Gather(), "x_total")->series.empty());
    // The label set comes back as a new series, from zero, with a new start.
    c->WithLabels("a").Inc();
    const obs::Snapshot snap = reg->Gather();
    const obs::FamilySnapshot* f = FindFamily(snap, "x_total");
    REQUIRE(f->series.size() == 1);
    CHECK(f->series[0].value == 1);
    CHECK(f->series[0].created_ms == 1'700'000'003'000);
    CHECK(kept.Value() == 6);
  }

  TEST_CASE("lifetimes: an expired overflow series is made again for the next new label set") {
    TestClock clock(0);
    auto c =
        obs::NewCounter({.name = "x_total", .help = "h", .labels = {"k"}, .max_series = 2, .series_ttl = 1s});
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(c).ok());
    c->WithLabels("a").Inc();
    c->WithLabels("b").Inc();  // to the overflow series
    (void)reg->Gather();
    clock.Advance(5s);
    (void)reg->Gather();
    CHECK(c->series_count() == 0);
    c->WithLabels("c").Inc();
    c->WithLabels("d").Inc();
    const obs::Snapshot snap = reg->Gather();
    CHECK(SeriesKeys(*FindFamily(snap, "x_total")) == std::vector<std::string>{"__overflow__", "c"});
    CHECK(OverflowsOf(snap, "x_total") == 2);
  }

  TEST_CASE(
      "limits and lifetimes under threads: new label sets, kept handles and gathers at once, totals exact") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
    TestClock clock(0);
    auto reg = obs::NewRegistry({.created_timestamps = true});
    auto c = obs::NewCounter(
        {.name = "x_total", .help = "h", .labels = {"k"}, .max_series = 50, .series_ttl = 1s});
    REQUIRE(reg->Register(c).ok());
    constexpr int kThreads = 4;
    constexpr int kPerThread = 20000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&c, t] {
        for (int i = 0; i < kPerThread; ++i) c->WithLabels(std::to_string(t * kPerThread + i % 200)).Inc();
      });
    }
    // Gathers meanwhile; no series expires (the clock stands still), so nothing is lost.
    for (int i = 0; i < 50; ++i) (void)reg->Gather();
    for (std::thread& t : threads) t.join();
    const obs::Snapshot snap = reg->Gather();
    double total = 0;
    for (const auto& s : FindFamily(snap, "x_total")->series) total += s.value;
    CHECK(total == kThreads * kPerThread);
    CHECK(c->series_count() == 50);
    CHECK(OverflowsOf(snap, "x_total") == static_cast<double>(c->overflowed()));
    // Then series expire at every gather while threads look up and update: each update lands in a live
    // series or in a detached one, never anywhere else, and the table stays consistent.
    std::vector<std::thread> late;
    for (int t = 0; t < 2; ++t) {
      late.emplace_back([&c, t] {
        for (int i = 0; i < 5000; ++i) c->WithLabels(std::to_string(t * 10 + i % 10)).Inc();
      });
    }
    for (int i = 0; i < 20; ++i) {
      clock.Advance(2s);
      (void)reg->Gather();
    }
    for (std::thread& t : late) t.join();
    CHECK(c->series_count() <= 50);
    double after = 0;
    const obs::Snapshot last = reg->Gather();
    for (const auto& s : FindFamily(last, "x_total")->series) after += s.value;
    CHECK(after <= 10000);
  }

  TEST_CASE("lifetimes: a negative or too long series_ttl makes an inert metric that says why") {
    auto neg = obs::NewCounter({.name = "x_total", .help = "h", .series_ttl = -1ms});
    CHECK(neg->status().code() == obs::StatusCode::kInvalidArgument);
    CHECK(neg->status().message() == "counter x_total: series_ttl is -1 ms (it must be 0 to 2^31 s)");
    auto huge = obs::NewGauge({.name = "g", .help = "h", .series_ttl = std::chrono::hours(24 * 365 * 100)});
    CHECK_FALSE(huge->status().ok());
    auto ok = obs::NewHistogram({.name = "h", .help = "h", .series_ttl = std::chrono::hours(24 * 365)});
    CHECK(ok->status().ok());
  }

  TEST_CASE("created timestamps: opt-in, in OpenMetrics as _created after a series' samples, never in text") {
    TestClock clock(1'700'000'000'250);
    auto c = obs::NewCounter({.name = "req_total", .help = "h", .labels = {"k"}});
    auto h = obs::NewHistogram({.name = "lat_seconds", .help = "h", .buckets = {1}});
    auto g = obs::NewGauge({.name = "temp", .help = "h"});
    auto unknown = obs::NewCounter({.name = "hits", .help = "h"});  // no _total: exposed as unknown
    c->WithLabels("a").Inc();
    h->Observe(0.5);
    g->Set(3);
    auto with = obs::NewRegistry({.created_timestamps = true});
    auto without = obs::NewRegistry();
    for (const auto& reg : {with, without}) {
      REQUIRE(reg->Register(c).ok());
      REQUIRE(reg->Register(h).ok());
      REQUIRE(reg->Register(g).ok());
      REQUIRE(reg->Register(unknown).ok());
    }
    const obs::Snapshot snap = with->Gather();
    CHECK(FindFamily(snap, "req_total")->series[0].created_ms == 1'700'000'000'250);
    CHECK(FindFamily(snap, "temp")->series[0].created_ms == 0);
    const std::string om = with->Expose(obs::Format::kOpenMetrics);
    // Seconds as OpenMetrics spells any float (docs/exposition.md).
    CHECK(Contains(om, "req_total{k=\"a\"} 1.0\nreq_created{k=\"a\"} 1.70000000025e+09\n"));
    CHECK(Contains(om, "lat_seconds_count 1\nlat_seconds_created 1.70000000025e+09\n"));
    CHECK_FALSE(Contains(om, "temp_created"));
    CHECK_FALSE(Contains(om, "hits_created"));
    CHECK_FALSE(Contains(with->Expose(), "_created"));
    CHECK_FALSE(Contains(without->Expose(obs::Format::kOpenMetrics), "_created"));
    for (const auto& f : without->Gather().families) {
      for (const auto& s : f.series) CHECK(s.created_ms == 0);
    }
  }

  TEST_CASE(
      "created timestamps: protobuf Counter field 3 and Histogram field 15, as google.protobuf.Timestamp") {
    obs::Snapshot snap;
    snap.families.push_back(
        {.name = "a_total", .help = "", .type = obs::MetricType::kCounter, .series = {{}}});
    snap.families.back().series[0].value = 1;
    snap.families.back().series[0].created_ms = 1'700'000'000'250;
    const std::string pb = obs::Encode(snap, obs::Format::kProtobuf);
    // Counter{value=1 (9 bytes), created_timestamp=3 {seconds=1 1700000000, nanos=2 250000000}}
    const std::string seconds = {'\x08', '\x80', '\xe2', '\xcf', '\xaa', '\x06'};
    const std::string nanos = {'\x10', '\x80', '\xe5', '\x9a', '\x77'};
    const std::string timestamp =
        std::string{'\x1a', static_cast<char>(seconds.size() + nanos.size())} + seconds + nanos;
    const std::string counter = std::string{'\x1a', static_cast<char>(9 + timestamp.size())} +
                                std::string{'\x09', 0, 0, 0, 0, 0, 0, '\xf0', '\x3f'} + timestamp;
    CHECK(Contains(pb, counter));
    // A whole second: no nanos field.
    snap.families.back().series[0].created_ms = 1'700'000'000'000;
    CHECK(Contains(obs::Encode(snap, obs::Format::kProtobuf), std::string{'\x1a', 6} + seconds));
    // A histogram's is its last field (15), after the buckets.
    obs::Snapshot hist;
    hist.families.push_back(
        {.name = "h", .help = "", .type = obs::MetricType::kHistogram, .bucket_bounds = {1}});
    hist.families.back().series.push_back(
        {.bucket_counts = {1}, .sum = 0.5, .count = 1, .created_ms = 1'700'000'000'000});
    const std::string hpb = obs::Encode(hist, obs::Format::kProtobuf);
    CHECK(hpb.substr(hpb.size() - 8) == std::string{'\x7a', 6} + seconds);
  }
}
