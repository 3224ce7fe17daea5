// Built-in GoliveKit metrics (golivekit_metrics.h): names, types, labels, help, buckets, the recording
// helpers, registration rules, the hooks adapter, and an in-process subset of promtool's lint.
#include "golivekit/observability/golivekit_metrics.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

using glk_obs_test::FindFamily;

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

struct Expected {
  std::string name;
  obs::MetricType type;
  std::vector<std::string> labels;  // declaration order
  std::string help;
};

// The spec's table, with the label names this library pins.
const std::vector<Expected>& SpecTable() {
  static const std::vector<Expected> table = {
      {"golivekit_connections_total", obs::MetricType::kCounter, {"status"}, "Total connections by status"},
      {"golivekit_active_connections", obs::MetricType::kGauge, {}, "Current active connections"},
      {"golivekit_messages_total",
       obs::MetricType::kCounter,
       {"direction", "type"},
       "Messages by direction and type"},
      {"golivekit_message_size_bytes", obs::MetricType::kHistogram, {"direction"}, "Message sizes"},
      {"golivekit_event_latency_seconds",
       obs::MetricType::kHistogram,
       {"event_type"},
       "Event handling latency"},
      {"golivekit_render_latency_seconds",
       obs::MetricType::kHistogram,
       {"component"},
       "Component render latency"},
      {"golivekit_diff_size_bytes", obs::MetricType::kHistogram, {}, "Diff payload sizes"},
      {"golivekit_diff_latency_seconds", obs::MetricType::kHistogram, {}, "Diff computation time"},
      {"golivekit_errors_total", obs::MetricType::kCounter, {"type"}, "Errors by type"},
      {"golivekit_pubsub_messages_total", obs::MetricType::kCounter, {"direction"}, "PubSub messages"},
      {"golivekit_presence_count", obs::MetricType::kGauge, {}, "Tracked presences"},
      {"golivekit_component_instances", obs::MetricType::kGauge, {"component"}, "Active component instances"},
  };
  return table;
}

std::vector<std::shared_ptr<obs::Collector>> Members(const obs::GoliveKitMetrics& m) {
  return {m.connections_total,     m.active_connections,     m.messages_total,  m.message_size_bytes,
          m.event_latency_seconds, m.render_latency_seconds, m.diff_size_bytes, m.diff_latency_seconds,
          m.errors_total,          m.pubsub_messages_total,  m.presence_count,  m.component_instances};
}

