// Registry (registry.h): namespace, constant labels, conflicts, Unregister, Gather snapshots.
#include "golivekit/observability/registry.h"

#include <doctest/doctest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

using glk_obs_test::FindFamily;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A collector written by a user: one gauge family with a fixed value.
class FixedCollector : public obs::Collector {
 public:
  explicit FixedCollector(std::string name) : name_(std::move(name)) {}
  std::vector<obs::Descriptor> Describe() const override {
    return {obs::Descriptor{
        .name = name_, .help = "Fixed.", .type = obs::MetricType::kGauge, .label_names = {"k"}}};
  }
  obs::Status Collect(std::vector<obs::FamilySnapshot>& out) const override {
    obs::FamilySnapshot f;
    f.name = name_;
    f.help = "Fixed.";
    f.type = obs::MetricType::kGauge;
    f.label_names = {"k"};
    f.series.push_back(obs::SeriesSnapshot{.label_values = {"a"}, .value = 1});
    f.series.push_back(obs::SeriesSnapshot{.label_values = {"b"}, .value = 2});
    out.push_back(std::move(f));
    return {};
  }

 private:
  std::string name_;
};

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("registry: new registry is empty and OK") {
    auto reg = obs::NewRegistry();
    REQUIRE(reg);
    CHECK(reg->status().ok());
    CHECK(reg->Gather().families.empty());
    CHECK(reg->Expose().empty());
    CHECK(reg->opts().namespace_.empty());
    CHECK(reg->opts().const_labels.empty());
    CHECK(reg->dropped_families() == 0);
  }

  TEST_CASE("registry: namespace and constant labels apply to every series") {
    auto reg = obs::NewRegistry(
        {.namespace_ = "myapp", .const_labels = {{"service", "golivekit"}, {"env", "production"}}});
    REQUIRE(reg->status().ok());
    auto views =
        obs::NewCounter({.name = "page_views_total", .help = "Total page views", .labels = {"page"}});
    auto up = obs::NewGauge({.name = "up", .help = "Up."});
    auto lat = obs::NewHistogram(
        {.name = "latency_seconds", .help = "Latency.", .labels = {"route"}, .buckets = {0.1, 1}});
    REQUIRE(reg->Register(views).ok());
    REQUIRE(reg->Register(up).ok());
    REQUIRE(reg->Register(lat).ok());
    views->WithLabels("/home").Inc();
    up->Set(1);
    lat->WithLabels("/x").Observe(0.5);

    const std::string expected =
        "# HELP myapp_latency_seconds Latency.\n"
        "# TYPE myapp_latency_seconds histogram\n"
        "myapp_latency_seconds_bucket{env=\"production\",route=\"/x\",service=\"golivekit\",le=\"0.1\"} 0\n"
        "myapp_latency_seconds_bucket{env=\"production\",route=\"/x\",service=\"golivekit\",le=\"1\"} 1\n"
        "myapp_latency_seconds_bucket{env=\"production\",route=\"/x\",service=\"golivekit\",le=\"+Inf\"} 1\n"
        "myapp_latency_seconds_sum{env=\"production\",route=\"/x\",service=\"golivekit\"} 0.5\n"
        "myapp_latency_seconds_count{env=\"production\",route=\"/x\",service=\"golivekit\"} 1\n"
        "# HELP myapp_page_views_total Total page views\n"
        "# TYPE myapp_page_views_total counter\n"
        "myapp_page_views_total{env=\"production\",page=\"/home\",service=\"golivekit\"} 1\n"
        "# HELP myapp_up Up.\n"
        "# TYPE myapp_up gauge\n"
        "myapp_up{env=\"production\",service=\"golivekit\"} 1\n";
    CHECK(reg->Expose() == expected);

    const obs::Snapshot s = reg->Gather();
    const obs::FamilySnapshot* f = FindFamily(s, "myapp_page_views_total");
    REQUIRE(f != nullptr);
    CHECK(f->label_names == std::vector<std::string>{"env", "page", "service"});
    REQUIRE(f->series.size() == 1);
    CHECK(f->series[0].label_values == std::vector<std::string>{"production", "/home", "golivekit"});
  }

  TEST_CASE("registry: made from label pairs, it equals the registry made from the map") {
    // Unsorted, one name twice (the first value stays, as in the map), and an invalid second label
    // after an invalid first one in the map's order: the same error either way.
    const std::vector<std::string_view> pairs = {"service", "golivekit", "env", "production", "service", "x"};
    obs::Registry from_pairs("myapp", pairs);
    auto from_map = obs::NewRegistry(
        {.namespace_ = "myapp", .const_labels = {{"service", "golivekit"}, {"env", "production"}}});
    REQUIRE(from_pairs.status().ok());
    auto c = obs::NewCounter({.name = "page_views_total", .help = "Total page views", .labels = {"page"}});
    c->WithLabels("/home").Inc();
    REQUIRE(from_pairs.Register(c).ok());
    REQUIRE(from_map->Register(c).ok());
    CHECK(from_pairs.Expose() == from_map->Expose());
    CHECK(Contains(from_pairs.Expose(),
                   "myapp_page_views_total{env=\"production\",page=\"/home\",service=\"golivekit\"} 1"));
    CHECK(from_pairs.opts().namespace_ == "myapp");
    CHECK(from_pairs.opts().const_labels == from_map->opts().const_labels);
    CHECK(from_map->opts().const_labels.size() == 2);

    // The checks read the same labels.
    CHECK(from_pairs.Register(obs::NewGauge({.name = "g", .help = "h", .labels = {"env"}})).message() ==
          from_map->Register(obs::NewGauge({.name = "g", .help = "h", .labels = {"env"}})).message());

    const std::vector<std::string_view> bad = {"z-z", "1", "a-a", "2"};
    obs::Registry bad_pairs("", bad);
    auto bad_map = obs::NewRegistry({.const_labels = {{"z-z", "1"}, {"a-a", "2"}}});
    CHECK_FALSE(bad_pairs.status().ok());
    CHECK(bad_pairs.status().message() == bad_map->status().message());
    CHECK(Contains(bad_pairs.status().message(), "a-a"));
  }

  TEST_CASE("registry: namespace without constant labels and a user collector") {
    auto reg = obs::NewRegistry({.namespace_ = "ns"});
    auto fixed = std::make_shared<FixedCollector>("fixed");
    REQUIRE(reg->Register(fixed).ok());
    CHECK(reg->Expose() ==
          "# HELP ns_fixed Fixed.\n# TYPE ns_fixed gauge\nns_fixed{k=\"a\"} 1\nns_fixed{k=\"b\"} 2\n");
    CHECK(reg->dropped_families() == 0);
  }

  TEST_CASE("registry: registering the same collector twice is AlreadyExists") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "dup_total", .help = "h"});
    CHECK(reg->Register(c).ok());
    obs::Status st = reg->Register(c);
    CHECK(st.code() == obs::StatusCode::kAlreadyExists);
    CHECK(Contains(st.message(), "dup_total"));

    // Another collector with an identical description is also refused.
    auto twin = obs::NewCounter({.name = "dup_total", .help = "h"});
    CHECK(reg->Register(twin).code() == obs::StatusCode::kAlreadyExists);
    c->Inc();
    CHECK(reg->Expose() == "# HELP dup_total h\n# TYPE dup_total counter\ndup_total 1\n");
  }

  TEST_CASE("registry: conflicting registrations say what differs") {
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(obs::NewCounter({.name = "thing", .help = "Help A.", .labels = {"a"}})).ok());

    obs::Status type = reg->Register(obs::NewGauge({.name = "thing", .help = "Help A.", .labels = {"a"}}));
    CHECK(type.code() == obs::StatusCode::kAlreadyExists);
    CHECK(Contains(type.message(), "thing"));
    CHECK(Contains(type.message(), "type"));

    obs::Status help = reg->Register(obs::NewCounter({.name = "thing", .help = "Help B.", .labels = {"a"}}));
    CHECK(help.code() == obs::StatusCode::kAlreadyExists);
    CHECK(Contains(help.message(), "help"));

    obs::Status labels =
        reg->Register(obs::NewCounter({.name = "thing", .help = "Help A.", .labels = {"b"}}));
    CHECK(labels.code() == obs::StatusCode::kAlreadyExists);
    CHECK(Contains(labels.message(), "label"));

    obs::Status more_labels =
        reg->Register(obs::NewCounter({.name = "thing", .help = "Help A.", .labels = {"a", "b"}}));
    CHECK(more_labels.code() == obs::StatusCode::kAlreadyExists);
    CHECK(Contains(more_labels.message(), "label"));
  }

  TEST_CASE("registry: conflict detection applies after the namespace") {
    auto reg = obs::NewRegistry({.namespace_ = "app"});
    REQUIRE(reg->Register(obs::NewGauge({.name = "x", .help = "h"})).ok());
    CHECK_FALSE(reg->Register(obs::NewGauge({.name = "x", .help = "h"})).ok());
    // Another name under the same namespace is fine.
    CHECK(reg->Register(obs::NewGauge({.name = "y", .help = "h"})).ok());
  }

  TEST_CASE("registry: histogram sample names clash with other families") {
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(obs::NewHistogram({.name = "x", .help = "h"})).ok());
    CHECK_FALSE(reg->Register(obs::NewGauge({.name = "x_count", .help = "h"})).ok());
    CHECK_FALSE(reg->Register(obs::NewGauge({.name = "x_sum", .help = "h"})).ok());
    CHECK_FALSE(reg->Register(obs::NewGauge({.name = "x_bucket", .help = "h"})).ok());
    CHECK(reg->Register(obs::NewGauge({.name = "x_other", .help = "h"})).ok());

    // The other order: the gauge first, the histogram refused.
    auto reg2 = obs::NewRegistry();
    REQUIRE(reg2->Register(obs::NewGauge({.name = "y_count", .help = "h"})).ok());
    obs::Status st = reg2->Register(obs::NewHistogram({.name = "y", .help = "h"}));
    CHECK_FALSE(st.ok());
    CHECK(Contains(st.message(), "y_count"));
  }

  TEST_CASE("registry: counter x_total clashes with family x") {
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(obs::NewCounter({.name = "x_total", .help = "h"})).ok());
    CHECK_FALSE(reg->Register(obs::NewGauge({.name = "x", .help = "h"})).ok());

    auto reg2 = obs::NewRegistry();
    REQUIRE(reg2->Register(obs::NewGauge({.name = "y", .help = "h"})).ok());
    CHECK_FALSE(reg2->Register(obs::NewCounter({.name = "y_total", .help = "h"})).ok());
    // The same family name with another type.
    auto reg3 = obs::NewRegistry();
    REQUIRE(reg3->Register(obs::NewCounter({.name = "z_total", .help = "h"})).ok());
    CHECK_FALSE(reg3->Register(obs::NewGauge({.name = "z_total", .help = "h"})).ok());
  }

  TEST_CASE("registry: constant label colliding with a metric label is refused") {
    auto reg = obs::NewRegistry({.const_labels = {{"env", "prod"}}});
    REQUIRE(reg->status().ok());
    obs::Status st = reg->Register(obs::NewCounter({.name = "c_total", .help = "h", .labels = {"env"}}));
    CHECK_FALSE(st.ok());
    CHECK(Contains(st.message(), "env"));
    CHECK(reg->Register(obs::NewCounter({.name = "c_total", .help = "h", .labels = {"other"}})).ok());
  }

  TEST_CASE("registry: constant label le is refused on a histogram") {
    auto reg = obs::NewRegistry({.const_labels = {{"le", "x"}}});
    REQUIRE(reg->status().ok());  // le is a valid label name for other types
    CHECK_FALSE(reg->Register(obs::NewHistogram({.name = "h", .help = "h"})).ok());
    CHECK(reg->Register(obs::NewGauge({.name = "g", .help = "h"})).ok());
  }

  TEST_CASE("registry: Unregister removes the family") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "gone_total", .help = "h"});
    auto g = obs::NewGauge({.name = "kept", .help = "h"});
    REQUIRE(reg->Register(c).ok());
    REQUIRE(reg->Register(g).ok());
    c->Inc();
    CHECK(Contains(reg->Expose(), "gone_total 1\n"));
    CHECK(reg->Unregister(c));
    CHECK_FALSE(reg->Unregister(c));
    CHECK_FALSE(Contains(reg->Expose(), "gone_total"));
    CHECK(reg->Expose() == "# HELP kept h\n# TYPE kept gauge\nkept 0\n");
    CHECK(FindFamily(reg->Gather(), "gone_total") == nullptr);
    // Unregistered, the name is free again.
    auto again = obs::NewCounter({.name = "gone_total", .help = "other help"});
    CHECK(reg->Register(again).ok());
    CHECK(Contains(reg->Expose(), "# HELP gone_total other help\n"));
    // Never registered.
    CHECK_FALSE(reg->Unregister(obs::NewGauge({.name = "never", .help = "h"})));
  }

  TEST_CASE("registry: Unregister also frees the sample names of a histogram") {
    auto reg = obs::NewRegistry();
    auto h = obs::NewHistogram({.name = "hh", .help = "h"});
    REQUIRE(reg->Register(h).ok());
    REQUIRE(reg->Unregister(h));
    CHECK(reg->Register(obs::NewGauge({.name = "hh_count", .help = "h"})).ok());
  }

  TEST_CASE("registry: RegisterUnowned follows the same rules and leaves ownership with the caller") {
    obs::Registry reg({.namespace_ = "app"});
    obs::Counter views({.name = "views_total", .help = "h", .labels = {"page"}});
    obs::Histogram latency({.name = "latency_seconds", .help = "h", .buckets = {1}});
    REQUIRE(reg.RegisterUnowned(views).ok());
    REQUIRE(reg.RegisterUnowned(latency).ok());
    REQUIRE(reg.Register(std::make_shared<FixedCollector>("fixed")).ok());  // beside foreign collectors
    views.WithLabels("/").Inc();
    latency.Observe(0.5);
    CHECK(reg.Expose() ==
          "# HELP app_fixed Fixed.\n# TYPE app_fixed gauge\napp_fixed{k=\"a\"} 1\napp_fixed{k=\"b\"} 2\n"
          "# HELP app_latency_seconds h\n# TYPE app_latency_seconds histogram\n"
          "app_latency_seconds_bucket{le=\"1\"} 1\napp_latency_seconds_bucket{le=\"+Inf\"} 1\n"
          "app_latency_seconds_sum 0.5\napp_latency_seconds_count 1\n"
          "# HELP app_views_total h\n# TYPE app_views_total counter\napp_views_total{page=\"/\"} 1\n");
    // The same collector again, by either entry, and a name that is taken, are refused.
    CHECK(reg.RegisterUnowned(views).code() == obs::StatusCode::kAlreadyExists);
    obs::Gauge clash({.name = "views_total", .help = "h"});
    const obs::Status st = reg.RegisterUnowned(clash);
    CHECK(st.code() == obs::StatusCode::kAlreadyExists);
    CHECK(Contains(st.message(), "different type (counter vs gauge)"));
    // An inert metric is refused with its own error.
    obs::Counter bad({.name = "1bad", .help = "h"});
    CHECK(reg.RegisterUnowned(bad) == bad.status());
    // Unregister by reference frees the names; the collector lives on with its owner.
    CHECK(reg.Unregister(views));
    CHECK_FALSE(reg.Unregister(views));
    CHECK_FALSE(Contains(reg.Expose(), "views_total"));
    CHECK(reg.RegisterUnowned(clash).ok());
    CHECK(views.WithLabels("/").Value() == 1);
  }

  TEST_CASE("registry: a collector registered with Register unregisters by reference and vice versa") {
    auto reg = obs::NewRegistry();
    auto shared = obs::NewGauge({.name = "shared", .help = "h"});
    REQUIRE(reg->Register(shared).ok());
    CHECK(reg->RegisterUnowned(*shared).code() == obs::StatusCode::kAlreadyExists);
    CHECK(reg->Unregister(*shared));
    CHECK(shared.use_count() == 1);  // the registry let go of its reference
    obs::Gauge owned({.name = "owned", .help = "h"});
    REQUIRE(reg->RegisterUnowned(owned).ok());
    CHECK(reg->Register(std::shared_ptr<obs::Collector>(&owned, [](obs::Collector*) {})).code() ==
          obs::StatusCode::kAlreadyExists);
    // A refused Register keeps no reference.
    CHECK(reg->Register(shared).ok());
    CHECK(reg->Register(shared).code() == obs::StatusCode::kAlreadyExists);
    CHECK(shared.use_count() == 2);
    CHECK(reg->Unregister(shared));
    CHECK_FALSE(reg->Unregister(std::shared_ptr<obs::Collector>()));
    CHECK(reg->Unregister(owned));
  }

  TEST_CASE("registry: invalid options give a non-OK registry") {
    for (const char* ns : {"1app", "my-app", "my app", "Björn"}) {
      CAPTURE(ns);
      auto reg = obs::NewRegistry({.namespace_ = ns});
      CHECK_FALSE(reg->status().ok());
      CHECK(reg->status().code() == obs::StatusCode::kInvalidArgument);
      obs::Status st = reg->Register(obs::NewGauge({.name = "g", .help = "h"}));
      CHECK_FALSE(st.ok());
      CHECK(reg->Expose().empty());
    }
    CHECK_FALSE(obs::NewRegistry({.const_labels = {{"__bad", "v"}}})->status().ok());
    CHECK_FALSE(obs::NewRegistry({.const_labels = {{"_bad", "v"}}})->status().ok());
    CHECK_FALSE(obs::NewRegistry({.const_labels = {{"a-b", "v"}}})->status().ok());
    CHECK_FALSE(obs::NewRegistry({.const_labels = {{"", "v"}}})->status().ok());
    CHECK_FALSE(obs::NewRegistry({.const_labels = {{"ok", "bad \xff value"}}})->status().ok());
    CHECK(obs::NewRegistry({.namespace_ = "ok:ns_1", .const_labels = {{"a", ""}}})->status().ok());
  }

  TEST_CASE("registry: inert collectors are refused with their own error") {
    auto reg = obs::NewRegistry();
    auto bad = obs::NewGauge({.name = "bad.name", .help = "h"});
    obs::Status st = reg->Register(bad);
    CHECK_FALSE(st.ok());
    CHECK(st == bad->status());
    CHECK_FALSE(reg->Register(nullptr).ok());
    CHECK(reg->Gather().families.empty());
  }

  TEST_CASE("registry: Gather returns an immutable snapshot") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "snap_total", .help = "h", .labels = {"k"}});
    auto h = obs::NewHistogram({.name = "snap_hist", .help = "h", .buckets = {1}});
    REQUIRE(reg->Register(c).ok());
    REQUIRE(reg->Register(h).ok());
    c->WithLabels("a").Inc();
    h->Observe(0.5);

    const obs::Snapshot before = reg->Gather();
    const std::string text_before = obs::Encode(before);
    c->WithLabels("a").Inc();
    c->WithLabels("b").Inc();
    h->Observe(2);
    REQUIRE(c->Delete("a").ok());

    const obs::FamilySnapshot* fc = FindFamily(before, "snap_total");
    REQUIRE(fc != nullptr);
    REQUIRE(fc->series.size() == 1);
    CHECK(fc->series[0].value == 1);
    const obs::FamilySnapshot* fh = FindFamily(before, "snap_hist");
    REQUIRE(fh != nullptr);
    REQUIRE(fh->series.size() == 1);
    CHECK(fh->series[0].count == 1);
    CHECK(fh->series[0].sum == 0.5);
    CHECK(obs::Encode(before) == text_before);

    const obs::Snapshot after = reg->Gather();
    fc = FindFamily(after, "snap_total");
    REQUIRE(fc != nullptr);
    REQUIRE(fc->series.size() == 1);
    CHECK(fc->series[0].label_values == std::vector<std::string>{"b"});
    CHECK(FindFamily(after, "snap_hist")->series[0].count == 2);
    CHECK(obs::Encode(after) == reg->Expose());
  }

  TEST_CASE("registry: families and series are sorted") {
    auto reg = obs::NewRegistry();
    auto zeta = obs::NewGauge({.name = "zeta", .help = "h", .labels = {"k"}});
    auto alpha = obs::NewGauge({.name = "alpha", .help = "h"});
    auto mid = obs::NewCounter({.name = "mid_total", .help = "h", .labels = {"b", "a"}});
    REQUIRE(reg->Register(zeta).ok());
    REQUIRE(reg->Register(alpha).ok());
    REQUIRE(reg->Register(mid).ok());
    for (const char* v : {"q", "b", "z", "a", "B", "aa", ""}) zeta->WithLabels(v).Set(1);
    mid->WithLabels("2", "1").Inc();
    mid->WithLabels("1", "2").Inc();
    mid->WithLabels("1", "1").Inc();

    const obs::Snapshot s = reg->Gather();
    REQUIRE(s.families.size() == 3);
    CHECK(s.families[0].name == "alpha");
    CHECK(s.families[1].name == "mid_total");
    CHECK(s.families[2].name == "zeta");

    std::vector<std::string> zvals;
    for (const auto& ser : s.families[2].series) zvals.push_back(ser.label_values.at(0));
    CHECK(zvals == std::vector<std::string>{"", "B", "a", "aa", "b", "q", "z"});

    // mid: label names sorted (a, b), series sorted by (a, b).
    const auto& m = s.families[1];
    CHECK(m.label_names == std::vector<std::string>{"a", "b"});
    REQUIRE(m.series.size() == 3);
    CHECK(m.series[0].label_values == std::vector<std::string>{"1", "1"});
    CHECK(m.series[1].label_values == std::vector<std::string>{"1", "2"});
    CHECK(m.series[2].label_values == std::vector<std::string>{"2", "1"});
    CHECK(Contains(
        reg->Expose(),
        "mid_total{a=\"1\",b=\"1\"} 1\nmid_total{a=\"1\",b=\"2\"} 1\nmid_total{a=\"2\",b=\"1\"} 1\n"));
  }

  TEST_CASE("registry: Expose with the default format is text 0.0.4") {
    auto reg = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "fmt_total", .help = "h"});
    REQUIRE(reg->Register(c).ok());
    CHECK(reg->Expose() == reg->Expose(obs::Format::kText));
    CHECK(reg->Expose() == obs::Encode(reg->Gather(), obs::Format::kText));
    CHECK(reg->Expose(obs::Format::kOpenMetrics) == obs::Encode(reg->Gather(), obs::Format::kOpenMetrics));
    std::string appended = "prefix";
    obs::Encode(reg->Gather(), obs::Format::kText, appended);
    CHECK(appended == "prefix" + reg->Expose());
    CHECK(obs::ContentType(obs::Format::kText) == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(obs::ContentType(obs::Format::kOpenMetrics) ==
          "application/openmetrics-text; version=1.0.0; charset=utf-8");
  }

  TEST_CASE("registry: metric type names") {
    CHECK(obs::MetricTypeName(obs::MetricType::kCounter) == "counter");
    CHECK(obs::MetricTypeName(obs::MetricType::kGauge) == "gauge");
    CHECK(obs::MetricTypeName(obs::MetricType::kHistogram) == "histogram");
    CHECK(obs::MetricTypeName(obs::MetricType::kUnknown) == "unknown");
  }

  TEST_CASE("registry: a failing collector is left out and the rest of the scrape stays") {
    struct Failing final : obs::Collector {
      std::vector<obs::Descriptor> Describe() const override {
        return {obs::Descriptor{.name = "flaky", .help = "h", .type = obs::MetricType::kGauge}};
      }
      obs::Status Collect(std::vector<obs::FamilySnapshot>& out) const override {
        obs::FamilySnapshot f;  // appended, then the collector fails: none of it may be exposed
        f.name = "flaky";
        f.type = obs::MetricType::kGauge;
        f.series.push_back(obs::SeriesSnapshot{.value = 1});
        out.push_back(std::move(f));
        return obs::FailedPrecondition("flaky: source unavailable");
      }
    };
    auto reg = obs::NewRegistry();
    auto ok = obs::NewGauge({.name = "steady", .help = "h"});
    ok->Set(3);
    REQUIRE(reg->Register(ok).ok());
    REQUIRE(reg->Register(std::make_shared<Failing>()).ok());
    CHECK(reg->last_collect_error().ok());
    const std::string text = reg->Expose();
    CHECK(text == "# HELP steady h\n# TYPE steady gauge\nsteady 3\n");
    CHECK(reg->failed_collects() == 1);
    CHECK(reg->last_collect_error().message() == "flaky: source unavailable");
#if defined(__cpp_exceptions) && !defined(__EMSCRIPTEN__)  // the wasm core is built without exceptions
    struct Throwing final : obs::Collector {
      std::vector<obs::Descriptor> Describe() const override {
        return {obs::Descriptor{.name = "throws", .help = "h", .type = obs::MetricType::kGauge}};
      }
      obs::Status Collect(std::vector<obs::FamilySnapshot>&) const override {
        throw std::runtime_error("boom");
      }
    };
    REQUIRE(reg->Register(std::make_shared<Throwing>()).ok());
    CHECK(reg->Expose() == text);
    CHECK(reg->failed_collects() == 3);
    CHECK(reg->last_collect_error().message().find("boom") != std::string::npos);
#endif
  }
}
