// Text format 0.0.4 (docs/exposition.md): golden files in tests/fixtures/*.prom compared byte for byte with
// Registry::Expose(). The registries that produce the fixtures are built here and shared with
// openmetrics_test.cc (the same registry must give the .prom and the .om fixture); the recipe of each
// fixture is also written down in tests/fixtures/README.md for the JS tests.
#include <doctest/doctest.h>

#include <cstdio>
#include <limits>
#include <memory>
#include <string>

#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"

#ifndef GLK_OBS_FIXTURES_DIR
#error "GLK_OBS_FIXTURES_DIR must be defined to the tests/fixtures directory"
#endif

namespace obs = golivekit::observability;

namespace glk_obs_test {

std::string ReadFixture(const std::string& name) {
  const std::string path = std::string(GLK_OBS_FIXTURES_DIR) + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  INFO("fixture: ", path);
  REQUIRE(f != nullptr);
  std::string data;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) data.append(buf, n);
  std::fclose(f);
  REQUIRE_FALSE(data.empty());
  return data;
}

// The escaping example of client_golang's expfmt tests, series in sorted order.
std::shared_ptr<obs::Registry> BuildEscaping() {
  auto reg = obs::NewRegistry();
  auto g =
      obs::NewGauge({.name = "gauge_name", .help = "gauge\ndoc\nstr\"ing", .labels = {"name_1", "name_2"}});
  REQUIRE(reg->Register(g).ok());
  g->WithLabels("val with\nnew line", "val with \\backslash and \"quotes\"")
      .Set(std::numeric_limits<double>::infinity());
  g->WithLabels("Björn", "佖佥").Set(3.14e+42);
  return reg;
}

// DefaultBuckets with observations 0.003, 0.2 and 7.
std::shared_ptr<obs::Registry> BuildDefaultBucketsHistogram() {
  auto reg = obs::NewRegistry();
  auto h = obs::NewHistogram({.name = "request_duration_seconds", .help = "Request duration in seconds."});
  REQUIRE(reg->Register(h).ok());
  h->Observe(0.003);
  h->Observe(0.2);
  h->Observe(7);
  return reg;
}

std::shared_ptr<obs::Registry> BuildSpecialValues() {
  auto reg = obs::NewRegistry();
  auto g = obs::NewGauge(
      {.name = "special_values", .help = "Gauge holding the special float values.", .labels = {"kind"}});
  REQUIRE(reg->Register(g).ok());
  g->WithLabels("pos_inf").Set(std::numeric_limits<double>::infinity());
  g->WithLabels("smallest").Set(5e-324);
  g->WithLabels("neg_inf").Set(-std::numeric_limits<double>::infinity());
  g->WithLabels("nan").Set(std::numeric_limits<double>::quiet_NaN());
  return reg;
}

std::shared_ptr<obs::Registry> BuildHelpBackslash() {
  auto reg = obs::NewRegistry();
  auto g = obs::NewGauge({.name = "windows_path_info",
                          .help = "Path C:\\dir\\file, a literal \\n and a real\nnewline \"quoted\".",
                          .labels = {"path"}});
  REQUIRE(reg->Register(g).ok());
  g->WithLabels("C:\\dir\\file").Set(1);
  return reg;
}

// Families registered, series created and labels declared out of order.
std::shared_ptr<obs::Registry> BuildOrdering() {
  auto reg = obs::NewRegistry();
  auto temp = obs::NewGauge({.name = "zz_temperature", .help = "Temperature."});
  auto lat = obs::NewHistogram(
      {.name = "mm_latency_seconds", .help = "Latency.", .labels = {"zone", "app"}, .buckets = {0.1, 1}});
  auto req =
      obs::NewCounter({.name = "aa_requests_total", .help = "Requests.", .labels = {"method", "code"}});
  REQUIRE(reg->Register(temp).ok());
  REQUIRE(reg->Register(lat).ok());
  REQUIRE(reg->Register(req).ok());
  temp->Set(-12.5);
  lat->WithLabels("us", "web");
  lat->WithLabels("eu", "web").Observe(0.5);
  lat->WithLabels("eu", "web").Observe(2);
  lat->WithLabels("eu", "api").Observe(0.05);
  req->WithLabels("GET", "404").Inc();
  req->WithLabels("GET", "404").Inc();
  req->WithLabels("POST", "200").Inc();
  for (int i = 0; i < 3; ++i) req->WithLabels("GET", "200").Inc();
  return reg;
}