std::vector<std::string> Split(const std::string& name) {
  std::vector<std::string> parts;
  std::string cur;
  for (char c : name) {
    if (c == '_') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  return parts;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool CamelCase(const std::string& s) {
  for (std::size_t i = 1; i < s.size(); ++i) {
    if (s[i - 1] >= 'a' && s[i - 1] <= 'z' && s[i] >= 'A' && s[i] <= 'Z') return true;
  }
  return false;
}

// The promtool `check metrics` rules (docs/exposition.md, "Checking the output") that can be decided
// from a snapshot, with its messages: "<metric> <problem>".
std::vector<std::string> Lint(const obs::Snapshot& snap) {
  std::vector<std::string> problems;
  auto add = [&](const std::string& name, const std::string& what) { problems.push_back(name + " " + what); };
  const std::vector<std::string> non_base = {
      "milliseconds", "microseconds", "nanoseconds", "minutes",   "hours",     "days",      "weeks",
      "bits",         "kilobytes",    "megabytes",   "gigabytes", "kibibytes", "mebibytes", "gibibytes"};
  const std::vector<std::string> abbreviations = {"s",  "ms", "us", "ns", "sec", "b", "kb",
                                                  "mb", "gb", "tb", "pb", "m",   "h", "d"};
  const std::vector<std::string> types = {"counter", "gauge", "histogram", "summary"};
  for (const obs::FamilySnapshot& f : snap.families) {
    const std::string& n = f.name;
    if (f.help.empty()) add(n, "no help text");
    const std::vector<std::string> parts = Split(n);
    for (const std::string& p : parts) {
      if (std::find(non_base.begin(), non_base.end(), p) != non_base.end())
        add(n, "use base unit (" + p + ")");
      if (std::find(abbreviations.begin(), abbreviations.end(), p) != abbreviations.end()) {
        add(n, "metric names should not contain abbreviated units");
      }
      if (std::find(types.begin(), types.end(), p) != types.end())
        add(n, "metric name should not include type '" + p + "'");
    }
    if (f.type == obs::MetricType::kCounter && !EndsWith(n, "_total"))
      add(n, "counter metrics should have \"_total\" suffix");
    if (f.type != obs::MetricType::kCounter && f.type != obs::MetricType::kUnknown && EndsWith(n, "_total")) {
      add(n, "non-counter metrics should not have \"_total\" suffix");
    }
    if (f.type != obs::MetricType::kHistogram) {
      if (EndsWith(n, "_bucket")) add(n, "non-histogram metrics should not have \"_bucket\" suffix");
      if (EndsWith(n, "_count"))
        add(n, "non-histogram and non-summary metrics should not have \"_count\" suffix");
      if (EndsWith(n, "_sum"))
        add(n, "non-histogram and non-summary metrics should not have \"_sum\" suffix");
      if (std::find(f.label_names.begin(), f.label_names.end(), "le") != f.label_names.end()) {
        add(n, "non-histogram metrics should not have \"le\" label");
      }
    }
    if (std::find(f.label_names.begin(), f.label_names.end(), "quantile") != f.label_names.end()) {
      add(n, "non-summary metrics should not have \"quantile\" label");
    }
    if (n.find(':') != std::string::npos) add(n, "metric names should not contain ':'");
    if (CamelCase(n)) add(n, "metric names should be written in 'snake_case' not 'camelCase'");
    for (const std::string& l : f.label_names) {
      if (CamelCase(l)) add(n, "label names should be written in 'snake_case' not 'camelCase'");
    }
    for (std::size_t i = 1; i < f.series.size(); ++i) {
      if (f.series[i - 1].label_values == f.series[i].label_values) add(n, "metric not unique");
    }
  }
  return problems;
}

// Records something in every family, so that each one has at least one series to expose.
void TouchAll(const obs::GoliveKitMetrics& m) {
  {
    obs::ConnectionScope conn(m);
    conn.Succeeded();
    obs::RecordMessage(m, obs::kDirectionInbound, "event", 100);
    obs::RecordMessage(m, obs::kDirectionOutbound, "diff", 300);
    obs::EventScope ev(m, "click");
    ev.Fail("handler_error");
  }
  obs::RecordRender(m, "Counter", 0.002);
  obs::RecordDiff(m, 40, 0.0001);
  obs::RecordPubSub(m, obs::kPubSubPublished);
  m.presence_count->Set(3);
  obs::ComponentScope keep(m, "Counter");
  m.component_instances->WithLabels("Counter").Inc();  // outlives `keep`
}

std::uint64_t BucketCount(const obs::FamilySnapshot& f, std::size_t series, double le) {
  for (std::size_t i = 0; i < f.bucket_bounds.size(); ++i) {
    if (f.bucket_bounds[i] == le) return f.series[series].bucket_counts[i];
  }
  FAIL("no bucket " << le);
  return 0;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("golivekit metrics: the twelve names, types, labels and help texts of the spec") {
    auto reg = obs::NewRegistry();
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    REQUIRE(m.status.ok());
    const auto members = Members(m);
    REQUIRE(members.size() == SpecTable().size());
    for (std::size_t i = 0; i < members.size(); ++i) {
      const Expected& want = SpecTable()[i];
      CAPTURE(want.name);
      REQUIRE(members[i]);
      CHECK(members[i]->status().ok());
      const auto d = members[i]->Describe();
      REQUIRE(d.size() == 1);
      CHECK(d[0].name == want.name);
      CHECK(d[0].type == want.type);
      CHECK(d[0].label_names == want.labels);
      CHECK(d[0].help == want.help);
    }

    TouchAll(m);
    const obs::Snapshot snap = reg->Gather();
    CHECK(snap.families.size() == 12);
    for (const Expected& want : SpecTable()) {
      CAPTURE(want.name);
      const obs::FamilySnapshot* f = FindFamily(snap, want.name);
      REQUIRE(f);
      CHECK(f->type == want.type);
      CHECK(f->help == want.help);
      std::vector<std::string> sorted = want.labels;
      std::sort(sorted.begin(), sorted.end());
      CHECK(f->label_names == sorted);
      CHECK_FALSE(f->series.empty());
    }
    CHECK(reg->dropped_families() == 0);
    CHECK(reg->failed_collects() == 0);
  }

  TEST_CASE("golivekit metrics: bucket layouts") {
    const std::vector<double> event = obs::GoliveKitEventLatencyBuckets();
    const std::vector<double> render = obs::GoliveKitRenderLatencyBuckets();
    const std::vector<double> size = obs::GoliveKitSizeBuckets();
    // The spec's HighLatency alert compares p95 with 0.5 s: a bucket bound there makes it exact.
    CHECK(std::find(event.begin(), event.end(), 0.5) != event.end());
    CHECK(std::find(render.begin(), render.end(), 0.5) != render.end());
    // Every bound of the spec's example histogram layout is kept, so its quantiles stay comparable.
    for (double b : {.001, .005, .01, .025, .05, .1, .25, .5, 1.0}) {
      CHECK(std::find(event.begin(), event.end(), b) != event.end());
    }
    CHECK(event.front() == 0.0005);
    CHECK(event.back() == 10);
    CHECK(render.front() == 0.00005);
    CHECK(render.back() == 1);
    REQUIRE(size.size() == 16);
    CHECK(size.front() == 32);
    CHECK(size.back() == 1048576);
    for (std::size_t i = 1; i < size.size(); ++i) CHECK(size[i] == 2 * size[i - 1]);
    CHECK(std::is_sorted(event.begin(), event.end()));
    CHECK(std::is_sorted(render.begin(), render.end()));

    auto reg = obs::NewRegistry();
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    CHECK(m.event_latency_seconds->buckets() == event);
    CHECK(m.render_latency_seconds->buckets() == render);
    CHECK(m.diff_latency_seconds->buckets() == render);
    CHECK(m.message_size_bytes->buckets() == size);
    CHECK(m.diff_size_bytes->buckets() == size);
  }

  TEST_CASE("golivekit metrics: registering twice on one registry is AlreadyExists and changes nothing") {
    auto reg = obs::NewRegistry();
    const obs::GoliveKitMetrics first = obs::RegisterGoliveKitMetrics(reg);
    REQUIRE(first.status.ok());
    first.active_connections->Set(5);
    const std::string before = reg->Expose();

    const obs::GoliveKitMetrics second = obs::RegisterGoliveKitMetrics(reg);
    CHECK(second.status.code() == obs::StatusCode::kAlreadyExists);
    CHECK(Contains(second.status.message(), "golivekit_connections_total"));
    for (const auto& c : Members(second)) CHECK(c);  // handles are never null
    second.active_connections->Set(99);              // recorded, never exposed
    CHECK(reg->Expose() == before);
    CHECK(Contains(before, "golivekit_active_connections 5\n"));

    // A second, independent registry takes another set.
    auto other = obs::NewRegistry();
    CHECK(obs::RegisterGoliveKitMetrics(other).status.ok());
  }

  TEST_CASE("golivekit metrics: a failure part-way leaves the registry as it was") {
    auto reg = obs::NewRegistry();
    auto squatter = obs::NewCounter({.name = "golivekit_errors_total", .help = "mine"});
    REQUIRE(reg->Register(squatter).ok());
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    CHECK(m.status.code() == obs::StatusCode::kAlreadyExists);
    CHECK(Contains(m.status.message(), "golivekit_errors_total"));
    const obs::Snapshot snap = reg->Gather();
    REQUIRE(snap.families.size() == 1);
    CHECK(snap.families[0].name == "golivekit_errors_total");
    CHECK(snap.families[0].help == "mine");
    CHECK(reg->Unregister(squatter));
    CHECK(obs::RegisterGoliveKitMetrics(reg).status.ok());

    // A constant label that repeats a built-in label name.
    auto clash = obs::NewRegistry({.const_labels = {{"component", "web"}}});
    const obs::GoliveKitMetrics c = obs::RegisterGoliveKitMetrics(clash);
    CHECK(c.status.code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(c.status.message(), "component"));
    CHECK(clash->Gather().families.empty());

    // Null and invalid registries.
    const obs::GoliveKitMetrics n = obs::RegisterGoliveKitMetrics(nullptr);
    CHECK(n.status.code() == obs::StatusCode::kInvalidArgument);
    for (const auto& h : Members(n)) CHECK(h);
    auto invalid = obs::NewRegistry({.namespace_ = "bad-ns"});
    CHECK(obs::RegisterGoliveKitMetrics(invalid).status == invalid->status());
  }

  TEST_CASE("golivekit metrics: namespace and constant labels apply as to any metric") {
    auto reg = obs::NewRegistry({.namespace_ = "myapp", .const_labels = {{"service", "golivekit"}}});
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    REQUIRE(m.status.ok());
    m.active_connections->Inc();
    CHECK(Contains(reg->Expose(), "myapp_golivekit_active_connections{service=\"golivekit\"} 1\n"));
  }

  TEST_CASE("golivekit metrics: ConnectionScope counts each connection once") {
    auto reg = obs::NewRegistry();
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    auto status = [&](const char* s) { return m.connections_total->WithLabels(s).Value(); };
    {
      obs::ConnectionScope a(m);
      CHECK(m.active_connections->Value() == 1);
      CHECK_FALSE(a.outcome_counted());
      a.Succeeded();
      a.Succeeded();
      a.Failed();  // too late: the outcome is already counted
      CHECK(a.outcome_counted());
      obs::ConnectionScope b(m);
      CHECK(m.active_connections->Value() == 2);
      b.Failed(obs::kStatusTimeout);
      CHECK(status("success") == 1);
      CHECK(status("timeout") == 1);
      CHECK(status("error") == 0);
    }
    CHECK(m.active_connections->Value() == 0);
    CHECK(status("success") == 1);
    CHECK(status("error") == 0);
    {
      obs::ConnectionScope c(m);  // ends without an outcome: counted as "error"
    }
    CHECK(status("error") == 1);
    CHECK(m.active_connections->Value() == 0);

    // Moves transfer the connection; the moved-from scope does nothing.
    {
      obs::ConnectionScope d(m);
      obs::ConnectionScope e(std::move(d));
      CHECK(m.active_connections->Value() == 1);
      obs::ConnectionScope f(m);
      CHECK(m.active_connections->Value() == 2);
      f = std::move(e);  // f's own connection ends here (no outcome: error)
      CHECK(m.active_connections->Value() == 1);
      CHECK(status("error") == 2);
      f.Succeeded();
    }
    CHECK(m.active_connections->Value() == 0);
    CHECK(status("success") == 2);
    CHECK(status("error") == 2);
    double total = 0;
    for (const obs::FamilySnapshot& fam : reg->Gather().families) {
      if (fam.name == "golivekit_connections_total") {
        for (const auto& s : fam.series) total += s.value;
      }
    }
    CHECK(total == 5);  // five connections, five outcomes
  }

  TEST_CASE("golivekit metrics: EventScope observes latency once and counts a failure once") {
    auto reg = obs::NewRegistry();
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    double seconds = -1;
    {
      obs::EventScope ev(m, "click");
      seconds = ev.Finish();
      CHECK(seconds >= 0);
      CHECK(ev.Finish() == seconds);  // no second observation
    }
    CHECK(m.event_latency_seconds->WithLabels("click").Count() == 1);
    CHECK(m.event_latency_seconds->WithLabels("click").Sum() == seconds);
    {
      obs::EventScope ev(m, "submit");
      ev.Fail("validation");
      ev.Fail("other");  // the first error type wins
      CHECK(ev.failed());
    }  // destructor finishes
    CHECK(m.event_latency_seconds->WithLabels("submit").Count() == 1);
    CHECK(m.errors_total->WithLabels("validation").Value() == 1);
    CHECK(m.errors_total->WithLabels("other").Value() == 0);
    {
      obs::EventScope ev(m, "submit");
      ev.Finish();
      ev.Fail("late");  // after Finish: nothing more is recorded
    }
    CHECK(m.event_latency_seconds->WithLabels("submit").Count() == 2);
    CHECK(m.errors_total->WithLabels("late").Value() == 0);
    {
      obs::EventScope a(m, "moved");
      obs::EventScope b(std::move(a));
      b.Fail("x");
    }
    CHECK(m.event_latency_seconds->WithLabels("moved").Count() == 1);
    CHECK(m.errors_total->WithLabels("x").Value() == 1);
    {
      obs::EventScope a(m, "assigned");
      obs::EventScope b(m, "target");
      b = std::move(a);  // b's own event is finished first
      CHECK(m.event_latency_seconds->WithLabels("target").Count() == 1);
    }
    CHECK(m.event_latency_seconds->WithLabels("assigned").Count() == 1);
  }

  TEST_CASE("golivekit metrics: Record helpers record exactly what they say") {
    auto reg = obs::NewRegistry();
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    obs::RecordMessage(m, "inbound", "event", 100);
    obs::RecordMessage(m, "inbound", "event", 5000);
    obs::RecordMessage(m, "outbound", "diff", 2000000);
    obs::RecordRender(m, "Counter", 0.0003);
    obs::RecordRender(m, "Counter", 0.7);
    obs::RecordDiff(m, 48, 0.00004);
    obs::RecordPubSub(m, "published");
    obs::RecordPubSub(m, "delivered");
    obs::RecordPubSub(m, "delivered");
    obs::RecordError(m, "decode");

    CHECK(m.messages_total->WithLabels("inbound", "event").Value() == 2);
    CHECK(m.messages_total->WithLabels("outbound", "diff").Value() == 1);
    CHECK(m.message_size_bytes->WithLabels("inbound").Count() == 2);
    CHECK(m.message_size_bytes->WithLabels("inbound").Sum() == 5100);
    CHECK(m.message_size_bytes->WithLabels("outbound").Sum() == 2000000);
    CHECK(m.render_latency_seconds->WithLabels("Counter").Count() == 2);
    CHECK(m.pubsub_messages_total->WithLabels("published").Value() == 1);
    CHECK(m.pubsub_messages_total->WithLabels("delivered").Value() == 2);
    CHECK(m.errors_total->WithLabels("decode").Value() == 1);

    const obs::Snapshot snap = reg->Gather();
    const obs::FamilySnapshot* size = FindFamily(snap, "golivekit_message_size_bytes");
    REQUIRE(size);
    REQUIRE(size->series.size() == 2);  // inbound, outbound
    CHECK(BucketCount(*size, 0, 64) == 0);
    CHECK(BucketCount(*size, 0, 128) == 1);
    CHECK(BucketCount(*size, 0, 8192) == 2);
    CHECK(BucketCount(*size, 1, 1048576) == 0);  // 2 MB: only in +Inf
    CHECK(size->series[1].count == 1);
    const obs::FamilySnapshot* render = FindFamily(snap, "golivekit_render_latency_seconds");
    REQUIRE(render);
    CHECK(BucketCount(*render, 0, 0.00025) == 0);
    CHECK(BucketCount(*render, 0, 0.0005) == 1);
    CHECK(BucketCount(*render, 0, 0.5) == 1);
    CHECK(BucketCount(*render, 0, 1) == 2);
    const obs::FamilySnapshot* dsize = FindFamily(snap, "golivekit_diff_size_bytes");
    REQUIRE(dsize);
    CHECK(BucketCount(*dsize, 0, 32) == 0);
    CHECK(BucketCount(*dsize, 0, 64) == 1);
    const obs::FamilySnapshot* dlat = FindFamily(snap, "golivekit_diff_latency_seconds");
    REQUIRE(dlat);
    CHECK(BucketCount(*dlat, 0, 0.00005) == 1);
    CHECK(dlat->series[0].sum == 0.00004);
  }

  TEST_CASE("golivekit metrics: ComponentScope tracks instances") {
    auto reg = obs::NewRegistry();
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    auto count = [&](const char* c) { return m.component_instances->WithLabels(c).Value(); };
    {
      obs::ComponentScope a(m, "Counter");
      obs::ComponentScope b(m, "Counter");
      obs::ComponentScope c(m, "Chat");
      CHECK(count("Counter") == 2);
      CHECK(count("Chat") == 1);
      obs::ComponentScope d(std::move(a));
      CHECK(count("Counter") == 2);
      b = std::move(c);  // b's Counter instance ends, it now holds the Chat one
      CHECK(count("Counter") == 1);
      CHECK(count("Chat") == 1);
    }
    CHECK(count("Counter") == 0);
    CHECK(count("Chat") == 0);
  }

  TEST_CASE("golivekit metrics: helpers on an empty GoliveKitMetrics record nothing and do not crash") {
    const obs::GoliveKitMetrics empty;
    {
      obs::ConnectionScope conn(empty);
      conn.Succeeded();
      obs::EventScope ev(empty, "click");
      ev.Fail("x");
      CHECK(ev.Finish() >= 0);
      obs::ComponentScope comp(empty, "c");
    }
    obs::RecordRender(empty, "c", 1);
    obs::RecordDiff(empty, 1, 1);
    obs::RecordMessage(empty, "inbound", "t", 1);
    obs::RecordPubSub(empty, "published");
    obs::RecordError(empty, "x");
    CHECK(empty.status.ok());
  }

  TEST_CASE("golivekit metrics: exposition passes the promtool lint rules, but for presence_count") {
    auto reg = obs::NewRegistry();
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    TouchAll(m);
    const obs::Snapshot snap = reg->Gather();
    REQUIRE(snap.families.size() == 12);
    const std::vector<std::string> problems = Lint(snap);
    // The spec's name: kept (dashboards and alerts use it), documented in docs/builtin-metrics.md.
    CHECK(problems ==
          std::vector<std::string>{"golivekit_presence_count non-histogram and non-summary metrics "
                                   "should not have \"_count\" suffix"});

    const std::string text = reg->Expose();
    for (const Expected& e : SpecTable()) {
      CAPTURE(e.name);
      CHECK(Contains(text, "# HELP " + e.name + " " + e.help + "\n"));
      CHECK(Contains(text, "# TYPE " + e.name + " " + std::string(obs::MetricTypeName(e.type)) + "\n"));
    }
    CHECK(Contains(text, "golivekit_event_latency_seconds_bucket{event_type=\"click\",le=\"0.5\"} 1\n"));
    CHECK(Contains(text, "golivekit_connections_total{status=\"success\"} 1\n"));
    CHECK(Contains(text, "golivekit_component_instances{component=\"Counter\"} 1\n"));
    CHECK(Contains(text, "golivekit_presence_count 3\n"));
    const std::string om = reg->Expose(obs::Format::kOpenMetrics);
    CHECK(Contains(om, "# TYPE golivekit_connections counter\n"));
    CHECK(EndsWith(om, "# EOF\n"));
  }

  TEST_CASE("hooks: register, replace, remove, run in order") {
    obs::Hooks hooks;
    std::vector<std::string> log;
    hooks.Register(obs::kHookAfterEvent, "a",
                   [&](const obs::HookContext& ctx) { log.push_back("a:" + std::string(ctx.Get("event"))); });
    hooks.Register(obs::kHookAfterEvent, "b", [&](const obs::HookContext&) { log.push_back("b"); });
    hooks.Register(obs::kHookBeforeEvent, "a", [&](const obs::HookContext&) { log.push_back("before"); });
    CHECK(hooks.Count(obs::kHookAfterEvent) == 2);
    CHECK(hooks.Count(obs::kHookBeforeEvent) == 1);
    CHECK(hooks.Count("nothing") == 0);

    hooks.Run(obs::kHookAfterEvent, obs::HookContext{{"event", "click"}});
    CHECK(log == std::vector<std::string>{"a:click", "b"});
    log.clear();
    hooks.Register(obs::kHookAfterEvent, "a",
                   [&](const obs::HookContext&) { log.push_back("a2"); });  // replaced in place
    hooks.Run(obs::kHookAfterEvent, {});
    CHECK(log == std::vector<std::string>{"a2", "b"});
    log.clear();
    hooks.Register(obs::kHookAfterEvent, "a", nullptr);  // removed
    hooks.Run(obs::kHookAfterEvent, {});
    CHECK(log == std::vector<std::string>{"b"});
    CHECK(hooks.Count(obs::kHookAfterEvent) == 1);

    // A hook may register hooks while it runs; the change applies from the next Run.
    log.clear();
    hooks.Register("h", "self", [&](const obs::HookContext&) {
      log.push_back("self");
      hooks.Register("h", "late", [&](const obs::HookContext&) { log.push_back("late"); });
    });
    hooks.Run("h", {});
    CHECK(log == std::vector<std::string>{"self"});
    hooks.Run("h", {});
    CHECK(log == std::vector<std::string>{"self", "self", "late"});

    obs::HookContext ctx;
    CHECK_FALSE(ctx.Has("event"));
    CHECK(ctx.Get("event").empty());
    ctx.Set("event", "submit");
    CHECK(ctx.Has("event"));
    CHECK(ctx.Get("event") == "submit");
  }

  TEST_CASE("hooks: RegisterEventCounterHook is the spec's MetricsPlugin") {
    auto reg = obs::NewRegistry();
    auto events = obs::NewCounter({.name = "golivekit_plugin_events_total",
                                   .help = "Events processed by plugins",
                                   .labels = {"event"}});
    REQUIRE(reg->Register(events).ok());
    obs::Hooks hooks;
    REQUIRE(obs::RegisterEventCounterHook(hooks, events).ok());
    CHECK(hooks.Count(obs::kHookAfterEvent) == 1);
    hooks.Run(obs::kHookAfterEvent, {{"event", "click"}});
    hooks.Run(obs::kHookAfterEvent, {{"event", "click"}});
    hooks.Run(obs::kHookAfterEvent, {{"event", "submit"}});
    hooks.Run(obs::kHookAfterEvent, {{"other", "x"}});       // no event: skipped
    hooks.Run(obs::kHookBeforeEvent, {{"event", "click"}});  // another hook point
    CHECK(reg->Expose() ==
          "# HELP golivekit_plugin_events_total Events processed by plugins\n"
          "# TYPE golivekit_plugin_events_total counter\n"
          "golivekit_plugin_events_total{event=\"click\"} 2\n"
          "golivekit_plugin_events_total{event=\"submit\"} 1\n");

    // Registering again under the same name replaces, it does not double count.
    REQUIRE(obs::RegisterEventCounterHook(hooks, events).ok());
    hooks.Run(obs::kHookAfterEvent, {{"event", "submit"}});
    CHECK(events->WithLabels("submit").Value() == 2);

    CHECK(obs::RegisterEventCounterHook(hooks, nullptr).code() == obs::StatusCode::kInvalidArgument);
    auto no_labels = obs::NewCounter({.name = "x_total", .help = "x"});
    const obs::Status s = obs::RegisterEventCounterHook(hooks, no_labels, obs::kHookAfterEvent, "other");
    CHECK(s.code() == obs::StatusCode::kInvalidArgument);
    CHECK(Contains(s.message(), "exactly one"));
    auto inert = obs::NewCounter({.name = "bad-name", .help = "x", .labels = {"event"}});
    CHECK(obs::RegisterEventCounterHook(hooks, inert, obs::kHookAfterEvent, "other") == inert->status());
    CHECK(hooks.Count(obs::kHookAfterEvent) == 1);
  }

  TEST_CASE("golivekit metrics: scopes and hooks from many threads") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
    auto reg = obs::NewRegistry();
    const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(reg);
    auto events = obs::NewCounter({.name = "plugin_events_total", .help = "e", .labels = {"event"}});
    REQUIRE(reg->Register(events).ok());
    obs::Hooks hooks;
    REQUIRE(obs::RegisterEventCounterHook(hooks, events).ok());
    constexpr int kThreads = 4;
    constexpr int kPerThread = 2000;
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        while (!go) std::this_thread::yield();
        for (int i = 0; i < kPerThread; ++i) {
          obs::ConnectionScope conn(m);
          if (i % 2 == 0) conn.Succeeded();
          obs::EventScope ev(m, t % 2 ? "click" : "submit");
          hooks.Run(obs::kHookAfterEvent, {{"event", "click"}});
        }
      });
    }
    go = true;
    // Registering other hooks while they run is safe and does not disturb the counting one.
    for (int i = 0; i < 200; ++i)
      hooks.Register(obs::kHookAfterEvent, "noise" + std::to_string(i % 7), [](const obs::HookContext&) {});
    for (auto& th : threads) th.join();
    (void)reg->Expose();
    CHECK(m.active_connections->Value() == 0);
    CHECK(m.connections_total->WithLabels("success").Value() == kThreads * kPerThread / 2);
    CHECK(m.connections_total->WithLabels("error").Value() == kThreads * kPerThread / 2);
    CHECK(m.event_latency_seconds->WithLabels("click").Count() +
              m.event_latency_seconds->WithLabels("submit").Count() ==
          kThreads * kPerThread);
    CHECK(events->WithLabels("click").Value() == kThreads * kPerThread);
  }
}
