// Every Go example of the spec (GoliveKit's observability documentation), translated with the table of
// docs/api-cpp.md ("The spec in C++"), compiles and behaves as the spec says. (RegisterGoliveKitMetrics
// and registry.Handler() are not part of core: not here.)
#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <golivekit/observability.hpp>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace obs = golivekit::observability;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Stands in for `handleEvent()` / "do work": spins until the monotonic clock has visibly advanced.
void DoWork() {
  const auto start = std::chrono::steady_clock::now();
  volatile double sink = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::microseconds(200)) sink = sink + 1;
}

// spec "Batch Metrics": the DBMetrics struct.
struct DBMetrics {
  std::shared_ptr<obs::Counter> queries;
  std::shared_ptr<obs::Histogram> query_duration;
  std::shared_ptr<obs::Gauge> connections;
  std::shared_ptr<obs::Counter> errors;
};

DBMetrics NewDBMetrics(obs::Registry& registry) {
  DBMetrics m{
      .queries = obs::NewCounter({
          .name = "db_queries_total",
          .help = "Total database queries",
          .labels = {"operation"},
      }),
      .query_duration = obs::NewHistogram({
          .name = "db_query_duration_seconds",
          .help = "Query duration",
          .labels = {"operation"},
          .buckets = obs::DefaultBuckets,
      }),
      .connections = obs::NewGauge({
          .name = "db_connections",
          .help = "Active database connections",
      }),
      .errors = obs::NewCounter({
          .name = "db_errors_total",
          .help = "Database errors",
          .labels = {"type"},
      }),
  };
  REQUIRE(registry.Register(m.queries).ok());
  REQUIRE(registry.Register(m.query_duration).ok());
  REQUIRE(registry.Register(m.connections).ok());
  REQUIRE(registry.Register(m.errors).ok());
  return m;
}

