// Registry::Gather(Snapshot&): refilling a kept snapshot gives exactly what a fresh Gather gives, however
// the registry changed since the kept snapshot was filled and whatever it held; concurrent scrapes through
// Expose(format, out) share the registry's kept snapshot safely.
#include <doctest/doctest.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "golivekit/observability/callback.h"
#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

// Every field of two snapshots, compared (snapshot.h defines no equality for whole snapshots).
bool SameSeries(const obs::SeriesSnapshot& a, const obs::SeriesSnapshot& b) {
  const auto same_double = [](double x, double y) { return x == y || (x != x && y != y); };
  return a.label_values == b.label_values && same_double(a.value, b.value) &&
         a.bucket_counts == b.bucket_counts && same_double(a.sum, b.sum) && a.count == b.count &&
         a.native == b.native;
}

bool SameFamily(const obs::FamilySnapshot& a, const obs::FamilySnapshot& b) {
  if (a.name != b.name || a.help != b.help || a.type != b.type || a.label_names != b.label_names ||
      a.bucket_bounds != b.bucket_bounds || a.native != b.native || a.series.size() != b.series.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.series.size(); ++i) {
    if (!SameSeries(a.series[i], b.series[i])) return false;
  }
  return true;
}

bool SameSnapshot(const obs::Snapshot& a, const obs::Snapshot& b) {
  if (a.families.size() != b.families.size()) return false;
  for (std::size_t i = 0; i < a.families.size(); ++i) {
    if (!SameFamily(a.families[i], b.families[i])) return false;
  }
  return true;
}

// Refills `kept` and checks it against a fresh gather; the text exposition too, for a readable failure.
void CheckRefill(const obs::Registry& registry, obs::Snapshot& kept) {
  registry.Gather(kept);
  const obs::Snapshot fresh = registry.Gather();
  CHECK(obs::Encode(kept, obs::Format::kText) == obs::Encode(fresh, obs::Format::kText));
  CHECK(SameSnapshot(kept, fresh));
}

// A user collector: families in another order than described, one of them undescribed (dropped).
class UserCollector : public obs::Collector {
 public:
  std::vector<obs::Descriptor> Describe() const override {
    return {{.name = "user_a", .help = "a", .type = obs::MetricType::kGauge, .label_names = {"x"}},
            {.name = "user_b", .help = "b", .type = obs::MetricType::kGauge, .label_names = {}}};
  }
  obs::Status Collect(std::vector<obs::FamilySnapshot>& out) const override {
    out.push_back({.name = "user_b", .help = "b", .type = obs::MetricType::kGauge, .series = {{.value = 2}}});
    out.push_back({.name = "user_undescribed", .help = "u", .type = obs::MetricType::kGauge, .series = {{}}});
    out.push_back({.name = "user_a",
                   .help = "a",
                   .type = obs::MetricType::kGauge,
                   .label_names = {"x"},
                   .series = {{.label_values = {"z"}, .value = 1}, {.label_values = {"y"}, .value = 3}}});
    return {};
  }
};

// Fails two Collects in four (every other CheckRefill, which gathers twice), after appending a family.
class FlakyCollector : public obs::Collector {
 public:
  std::vector<obs::Descriptor> Describe() const override {
    return {{.name = "flaky", .help = "f", .type = obs::MetricType::kGauge}};
  }
  obs::Status Collect(std::vector<obs::FamilySnapshot>& out) const override {
    out.push_back({.name = "flaky", .help = "f", .type = obs::MetricType::kGauge, .series = {{.value = 1}}});
    if (calls_++ / 2 % 2 == 1) return obs::FailedPrecondition("flaky");
    return {};
  }

 private:
  mutable int calls_ = 0;
};

