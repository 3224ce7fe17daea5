// Snapshot transforms (snapshot.h): OpenMetricsFamilyName and FilterFamilies, the client_golang name[]
// selection.
#include <doctest/doctest.h>

#include <golivekit/observability.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace obs = golivekit::observability;

namespace {

std::vector<std::string> NamesOf(const obs::Snapshot& s) {
  std::vector<std::string> names;
  for (const auto& f : s.families) names.push_back(f.name);
  return names;
}

obs::FamilySnapshot Family(std::string name, obs::MetricType type) {
  obs::FamilySnapshot f{.name = std::move(name), .type = type};
  f.series.push_back(obs::SeriesSnapshot{});
  return f;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("snapshot: OpenMetricsFamilyName strips _total and nothing else") {
    CHECK(obs::OpenMetricsFamilyName("http_requests_total") == "http_requests");
    CHECK(obs::OpenMetricsFamilyName("x_total") == "x");
    CHECK(obs::OpenMetricsFamilyName("__total") == "_");
    CHECK(obs::OpenMetricsFamilyName("x_total_total") == "x_total");
    // Nothing would be left, or there is no suffix: no OpenMetrics counter family.
    CHECK(obs::OpenMetricsFamilyName("_total").empty());
    CHECK(obs::OpenMetricsFamilyName("total").empty());
    CHECK(obs::OpenMetricsFamilyName("x_totals").empty());
    CHECK(obs::OpenMetricsFamilyName("x_Total").empty());
    CHECK(obs::OpenMetricsFamilyName("x").empty());
    CHECK(obs::OpenMetricsFamilyName("").empty());
    static_assert(obs::OpenMetricsFamilyName("a_total") == "a");
  }

  TEST_CASE("snapshot: FilterFamilies keeps the named families, counters by either name") {
    auto registry = obs::NewRegistry();
    auto requests = obs::NewCounter({.name = "app_requests_total", .help = "Requests"});
    auto temp = obs::NewGauge({.name = "app_temperature", .help = "Temperature"});
    auto latency = obs::NewHistogram({.name = "app_latency_seconds", .help = "Latency"});
    REQUIRE(registry->Register(requests).ok());
    REQUIRE(registry->Register(temp).ok());
    REQUIRE(registry->Register(latency).ok());
    requests->Inc();
    temp->Set(21.5);
    latency->Observe(0.2);

    obs::Snapshot s = registry->Gather();
    obs::FilterFamilies(s, std::vector<std::string>{"app_temperature", "app_requests_total", "nope"});
    CHECK(NamesOf(s) == std::vector<std::string>{"app_requests_total", "app_temperature"});

    s = registry->Gather();
    obs::FilterFamilies(s, std::vector<std::string>{"app_requests"});  // the OpenMetrics family name
    CHECK(NamesOf(s) == std::vector<std::string>{"app_requests_total"});

    s = registry->Gather();
    obs::FilterFamilies(s, std::vector<std::string>{"app_latency_seconds_bucket", "app_temperature_total"});
    CHECK(s.families.empty());  // sample names and made-up suffixes are not family names

    s = registry->Gather();
    obs::FilterFamilies(s, std::vector<std::string>{""});
    CHECK(s.families.empty());

    // The copying form selects the same families and leaves its argument alone.
    const obs::Snapshot all = registry->Gather();
    const obs::Snapshot selected =
        obs::FilterFamilies(all, std::vector<std::string>{"app_requests", "app_temperature"});
    CHECK(NamesOf(selected) == std::vector<std::string>{"app_requests_total", "app_temperature"});
    CHECK(all.families.size() == 3);

    s = registry->Gather();
    obs::FilterFamilies(s, std::vector<std::string>{"app_latency_seconds"});
    REQUIRE(s.families.size() == 1);
    CHECK(obs::Encode(s) == obs::Encode([&] {
            obs::Snapshot all = registry->Gather();
            obs::Snapshot only;
            for (auto& f : all.families) {
              if (f.name == "app_latency_seconds") only.families.push_back(f);
            }
            return only;
          }()));
  }

  TEST_CASE("snapshot: FilterFamilies matches the short name of counters only") {
    const obs::Snapshot s{.families = {Family("_total", obs::MetricType::kCounter),
                                       Family("a_total", obs::MetricType::kGauge),
                                       Family("b_total", obs::MetricType::kCounter),
                                       Family("total", obs::MetricType::kCounter)}};

    // A gauge named a_total is not a counter: "a" does not name it.
    CHECK(NamesOf(obs::FilterFamilies(s, std::vector<std::string>{"a", "b", "", "tot"})) ==
          std::vector<std::string>{"b_total"});
    // Full names always match, whatever the type and suffix.
    CHECK(NamesOf(obs::FilterFamilies(s, std::vector<std::string>{"_total", "a_total", "total"})) ==
          std::vector<std::string>{"_total", "a_total", "total"});
    CHECK(obs::FilterFamilies(s, std::vector<std::string>{}).families.empty());
  }
}
