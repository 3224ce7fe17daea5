// OpenMetrics 1.0 text (docs/exposition.md): golden files tests/fixtures/*.om, from the same registries as
// the 0.0.4 fixtures (built in exposition_test.cc).
#include <doctest/doctest.h>

#include <limits>
#include <memory>
#include <string>

#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"

namespace obs = golivekit::observability;

// Defined in exposition_test.cc.
namespace glk_obs_test {
std::string ReadFixture(const std::string& name);
std::shared_ptr<obs::Registry> BuildEscaping();
std::shared_ptr<obs::Registry> BuildDefaultBucketsHistogram();
std::shared_ptr<obs::Registry> BuildSpecialValues();
std::shared_ptr<obs::Registry> BuildHelpBackslash();
std::shared_ptr<obs::Registry> BuildConstLabels();
std::shared_ptr<obs::Registry> BuildNoHelp();
std::shared_ptr<obs::Registry> BuildCounter();
std::shared_ptr<obs::Registry> BuildCounterUnknown();
std::shared_ptr<obs::Registry> BuildHistogram();
std::shared_ptr<obs::Registry> BuildNativeHistogram();
void CheckGolden(const obs::Registry& reg, const std::string& fixture, obs::Format format);
}  // namespace glk_obs_test

namespace t = glk_obs_test;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("openmetrics: counter family named without _total") {
    t::CheckGolden(*t::BuildCounter(), "counter.om", obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: counter without _total is unknown") {
    t::CheckGolden(*t::BuildCounterUnknown(), "counter_unknown.om", obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: histogram with canonical le and integer counts") {
    t::CheckGolden(*t::BuildHistogram(), "histogram.om", obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: native histograms show their classic buckets or only +Inf") {
    t::CheckGolden(*t::BuildNativeHistogram(), "native_histogram.om", obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: DefaultBuckets histogram") {
    t::CheckGolden(*t::BuildDefaultBucketsHistogram(), "default_buckets_histogram.om",
                   obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: escaping example with quotes escaped in HELP") {
    t::CheckGolden(*t::BuildEscaping(), "escaping.om", obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: HELP with backslashes") {
    t::CheckGolden(*t::BuildHelpBackslash(), "help_backslash.om", obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: NaN and infinite gauge values") {
    t::CheckGolden(*t::BuildSpecialValues(), "special_values.om", obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: namespace and constant labels") {
    t::CheckGolden(*t::BuildConstLabels(), "const_labels.om", obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: empty help writes no HELP line") {
    t::CheckGolden(*t::BuildNoHelp(), "no_help.om", obs::Format::kOpenMetrics);
  }

  TEST_CASE("openmetrics: empty registry is exactly the EOF line") {
    auto reg = obs::NewRegistry();
    CHECK(reg->Expose(obs::Format::kOpenMetrics) == "# EOF\n");
    CHECK(obs::Encode(obs::Snapshot{}, obs::Format::kOpenMetrics) == "# EOF\n");
  }

  TEST_CASE("openmetrics: every exposition ends with EOF once") {
    for (auto build : {t::BuildEscaping, t::BuildDefaultBucketsHistogram, t::BuildSpecialValues,
                       t::BuildHelpBackslash, t::BuildConstLabels, t::BuildNoHelp, t::BuildCounter,
                       t::BuildCounterUnknown, t::BuildHistogram, t::BuildNativeHistogram}) {
      const std::string om = build()->Expose(obs::Format::kOpenMetrics);
      CHECK(EndsWith(om, "\n# EOF\n"));
      CHECK(om.find("# EOF") == om.size() - 6);
      CHECK(om.find('\r') == std::string::npos);
      // Only HELP, TYPE (and UNIT) comments are allowed before EOF.
      std::size_t pos = 0;
      while (pos < om.size()) {
        const std::size_t nl = om.find('\n', pos);
        REQUIRE(nl != std::string::npos);
        const std::string line = om.substr(pos, nl - pos);
        if (!line.empty() && line[0] == '#') {
          const bool allowed = line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0 ||
                               line.rfind("# UNIT ", 0) == 0 || line == "# EOF";
          CAPTURE(line);
          CHECK(allowed);
        }
        CHECK_FALSE(line.empty());
        pos = nl + 1;
      }
    }
  }

  TEST_CASE("openmetrics: gauge values are floats") {
    auto reg = obs::NewRegistry();
    auto g = obs::NewGauge({.name = "items", .help = "Items.", .labels = {"k"}});
    REQUIRE(reg->Register(g).ok());
    g->WithLabels("a").Set(17);
    g->WithLabels("b").Set(0);
    g->WithLabels("c").Set(-1);
    g->WithLabels("d").Set(1e6);
    g->WithLabels("e").Set(0.25);
    CHECK(reg->Expose(obs::Format::kOpenMetrics) ==
          "# HELP items Items.\n# TYPE items gauge\n"
          "items{k=\"a\"} 17.0\nitems{k=\"b\"} 0.0\nitems{k=\"c\"} -1.0\nitems{k=\"d\"} "
          "1e+06\nitems{k=\"e\"} 0.25\n"
          "# EOF\n");
  }

  TEST_CASE("openmetrics: counter with a namespace keeps the namespace in the family name") {
    auto reg = obs::NewRegistry({.namespace_ = "myapp"});
    auto c = obs::NewCounter({.name = "page_views_total", .help = "Total page views", .labels = {"page"}});
    REQUIRE(reg->Register(c).ok());
    c->WithLabels("/home").Inc();
    CHECK(reg->Expose(obs::Format::kOpenMetrics) ==
          "# HELP myapp_page_views Total page views\n# TYPE myapp_page_views counter\n"
          "myapp_page_views_total{page=\"/home\"} 1.0\n# EOF\n");
  }

  TEST_CASE("openmetrics: a counter named total or _total never gives an empty family name") {
    // "total" does not end with "_total": unknown. "_total" would strip to an empty family name, which
    // is not a valid metric name: it must be refused at registration or written as unknown.
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "total", .help = "h"});
    REQUIRE(reg->Register(c).ok());
    c->Inc();
    std::string om = reg->Expose(obs::Format::kOpenMetrics);
    CHECK(Contains(om, "# TYPE total unknown\n"));
    CHECK(Contains(om, "\ntotal 1.0\n"));

    auto reg2 = obs::NewRegistry();
    auto bare = obs::NewCounter({.name = "_total", .help = "h"});
    if (bare->status().ok() && reg2->Register(bare).ok()) {
      bare->Inc();
      om = reg2->Expose(obs::Format::kOpenMetrics);
      CHECK_FALSE(Contains(om, "# TYPE  "));
      CHECK_FALSE(Contains(om, "# HELP  "));
      CHECK(Contains(om, "# TYPE _total unknown\n"));
    }
  }

  TEST_CASE("openmetrics: histogram sum and count are both present") {
    auto reg = obs::NewRegistry();
    auto h = obs::NewHistogram({.name = "x_seconds", .help = "h", .buckets = {1}});
    REQUIRE(reg->Register(h).ok());
    h->Observe(1);
    h->Observe(3);
    CHECK(reg->Expose(obs::Format::kOpenMetrics) ==
          "# HELP x_seconds h\n# TYPE x_seconds histogram\n"
          "x_seconds_bucket{le=\"1.0\"} 1\nx_seconds_bucket{le=\"+Inf\"} 2\nx_seconds_sum "
          "4.0\nx_seconds_count 2\n"
          "# EOF\n");
  }
}