std::string Long(const std::string& s) { return s + "-a-label-value-longer-than-the-small-string-buffer"; }

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("gather reuse: a refilled snapshot equals a fresh gather as the registry changes") {
    auto registry =
        obs::NewRegistry({.namespace_ = "app", .const_labels = {{"env", "prod"}, {"zone", "z1"}}});
    auto requests = obs::NewCounter({.name = "requests_total", .help = "r", .labels = {"path", "code"}});
    auto temp = obs::NewGauge({.name = "temp", .help = "t", .labels = {"room"}});
    auto latency =
        obs::NewHistogram({.name = "latency_seconds", .help = "l", .labels = {"op"}, .buckets = {0.1, 1}});
    auto native = obs::NewHistogram({.name = "native_seconds",
                                     .help = "n",
                                     .labels = {"op"},
                                     .buckets = {},
                                     .native_bucket_factor = 1.1});
    int callback_series = 3;
    auto queues = obs::NewCallbackGaugeVec({.name = "queue_depth", .help = "q", .labels = {"queue"}},
                                           [&](obs::CallbackSink& sink) {
                                             for (int i = 0; i < callback_series; ++i) {
                                               sink.Add({"q" + std::to_string(i)}, i);
                                             }
                                           });
    REQUIRE(registry->Register(requests).ok());
    REQUIRE(registry->Register(temp).ok());
    REQUIRE(registry->Register(latency).ok());
    REQUIRE(registry->Register(native).ok());
    REQUIRE(registry->Register(queues).ok());
    REQUIRE(registry->Register(std::make_shared<UserCollector>()).ok());
    REQUIRE(registry->Register(std::make_shared<FlakyCollector>()).ok());

    obs::Snapshot kept;
    CheckRefill(*registry, kept);  // empty metrics

    for (int i = 0; i < 20; ++i) requests->WithLabels("/p" + std::to_string(i), "200").Inc();
    temp->WithLabels("kitchen").Set(21.5);
    latency->WithLabels("read").Observe(0.05);
    for (double v : {0.001, 0.01, 0.1, -0.5, 0.0, 3.0}) native->WithLabels("write").Observe(v);
    CheckRefill(*registry, kept);

    SUBCASE("series added and removed, values growing and shrinking") {
      for (int i = 0; i < 20; i += 2) REQUIRE(requests->Delete("/p" + std::to_string(i), "200").ok());
      for (int i = 0; i < 30; ++i) requests->WithLabels(Long("/p" + std::to_string(i)), "500").Add(i);
      callback_series = 7;
      CheckRefill(*registry, kept);
      REQUIRE(requests->Reset().ok());
      requests->WithLabels("a", "b").Inc();
      callback_series = 1;
      CheckRefill(*registry, kept);
      for (int i = 0; i < 5; ++i) requests->WithLabels("/q" + std::to_string(i), Long("x")).Inc();
      native->WithLabels("write").Observe(1e6);  // a far bucket: another span
      native->WithLabels("read").Observe(-2);
      latency->WithLabels(Long("op")).Observe(5);
      CheckRefill(*registry, kept);
    }
    SUBCASE("families added and removed") {
      REQUIRE(registry->Unregister(latency));
      CheckRefill(*registry, kept);
      auto early = obs::NewGauge({.name = "aaa_first", .help = "a", .labels = {"k"}});
      early->WithLabels(Long("k")).Set(1);
      REQUIRE(registry->Register(early).ok());
      CheckRefill(*registry, kept);
      REQUIRE(registry->Register(latency).ok());
      REQUIRE(registry->Unregister(requests));
      REQUIRE(registry->Unregister(native));
      CheckRefill(*registry, kept);
      REQUIRE(registry->Register(native).ok());
      CheckRefill(*registry, kept);
    }
    SUBCASE("a snapshot of another registry, or one the caller changed") {
      auto other = obs::NewRegistry();
      auto h = obs::NewHistogram({.name = "requests_total_h", .help = "h", .labels = {"a", "b", "c"}});
      h->WithLabels(Long("1"), "2", "3").Observe(0.2);
      REQUIRE(other->Register(h).ok());
      obs::Snapshot foreign = other->Gather();
      CheckRefill(*registry, foreign);
      CheckRefill(*other, kept);
      kept.families.resize(1);
      kept.families[0].series.resize(2);
      kept.families[0].series[0].label_values = {"only-one"};
      kept.families[0].series[1].native.positive_counts = {1, 2, 3};
      kept.families[0].series[1].bucket_counts = {9};
      kept.families[0].name = "zzz";
      CheckRefill(*registry, kept);
    }
  }

  TEST_CASE("gather reuse: Expose keeps one snapshot and gives the same text every scrape") {
    auto registry = obs::NewRegistry({.const_labels = {{"a", "1"}}});
    auto requests = obs::NewCounter({.name = "requests_total", .help = "r", .labels = {"path"}});
    REQUIRE(registry->Register(requests).ok());
    for (int i = 0; i < 50; ++i) requests->WithLabels(Long(std::to_string(i))).Inc();
    const std::string first = registry->Expose();
    std::string out;
    registry->Expose(obs::Format::kText, out);
    CHECK(out == first);
    registry->Expose(obs::Format::kText, out);  // appends
    CHECK(out == first + first);
    REQUIRE(requests->Delete(Long("7")).ok());
    out.clear();
    registry->Expose(obs::Format::kText, out);
    CHECK(out == obs::Encode(registry->Gather(), obs::Format::kText));
    CHECK(out.find('"' + Long("7")) == std::string::npos);
  }

  TEST_CASE("gather reuse: concurrent scrapes through Expose while series come and go") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
    auto registry = obs::NewRegistry({.const_labels = {{"env", "prod"}}});
    auto requests = obs::NewCounter({.name = "requests_total", .help = "r", .labels = {"path", "code"}});
    auto native = obs::NewHistogram(
        {.name = "native_seconds", .help = "n", .labels = {}, .buckets = {}, .native_bucket_factor = 1.1});
    REQUIRE(registry->Register(requests).ok());
    REQUIRE(registry->Register(native).ok());
    for (int i = 0; i < 200; ++i) requests->WithLabels(Long(std::to_string(i)), "200").Inc();
    native->Observe(0.5);

    // A quiet registry: every concurrent scrape sees the same text.
    const std::string reference = registry->Expose();
    std::atomic<int> mismatches{0};
    {
      std::vector<std::thread> scrapers;
      for (int t = 0; t < 4; ++t) {
        scrapers.emplace_back([&] {
          std::string out;
          obs::Snapshot own;
          for (int k = 0; k < 50; ++k) {
            out.clear();
            registry->Expose(obs::Format::kText, out);
            if (out != reference) mismatches.fetch_add(1);
            registry->Gather(own);
            if (obs::Encode(own, obs::Format::kText) != reference) mismatches.fetch_add(1);
          }
        });
      }
      for (std::thread& t : scrapers) t.join();
    }
    CHECK(mismatches.load() == 0);

    // A busy one: scrapes race with series created, deleted and observed (for the thread sanitizer).
    std::atomic<bool> stop{false};
    std::thread writer([&] {
      for (int k = 0; !stop.load(); ++k) {
        const std::string path = k % 3 == 0 ? Long(std::to_string(k % 50)) : std::to_string(k % 50);
        requests->WithLabels(path, "500").Inc();
        if (k % 7 == 0) (void)requests->Delete(path, "500");
        native->Observe(0.001 * (k % 1000 + 1));
      }
    });
    std::vector<std::thread> scrapers;
    std::atomic<int> bad{0};
    for (int t = 0; t < 3; ++t) {
      scrapers.emplace_back([&] {
        std::string out;
        for (int k = 0; k < 100; ++k) {
          out.clear();
          registry->Expose(k % 2 ? obs::Format::kText : obs::Format::kOpenMetrics, out);
          if (out.find("requests_total{code=\"200\",env=\"prod\",path=") == std::string::npos)
            bad.fetch_add(1);
        }
      });
    }
    for (std::thread& t : scrapers) t.join();
    stop.store(true);
    writer.join();
    CHECK(bad.load() == 0);
  }
}