// Namespace and constant labels merged into every series.
std::shared_ptr<obs::Registry> BuildConstLabels() {
  auto reg = obs::NewRegistry(
      {.namespace_ = "myapp", .const_labels = {{"service", "golivekit"}, {"env", "production"}}});
  REQUIRE(reg->status().ok());
  auto req = obs::NewCounter({.name = "requests_total", .help = "Total requests", .labels = {"page"}});
  auto q = obs::NewHistogram({.name = "query_duration_seconds",
                              .help = "Query duration",
                              .labels = {"zone", "operation"},
                              .buckets = {0.5}});
  auto conns = obs::NewGauge({.name = "db_connections", .help = "Active database connections"});
  REQUIRE(reg->Register(req).ok());
  REQUIRE(reg->Register(q).ok());
  REQUIRE(reg->Register(conns).ok());
  req->WithLabels("/home").Inc();
  req->WithLabels("/home").Inc();
  req->WithLabels("/about").Inc();
  q->WithLabels("a", "select").Observe(0.25);
  conns->Set(7);
  return reg;
}

// An empty help: no HELP line at all.
std::shared_ptr<obs::Registry> BuildNoHelp() {
  auto reg = obs::NewRegistry();
  auto c = obs::NewCounter({.name = "undocumented_total", .help = ""});
  REQUIRE(reg->Register(c).ok());
  c->Inc();
  return reg;
}

// expfmt's OpenMetrics counter example (without _created).
std::shared_ptr<obs::Registry> BuildCounter() {
  auto reg = obs::NewRegistry();
  auto c = obs::NewCounter({.name = "foos_total", .help = "Number of foos."});
  REQUIRE(reg->Register(c).ok());
  REQUIRE(c->Add(42).ok());
  return reg;
}

// A counter whose name lacks _total: `unknown` in OpenMetrics.
std::shared_ptr<obs::Registry> BuildCounterUnknown() {
  auto reg = obs::NewRegistry();
  auto c = obs::NewCounter({.name = "requests_served",
                            .help = "Requests served, named without the _total suffix.",
                            .labels = {"code"}});
  REQUIRE(reg->Register(c).ok());
  for (int i = 0; i < 3; ++i) c->WithLabels("200").Inc();
  REQUIRE(c->WithLabels("500").Add(0.5).ok());
  return reg;
}

// Bounds whose spellings differ between the formats (1 vs 1.0, 100000 vs 100000.0, 1e+06), an exact
// binary sum in exponent form and an untouched series.
std::shared_ptr<obs::Registry> BuildHistogram() {
  auto reg = obs::NewRegistry();
  auto h = obs::NewHistogram({.name = "rpc_duration_seconds",
                              .help = "RPC duration.",
                              .labels = {"method"},
                              .buckets = {0.005, 1, 10, 100000, 1e6}});
  REQUIRE(reg->Register(h).ok());
  auto get = h->WithLabels("GET");
  get.Observe(0.00390625);
  get.Observe(0.5);
  get.Observe(7.5);
  get.Observe(2e6);
  h->WithLabels("POST");
  return reg;
}

// A histogram with classic and native buckets (its classic buckets as ever) and a native-only one
// (`_bucket{le="+Inf"}`, `_sum`, `_count`, as client_golang's text writer shows it).
std::shared_ptr<obs::Registry> BuildNativeHistogram() {
  auto reg = obs::NewRegistry();
  auto mixed = obs::NewHistogram({.name = "mixed_seconds",
                                  .help = "Classic and native buckets.",
                                  .labels = {"op"},
                                  .buckets = {0.5},
                                  .native_bucket_factor = 1.1});
  auto native = obs::NewHistogram(
      {.name = "native_seconds", .help = "Native buckets only.", .buckets = {}, .native_bucket_factor = 2});
  REQUIRE(reg->Register(mixed).ok());
  REQUIRE(reg->Register(native).ok());
  mixed->WithLabels("read").Observe(0.25);
  mixed->WithLabels("read").Observe(2);
  native->Observe(1);
  native->Observe(1);
  native->Observe(2);
  return reg;
}

void CheckGolden(const obs::Registry& reg, const std::string& fixture, obs::Format format) {
  const std::string expected = ReadFixture(fixture);
  const std::string actual = reg.Expose(format);
  INFO("fixture: ", fixture);
  CHECK(actual == expected);
  REQUIRE_FALSE(actual.empty());
  CHECK(actual.back() == '\n');
  CHECK(actual.find('\r') == std::string::npos);
}

}  // namespace glk_obs_test