// spec "Label Values": label values as constants.
constexpr std::string_view kStatusSuccess = "success";
constexpr std::string_view kStatusError = "error";
constexpr std::string_view kStatusTimeout = "timeout";

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("spec_examples: Counter") {
    auto connections = obs::NewCounter({
        .name = "golivekit_websocket_connections_total",
        .help = "Total number of WebSocket connections",
        .labels = {"status"},
    });
    REQUIRE(connections->status().ok());
    connections->WithLabels("success").Inc();
    connections->WithLabels("error").Inc();
    CHECK(connections->WithLabels("success").Value() == 1);
    CHECK(connections->WithLabels("error").Value() == 1);

    auto registry = obs::NewRegistry();
    REQUIRE(registry->Register(connections).ok());
    CHECK(registry->Expose() ==
          "# HELP golivekit_websocket_connections_total Total number of WebSocket connections\n"
          "# TYPE golivekit_websocket_connections_total counter\n"
          "golivekit_websocket_connections_total{status=\"error\"} 1\n"
          "golivekit_websocket_connections_total{status=\"success\"} 1\n");
  }

  TEST_CASE("spec_examples: Gauge") {
    auto active_conns = obs::NewGauge({
        .name = "golivekit_active_connections",
        .help = "Number of active WebSocket connections",
    });
    active_conns->Set(100);
    active_conns->Inc();
    active_conns->Dec();
    active_conns->Add(10);
    active_conns->Sub(5);
    CHECK(active_conns->Value() == 105);

    auto registry = obs::NewRegistry();
    REQUIRE(registry->Register(active_conns).ok());
    CHECK(Contains(registry->Expose(), "\ngolivekit_active_connections 105\n"));
  }

  TEST_CASE("spec_examples: Histogram") {
    auto latency = obs::NewHistogram({
        .name = "golivekit_event_latency_seconds",
        .help = "Event handling latency in seconds",
        .labels = {"event_type"},
        .buckets = {.001, .005, .01, .025, .05, .1, .25, .5, 1},
    });
    REQUIRE(latency->status().ok());
    const auto start = std::chrono::steady_clock::now();
    DoWork();
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    latency->WithLabels("click").Observe(elapsed);

    auto click = latency->WithLabels("click");
    CHECK(click.Count() == 1);
    CHECK(click.Sum() == elapsed);
    CHECK(elapsed > 0);

    auto registry = obs::NewRegistry();
    REQUIRE(registry->Register(latency).ok());
    const std::string text = registry->Expose();
    CHECK(Contains(text, "# TYPE golivekit_event_latency_seconds histogram\n"));
    CHECK(Contains(text, "golivekit_event_latency_seconds_bucket{event_type=\"click\",le=\"0.001\"} "));
    CHECK(Contains(text, "golivekit_event_latency_seconds_bucket{event_type=\"click\",le=\"1\"} 1\n"));
    CHECK(Contains(text, "golivekit_event_latency_seconds_bucket{event_type=\"click\",le=\"+Inf\"} 1\n"));
    CHECK(Contains(text, "golivekit_event_latency_seconds_count{event_type=\"click\"} 1\n"));
  }

  TEST_CASE("spec_examples: Registering Metrics page views") {
    auto registry = obs::NewRegistry();
    auto page_views = obs::NewCounter({
        .name = "myapp_page_views_total",
        .help = "Total page views",
        .labels = {"page"},
    });
    REQUIRE(registry->Register(page_views).ok());
    page_views->WithLabels("/home").Inc();
    page_views->WithLabels("/about").Inc();
    CHECK(registry->Expose() ==
          "# HELP myapp_page_views_total Total page views\n"
          "# TYPE myapp_page_views_total counter\n"
          "myapp_page_views_total{page=\"/about\"} 1\n"
          "myapp_page_views_total{page=\"/home\"} 1\n");
  }

  TEST_CASE("spec_examples: Timer Helper") {
    auto duration = obs::NewHistogram({
        .name = "myapp_operation_duration_seconds",
        .help = "Operation duration",
        .buckets = obs::DefaultBuckets,
    });
    REQUIRE(duration->status().ok());
    auto timer = obs::NewTimer(duration);
    DoWork();
    const double seconds = timer.ObserveDuration();
    CHECK(seconds > 0);
    CHECK(seconds < 60);
    auto series = duration->WithLabels();
    CHECK(series.Count() == 1);
    CHECK(series.Sum() == seconds);
    CHECK(timer.Elapsed() >= seconds);

    // ScopedTimer is the C++ spelling of `defer timer.ObserveDuration()`.
    {
      obs::ScopedTimer scoped(obs::NewTimer(duration));
      DoWork();
    }
    CHECK(series.Count() == 2);
    CHECK(series.Sum() > seconds);

    // A timer on one series of a labelled histogram.
    auto labelled = obs::NewHistogram({.name = "op_seconds", .help = "h", .labels = {"op"}});
    auto t2 = obs::NewTimer(labelled->WithLabels("load"));
    DoWork();
    CHECK(t2.ObserveDuration() > 0);
    CHECK(labelled->WithLabels("load").Count() == 1);
  }

  TEST_CASE("spec_examples: Batch Metrics DBMetrics") {
    auto registry = obs::NewRegistry();
    DBMetrics m = NewDBMetrics(*registry);
    m.queries->WithLabels("select").Inc();
    m.query_duration->WithLabels("select").Observe(0.02);
    m.connections->Set(3);
    m.errors->WithLabels("timeout").Inc();
    const obs::Snapshot s = registry->Gather();
    REQUIRE(s.families.size() == 4);
    CHECK(s.families[0].name == "db_connections");
    CHECK(s.families[1].name == "db_errors_total");
    CHECK(s.families[2].name == "db_queries_total");
    CHECK(s.families[3].name == "db_query_duration_seconds");
    CHECK(s.families[3].bucket_bounds == obs::DefaultBuckets);
    const std::string text = registry->Expose();
    CHECK(Contains(text, "db_queries_total{operation=\"select\"} 1\n"));
    CHECK(Contains(text, "db_query_duration_seconds_bucket{operation=\"select\",le=\"0.025\"} 1\n"));
    CHECK(Contains(text, "db_query_duration_seconds_bucket{operation=\"select\",le=\"0.01\"} 0\n"));
    CHECK(Contains(text, "db_connections 3\n"));
    CHECK(Contains(text, "db_errors_total{type=\"timeout\"} 1\n"));
    // Registering the batch a second time in the same registry is refused.
    auto again = obs::NewCounter(
        {.name = "db_queries_total", .help = "Total database queries", .labels = {"operation"}});
    CHECK(registry->Register(again).code() == obs::StatusCode::kAlreadyExists);
  }

  TEST_CASE("spec_examples: Bucket Configurations") {
    CHECK(obs::DefaultBuckets == std::vector<double>{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10});
    CHECK(obs::LinearBuckets(0, 100, 10) ==
          std::vector<double>{0, 100, 200, 300, 400, 500, 600, 700, 800, 900});
    CHECK(obs::ExponentialBuckets(1, 2, 10) == std::vector<double>{1, 2, 4, 8, 16, 32, 64, 128, 256, 512});
    obs::HistogramOpts custom{
        .buckets = {.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
    };
    custom.name = "custom_seconds";
    custom.help = "Custom buckets";
    auto h = obs::NewHistogram(custom);
    REQUIRE(h->status().ok());
    CHECK(h->buckets().size() == 12);
    CHECK(h->buckets().front() == .001);
  }

  TEST_CASE("spec_examples: Labels best practices") {
    auto requests =
        obs::NewCounter({.name = "http_requests_total", .help = "Requests", .labels = {"method", "code"}});
    requests->WithLabels("GET", "200").Inc();
    requests->WithLabels("POST", "201").Inc();
    CHECK(requests->WithLabels("GET", "200").Value() == 1);
    CHECK(requests->WithLabels("POST", "201").Value() == 1);
    CHECK(requests->series_count() == 2);
    // The "bad" example has one value for two labels: an inert handle that records nothing.
    const std::string user_id = "user-12345";
    auto bad = requests->WithLabels(user_id);
    CHECK_FALSE(bad.ok());
    bad.Inc();
    CHECK(requests->series_count() == 2);
  }

  TEST_CASE("spec_examples: Label Values as constants") {
    auto counter = obs::NewCounter({.name = "outcomes_total", .help = "h", .labels = {"status"}});
    counter->WithLabels(kStatusSuccess).Inc();
    counter->WithLabels(kStatusSuccess).Inc();
    counter->WithLabels(kStatusError).Inc();
    CHECK(counter->WithLabels("success").Value() == 2);
    CHECK(counter->WithLabels("error").Value() == 1);
    CHECK(counter->WithLabels(kStatusTimeout).Value() == 0);
  }

  TEST_CASE("spec_examples: Integration with Plugin System") {
    // The plugin registers a counter and bumps it from an after-event hook.
    auto registry = obs::NewRegistry();
    auto events = obs::NewCounter({
        .name = "golivekit_plugin_events_total",
        .help = "Events processed by plugins",
        .labels = {"event"},
    });
    REQUIRE(registry->Register(events).ok());
    std::vector<std::function<void(const std::string&)>> after_event_hooks;
    after_event_hooks.push_back([events](const std::string& event) { events->WithLabels(event).Inc(); });
    for (const char* e : {"click", "submit", "click"})
      for (auto& hook : after_event_hooks) hook(e);
    const std::string text = registry->Expose();
    CHECK(Contains(text, "golivekit_plugin_events_total{event=\"click\"} 2\n"));
    CHECK(Contains(text, "golivekit_plugin_events_total{event=\"submit\"} 1\n"));
  }

  TEST_CASE("spec_examples: Configuration") {
    auto registry = obs::NewRegistry({
        .include_runtime_metrics = true,
        .include_process_metrics = true,
        .namespace_ = "myapp",
        .const_labels = {{"service", "golivekit"}, {"env", "production"}},
    });
    REQUIRE(registry->status().ok());
    CHECK(registry->opts().include_runtime_metrics);
    CHECK(registry->opts().include_process_metrics);
    CHECK(registry->opts().namespace_ == "myapp");
    CHECK(registry->opts().const_labels ==
          std::map<std::string, std::string>{{"env", "production"}, {"service", "golivekit"}});
    auto page_views =
        obs::NewCounter({.name = "page_views_total", .help = "Total page views", .labels = {"page"}});
    REQUIRE(registry->Register(page_views).ok());
    page_views->WithLabels("/home").Inc();
    const std::string text = registry->Expose();
    CHECK(Contains(text, "# HELP myapp_page_views_total Total page views\n"));
    CHECK(Contains(text, "# TYPE myapp_page_views_total counter\n"));
    CHECK(Contains(text,
                   "\nmyapp_page_views_total{env=\"production\",page=\"/home\",service=\"golivekit\"} 1\n"));
  }
}