namespace t = glk_obs_test;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("exposition: escaping example") {
    t::CheckGolden(*t::BuildEscaping(), "escaping.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: DefaultBuckets histogram") {
    t::CheckGolden(*t::BuildDefaultBucketsHistogram(), "default_buckets_histogram.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: NaN and infinite gauge values") {
    t::CheckGolden(*t::BuildSpecialValues(), "special_values.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: HELP with backslashes") {
    t::CheckGolden(*t::BuildHelpBackslash(), "help_backslash.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: ordering of families series and labels with le last") {
    t::CheckGolden(*t::BuildOrdering(), "ordering.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: namespace and constant labels") {
    t::CheckGolden(*t::BuildConstLabels(), "const_labels.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: empty help writes no HELP line") {
    t::CheckGolden(*t::BuildNoHelp(), "no_help.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: counter") { t::CheckGolden(*t::BuildCounter(), "counter.prom", obs::Format::kText); }

  TEST_CASE("exposition: counter without _total keeps its type in 0.0.4") {
    t::CheckGolden(*t::BuildCounterUnknown(), "counter_unknown.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: histogram bounds use Go spellings") {
    t::CheckGolden(*t::BuildHistogram(), "histogram.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: native histograms show their classic buckets or only +Inf") {
    t::CheckGolden(*t::BuildNativeHistogram(), "native_histogram.prom", obs::Format::kText);
  }

  TEST_CASE("exposition: empty registry gives an empty body") {
    auto reg = obs::NewRegistry();
    CHECK(reg->Expose() == "");
    CHECK(obs::Encode(obs::Snapshot{}) == "");
  }

  TEST_CASE("exposition: a quote in HELP is not escaped in 0.0.4 but is in a label value") {
    auto reg = obs::NewRegistry();
    auto g = obs::NewGauge({.name = "q", .help = "say \"hi\"", .labels = {"v"}});
    REQUIRE(reg->Register(g).ok());
    g->WithLabels("say \"hi\"").Set(2);
    CHECK(reg->Expose() == "# HELP q say \"hi\"\n# TYPE q gauge\nq{v=\"say \\\"hi\\\"\"} 2\n");
  }

  TEST_CASE("exposition: a literal backslash-n in a label value is not a newline") {
    auto reg = obs::NewRegistry();
    auto g = obs::NewGauge({.name = "bs", .help = "h", .labels = {"v"}});
    REQUIRE(reg->Register(g).ok());
    g->WithLabels("a\\nb").Set(1);      // backslash followed by n
    g->WithLabels("a\nb").Set(2);       // a real newline
    g->WithLabels("tab\there").Set(3);  // tabs are written raw
    const std::string text = reg->Expose();
    CHECK(Contains(text, "bs{v=\"a\\\\nb\"} 1\n"));
    CHECK(Contains(text, "bs{v=\"a\\nb\"} 2\n"));
    CHECK(Contains(text, "bs{v=\"tab\there\"} 3\n"));
  }

  TEST_CASE("exposition: type lines for every metric type") {
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(obs::NewCounter({.name = "t_c_total", .help = "c"})).ok());
    REQUIRE(reg->Register(obs::NewGauge({.name = "t_g", .help = "g"})).ok());
    REQUIRE(reg->Register(obs::NewHistogram({.name = "t_h", .help = "h", .buckets = {1}})).ok());
    CHECK(reg->Expose() ==
          "# HELP t_c_total c\n# TYPE t_c_total counter\nt_c_total 0\n"
          "# HELP t_g g\n# TYPE t_g gauge\nt_g 0\n"
          "# HELP t_h h\n# TYPE t_h histogram\nt_h_bucket{le=\"1\"} 0\nt_h_bucket{le=\"+Inf\"} 0\nt_h_sum 0\n"
          "t_h_count 0\n");
  }

  TEST_CASE("exposition: a user collector of unknown type is untyped in 0.0.4") {
    class Untyped : public obs::Collector {
     public:
      std::vector<obs::Descriptor> Describe() const override {
        return {
            obs::Descriptor{.name = "legacy_value", .help = "Legacy.", .type = obs::MetricType::kUnknown}};
      }
      obs::Status Collect(std::vector<obs::FamilySnapshot>& out) const override {
        obs::FamilySnapshot f;
        f.name = "legacy_value";
        f.help = "Legacy.";
        f.type = obs::MetricType::kUnknown;
        obs::SeriesSnapshot s;
        s.value = 17;
        f.series.push_back(s);
        out.push_back(std::move(f));
        return {};
      }
    };
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(std::make_shared<Untyped>()).ok());
    CHECK(reg->Expose() == "# HELP legacy_value Legacy.\n# TYPE legacy_value untyped\nlegacy_value 17\n");
    CHECK(reg->Expose(obs::Format::kOpenMetrics) ==
          "# HELP legacy_value Legacy.\n# TYPE legacy_value unknown\nlegacy_value 17.0\n# EOF\n");
  }
}
