// The merge engine (client_metrics.h, docs/merge.md): one test per merge rule and per rejection reason.
#include "golivekit/observability/client_metrics.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "golivekit/observability/callback.h"
#include "golivekit/observability/client_batch.h"
#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"
#include "test_util.h"

namespace obs = golivekit::observability;
using namespace std::chrono_literals;
using Outcome = obs::ApplyResult::Outcome;
using Reason = obs::RejectReason;

namespace {

const obs::ClientMetrics::Clock::time_point T0{std::chrono::hours(1000)};

obs::ClientMetricsOpts DemoOpts() {
  return {.metrics = {
              {.name = "golivekit_client_events_total",
               .help = "Events handled in the browser.",
               .type = obs::MetricType::kCounter,
               .labels = {"event"}},
              {.name = "golivekit_client_event_latency_seconds",
               .help = "Event latency in the browser.",
               .type = obs::MetricType::kHistogram,
               .labels = {"event"},
               .buckets = {0.1, 1}},
              {.name = "golivekit_client_open_views",
               .help = "Open views.",
               .type = obs::MetricType::kGauge,
               .gauge_policy = obs::GaugePolicy::kSumLive},
          }};
}

obs::ClientId Id(std::uint8_t n) {
  obs::ClientId id{};
  id[0] = n;
  id[15] = 0xaa;
  return id;
}

obs::BatchFamily Events(std::vector<std::pair<std::string, double>> series) {
  obs::BatchFamily f{
      .name = "golivekit_client_events_total", .type = obs::MetricType::kCounter, .label_names = {"event"}};
  for (auto& [e, v] : series) f.series.push_back({.label_values = {e}, .value = v});
  return f;
}

obs::BatchFamily Latency(const std::string& event, std::vector<std::uint64_t> deltas, double sum) {
  return {.name = "golivekit_client_event_latency_seconds",
          .type = obs::MetricType::kHistogram,
          .label_names = {"event"},
          .bucket_bounds = {0.1, 1},
          .series = {
              {.label_values = {event}, .value = 0, .bucket_deltas = std::move(deltas), .sum_delta = sum}}};
}

obs::BatchFamily Views(double v) {
  return {.name = "golivekit_client_open_views",
          .type = obs::MetricType::kGauge,
          .label_names = {},
          .bucket_bounds = {},
          .series = {{.label_values = {}, .value = v}}};
}

std::string Bytes(obs::ClientId id, std::uint64_t seq, std::vector<obs::BatchFamily> families,
                  bool final = false, std::uint64_t dropped = 0) {
  obs::Batch b{.client = id,
               .sequence = seq,
               .dropped_batches = dropped,
               .final = final,
               .families = std::move(families)};
  std::string out;
  obs::EncodeBatch(b, out);
  return out;
}

// The exposed value of one series (label values in ascending label-name order), or NaN if absent.
double Value(const obs::ClientMetrics& cm, const std::string& name,
             const std::vector<std::string>& values = {}, obs::ClientMetrics::Clock::time_point now = T0) {
  std::vector<obs::FamilySnapshot> fams;
  REQUIRE(cm.CollectAt(fams, now).ok());
  for (const auto& f : fams) {
    if (f.name != name) continue;
    for (const auto& s : f.series) {
      if (s.label_values == values)
        return f.type == obs::MetricType::kHistogram ? static_cast<double>(s.count) : s.value;
    }
  }
  return std::nan("");
}

bool Absent(const obs::ClientMetrics& cm, const std::string& name,
            const std::vector<std::string>& values = {}, obs::ClientMetrics::Clock::time_point now = T0) {
  return std::isnan(Value(cm, name, values, now));
}

double Rejections(const obs::ClientMetrics& cm, const std::string& reason) {
  return Value(cm, "golivekit_client_ingest_rejections_total", {reason});
}

double Skipped(const obs::ClientMetrics& cm, const std::string& reason) {
  return Value(cm, "golivekit_client_ingest_skipped_families_total", {reason});
}

void CheckRejected(obs::ClientMetrics& cm, const std::string& bytes, Reason reason,
                   const std::string& message_part) {
  const double before = Rejections(cm, std::string(obs::RejectReasonName(reason)));
  const std::size_t tracked = cm.tracked_clients();
  const obs::ApplyResult r = cm.Apply(bytes, T0);
  CHECK(r.outcome == Outcome::kRejected);
  CHECK(r.reason == reason);
  CHECK_MESSAGE(r.message.find(message_part) != std::string::npos, r.message);
  CHECK(Rejections(cm, std::string(obs::RejectReasonName(reason))) == before + 1);
  CHECK(cm.tracked_clients() == tracked);  // a rejected batch leaves no client state behind
}

}  // namespace

TEST_SUITE("client_metrics") {
  TEST_CASE("declarations are checked") {
    auto bad = [](obs::ClientMetricDecl d) {
      return obs::ClientMetrics({.metrics = {std::move(d)}}).status().message();
    };
    CHECK(bad({.name = "bad name", .help = "h"}).find("bad name") != std::string::npos);
    CHECK(bad({.name = "h", .help = "h", .type = obs::MetricType::kHistogram}).find("needs bucket bounds") !=
          std::string::npos);
    CHECK(
        bad({.name = "h", .help = "h", .type = obs::MetricType::kHistogram, .labels = {"le"}, .buckets = {1}})
            .find("label name \"le\" is reserved") != std::string::npos);
    CHECK(
        bad({.name = "h", .help = "h", .type = obs::MetricType::kHistogram, .labels = {}, .buckets = {2, 1}})
            .find("strictly increasing") != std::string::npos);
    CHECK(bad({.name = "u", .help = "h", .type = obs::MetricType::kUnknown})
              .find("counter, a gauge or a histogram") != std::string::npos);
    CHECK(bad({.name = "c_total", .help = "h", .labels = {"a", "a"}}).find("duplicate label name \"a\"") !=
          std::string::npos);
    CHECK(bad({.name = "c_total", .help = "h", .labels = {"__x"}}).find("__x") != std::string::npos);
    CHECK(bad({.name = "c_total", .help = "h", .max_increment = 0})
              .find("max_increment must be finite and > 0") != std::string::npos);
    CHECK(bad({.name = "c_total", .help = "h", .max_increment = INFINITY}).find("max_increment") !=
          std::string::npos);
    CHECK(bad({.name = "g", .help = "h", .type = obs::MetricType::kGauge, .min_value = 2, .max_value = 1})
              .find("min_value <= max_value") != std::string::npos);
    CHECK(bad({.name = "g", .help = "h", .type = obs::MetricType::kGauge, .min_value = -INFINITY})
              .find("must be finite") != std::string::npos);
    CHECK(bad({.name = "h",
               .help = "h",
               .type = obs::MetricType::kHistogram,
               .buckets = {1},
               .max_observations = 0})
              .find("max_observations must be at least 1") != std::string::npos);
    CHECK(bad({.name = "h",
               .help = "h",
               .type = obs::MetricType::kHistogram,
               .buckets = {1},
               .max_abs_observation = NAN})
              .find("max_abs_observation must be finite and > 0") != std::string::npos);
    obs::ClientMetricsOpts forever;
    forever.client_ttl = std::chrono::hours(24LL * 365 * 1000000);
    CHECK(obs::ClientMetrics(forever).status().message().find("at most a year") != std::string::npos);
    obs::ClientMetrics twice({.metrics = {{.name = "a_total"}, {.name = "a_total"}}});
    CHECK(twice.status().message().find("declared twice") != std::string::npos);
    // An invalid engine is refused by the registry and rejects batches.
    auto inert = obs::NewClientMetrics({.metrics = {{.name = "bad name"}}});
    CHECK_FALSE(obs::NewRegistry()->Register(inert).ok());
    CHECK(inert->Apply(Bytes(Id(1), 1, {}), T0).outcome == Outcome::kRejected);
  }

  TEST_CASE("counters and histograms add up over clients, HELP and TYPE come from the declaration") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    auto reg = obs::NewRegistry({.namespace_ = "", .const_labels = {{"instance", "a"}}});
    REQUIRE(reg->Register(cm).ok());
    CHECK(
        cm->Apply(Bytes(Id(1), 1, {Events({{"click", 2}, {"submit", 1}}), Latency("click", {1, 1, 0}, 0.55)}),
                  T0)
            .outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(2), 1, {Events({{"click", 3}}), Latency("click", {0, 0, 2}, 9)}), T0).outcome ==
          Outcome::kApplied);
    std::vector<obs::FamilySnapshot> fams;
    REQUIRE(cm->CollectAt(fams, T0).ok());
    const std::string text = obs::Encode(obs::Snapshot{.families = {fams[0], fams[1]}}, obs::Format::kText);
    CHECK(text ==
          "# HELP golivekit_client_events_total Events handled in the browser.\n"
          "# TYPE golivekit_client_events_total counter\n"
          "golivekit_client_events_total{event=\"click\"} 5\n"
          "golivekit_client_events_total{event=\"submit\"} 1\n"
          "# HELP golivekit_client_event_latency_seconds Event latency in the browser.\n"
          "# TYPE golivekit_client_event_latency_seconds histogram\n"
          "golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"0.1\"} 1\n"
          "golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"1\"} 2\n"
          "golivekit_client_event_latency_seconds_bucket{event=\"click\",le=\"+Inf\"} 4\n"
          "golivekit_client_event_latency_seconds_sum{event=\"click\"} 9.55\n"
          "golivekit_client_event_latency_seconds_count{event=\"click\"} 4\n");
    // Through the registry: constant labels added, self-metrics there.
    const std::string exposed = reg->Expose();
    CHECK(exposed.find("golivekit_client_events_total{event=\"click\",instance=\"a\"} 5\n") !=
          std::string::npos);
    CHECK(exposed.find("golivekit_client_ingest_batches_total{instance=\"a\",result=\"applied\"} 2\n") !=
          std::string::npos);
  }

  TEST_CASE("a client metric, a counter and a callback counter refuse a declaration in the same words") {
    auto client = [](std::vector<std::string> labels, std::string help = "h") {
      return obs::ClientMetrics(
                 {.metrics = {{.name = "c_total", .help = std::move(help), .labels = std::move(labels)}}})
          .status()
          .message();
    };
    auto counter = [](std::vector<std::string> labels, std::string help = "h") {
      return obs::NewCounter({.name = "c_total", .help = std::move(help), .labels = std::move(labels)})
          ->status()
          .message();
    };
    auto callback = [](std::vector<std::string> labels, std::string help = "h") {
      return obs::NewCallbackCounterVec(
                 {.name = "c_total", .help = std::move(help), .labels = std::move(labels)},
                 [](obs::CallbackSink&) {})
          ->status()
          .message();
    };
    const std::string twice = "c_total: duplicate label name \"a\"";
    CHECK(client({"b", "a", "a"}) == "client metrics: counter " + twice);
    CHECK(counter({"b", "a", "a"}) == "counter " + twice);
    CHECK(callback({"b", "a", "a"}) == "callback counter " + twice);
    const std::string reserved = "c_total: label name \"_x\" is reserved";
    CHECK(client({"_x"}).find(reserved) != std::string::npos);
    CHECK(counter({"_x"}).find(reserved) != std::string::npos);
    CHECK(callback({"_x"}).find(reserved) != std::string::npos);
    // Help is exposed as it is declared: a client metric's must be UTF-8 too.
    CHECK(client({}, "\xff") == "client metrics: counter c_total: help text is not valid UTF-8");
    CHECK(counter({}, "\xff") == "counter c_total: help text is not valid UTF-8");
    // The label names of a client metric are exposed, and expected in batches, in ascending order.
    auto cm = obs::NewClientMetrics({.metrics = {{.name = "c_total", .help = "h", .labels = {"b", "a"}}}});
    std::vector<obs::FamilySnapshot> out;
    REQUIRE(cm->CollectAt(out, T0).ok());
    CHECK(out.front().label_names == std::vector<std::string>{"a", "b"});
  }

  TEST_CASE("exactly once: a duplicate, a lost response and a replay never count twice") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    const std::string b1 = Bytes(Id(1), 1, {Events({{"click", 1}})});
    const std::string b2 = Bytes(Id(1), 2, {Events({{"click", 10}})});
    CHECK(cm->Apply(b1, T0).outcome == Outcome::kApplied);
    const obs::ApplyResult dup = cm->Apply(b1, T0 + 1s);  // retried after a lost response
    CHECK(dup.outcome == Outcome::kDuplicate);
    CHECK(dup.accepted());
    CHECK(dup.sequence == 1);
    CHECK(cm->Apply(b2, T0 + 2s).outcome == Outcome::kApplied);
    CHECK(cm->Apply(b1, T0 + 3s).outcome == Outcome::kDuplicate);  // replayed later
    CHECK(cm->Apply(b2, T0 + 3s).outcome == Outcome::kDuplicate);
    CHECK(Value(*cm, "golivekit_client_events_total", {"click"}) == 11);
    CHECK(Value(*cm, "golivekit_client_ingest_batches_total", {"duplicate"}) == 3);
    CHECK(Value(*cm, "golivekit_client_ingest_batches_total", {"applied"}) == 2);
    // Known from the header alone: the rest is not even decoded.
    std::string resent = b2;
    resent.resize(resent.size() - 3);
    CHECK(cm->Apply(resent, T0 + 4s).outcome == Outcome::kDuplicate);
    // Not applied yet: decoded, and refused as malformed.
    std::string b3 = Bytes(Id(1), 3, {Events({{"click", 1}})});
    b3.resize(b3.size() - 3);
    CHECK(cm->Apply(b3, T0 + 4s).reason == Reason::kMalformed);
  }

  TEST_CASE("out of order within the window is applied once each, older than the window is stale") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    CHECK(cm->Apply(Bytes(Id(1), 5, {Events({{"a", 5}})}), T0).outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(1), 3, {Events({{"a", 3}})}), T0).outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(1), 4, {Events({{"a", 4}})}), T0).outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(1), 3, {Events({{"a", 3}})}), T0).outcome == Outcome::kDuplicate);
    CHECK(cm->Apply(Bytes(Id(1), 100, {Events({{"a", 100}})}), T0).outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(1), 37, {Events({{"a", 37}})}), T0).outcome == Outcome::kApplied);  // 100 - 63
    CheckRejected(*cm, Bytes(Id(1), 35, {Events({{"a", 35}})}), Reason::kStaleSequence,
                  "65 behind its latest");
    CheckRejected(*cm, Bytes(Id(1), 4, {Events({{"a", 4}})}), Reason::kStaleSequence, "latest, 100");
    CHECK(Value(*cm, "golivekit_client_events_total", {"a"}) == 5 + 3 + 4 + 100 + 37);
  }

  TEST_CASE("exactly once: each of the 64 sequences below the newest is applied once, 65 behind is stale") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    CHECK(cm->Apply(Bytes(Id(1), 100, {Events({{"a", 1}})}), T0).outcome == Outcome::kApplied);
    // 64 behind the newest: inside the window merge.md promises, applied once, then a duplicate.
    const std::string behind64 = Bytes(Id(1), 36, {Events({{"a", 10}})});
    CHECK(cm->Apply(behind64, T0).outcome == Outcome::kApplied);
    CHECK(cm->Apply(behind64, T0).outcome == Outcome::kDuplicate);
    std::string resent = behind64;  // the header-only duplicate check agrees
    resent.resize(resent.size() - 3);
    CHECK(cm->Apply(resent, T0).outcome == Outcome::kDuplicate);
    // 65 behind: stale, never applied.
    CheckRejected(*cm, Bytes(Id(1), 35, {Events({{"a", 100}})}), Reason::kStaleSequence, "65 behind");
    CHECK(Value(*cm, "golivekit_client_events_total", {"a"}) == 11);
    // The newest moves on by one: 36 falls out of the window, 37 (never sent) is now 64 behind.
    CHECK(cm->Apply(Bytes(Id(1), 101, {Events({{"a", 1000}})}), T0).outcome == Outcome::kApplied);
    CheckRejected(*cm, behind64, Reason::kStaleSequence, "65 behind");
    CHECK(cm->Apply(Bytes(Id(1), 37, {Events({{"a", 10000}})}), T0).outcome == Outcome::kApplied);
    CHECK(Value(*cm, "golivekit_client_events_total", {"a"}) == 11011);

    // A jump of exactly 64: the old newest is then 64 behind and still known as applied.
    CHECK(cm->Apply(Bytes(Id(2), 1, {Events({{"b", 1}})}), T0).outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(2), 65, {Events({{"b", 2}})}), T0).outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(2), 1, {Events({{"b", 1}})}), T0).outcome == Outcome::kDuplicate);
    CHECK(cm->Apply(Bytes(Id(2), 2, {Events({{"b", 4}})}), T0).outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(2), 66, {Events({{"b", 8}})}), T0).outcome == Outcome::kApplied);
    CheckRejected(*cm, Bytes(Id(2), 1, {Events({{"b", 1}})}), Reason::kStaleSequence, "65 behind");
    CHECK(cm->Apply(Bytes(Id(2), 2, {Events({{"b", 4}})}), T0).outcome == Outcome::kDuplicate);
    CHECK(Value(*cm, "golivekit_client_events_total", {"b"}) == 15);
  }

  TEST_CASE("a batch is applied whole or not at all") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    // Valid families first, a bad one last: nothing of it may stick.
    CheckRejected(*cm, Bytes(Id(1), 1, {Events({{"click", 1}}), Views(3), Latency("x", {1, 0, 0}, NAN)}),
                  Reason::kInvalidValue, "sum increment is not finite");
    CHECK(Absent(*cm, "golivekit_client_events_total", {"click"}));
    CHECK(Value(*cm, "golivekit_client_open_views") == 0);  // declared sum gauge with no client: 0
    CHECK(cm->series_count("golivekit_client_events_total") == 0);
    // The same sequence, fixed, is then applied (a rejected batch does not burn its sequence).
    CHECK(cm->Apply(Bytes(Id(1), 1, {Events({{"click", 1}}), Views(3)}), T0).outcome == Outcome::kApplied);
    CHECK(Value(*cm, "golivekit_client_events_total", {"click"}) == 1);
  }

  TEST_CASE("deploy skew: a family that does not match its declaration is skipped, the rest applied once") {
    using Skip = obs::SkipReason;
    struct Case {
      obs::BatchFamily family;
      Skip reason;
      std::string message;
    };
    obs::BatchFamily as_gauge = Events({{"a", 1}});
    as_gauge.type = obs::MetricType::kGauge;
    obs::BatchFamily other_labels = Events({{"a", 1}});
    other_labels.label_names = {"page"};
    obs::BatchFamily other_buckets = Latency("a", {1, 0, 0, 0}, 1);
    other_buckets.bucket_bounds = {0.2, 1, 10};  // 0.1 missing: not a superset
    obs::BatchFamily native_only = Latency("a", {}, 1);
    native_only.bucket_bounds = {};
    native_only.native = true;
    native_only.series[0].native = {.schema = 3, .zero_threshold = 1e-9, .zero_count = 1};
    const std::vector<Case> cases = {
        {{.name = "my_own_total", .type = obs::MetricType::kCounter},
         Skip::kUndeclaredMetric,
         "my_own_total: not a client metric this server accepts"},
        {as_gauge, Skip::kTypeMismatch, "sent as a gauge, declared as a counter"},
        {other_labels, Skip::kLabelMismatch, "label names [page] differ from the declared [event]"},
        {other_buckets, Skip::kBucketMismatch, "3 bucket bounds differ"},
        {native_only, Skip::kMissingClassicBuckets, "declared with classic buckets, sent without"},
    };
    std::uint8_t client = 1;
    for (const Case& c : cases) {
      CAPTURE(c.message);
      auto cm = obs::NewClientMetrics(DemoOpts());
      const bool events = c.family.name == "golivekit_client_events_total";
      std::vector<obs::BatchFamily> families = {Views(2), c.family};
      if (!events) families.push_back(Events({{"b", 3}}));
      const std::string bytes = Bytes(Id(client++), 1, families);
      const double before = Skipped(*cm, std::string(obs::SkipReasonName(c.reason)));
      const obs::ApplyResult r = cm->Apply(bytes, T0);
      CHECK(r.outcome == Outcome::kApplied);
      REQUIRE(r.skipped.size() == 1);
      CHECK(r.skipped[0].metric == c.family.name);
      CHECK(r.skipped[0].reason == c.reason);
      CHECK_MESSAGE(r.skipped[0].message.find(c.message) != std::string::npos, r.skipped[0].message);
      CHECK(Skipped(*cm, std::string(obs::SkipReasonName(c.reason))) == before + 1);
      CHECK(Value(*cm, "golivekit_client_open_views") == 2);
      if (!events) CHECK(Value(*cm, "golivekit_client_events_total", {"b"}) == 3);
      CHECK(Absent(*cm, "golivekit_client_events_total", {"a"}));
      CHECK(Absent(*cm, "golivekit_client_event_latency_seconds", {"a"}));
      // Resent (the answer was lost): a duplicate, nothing counted twice.
      CHECK(cm->Apply(bytes, T0).outcome == Outcome::kDuplicate);
      if (!events) CHECK(Value(*cm, "golivekit_client_events_total", {"b"}) == 3);
      CHECK(Skipped(*cm, std::string(obs::SkipReasonName(c.reason))) == before + 1);
    }
    CHECK(obs::SkipReasonName(Skip::kZeroThresholdTooLarge) == "zero_threshold_too_large");
  }

  TEST_CASE("classic bounds that are a superset of the declared ones are summed into them exactly") {
    auto cm = obs::NewClientMetrics(DemoOpts());  // declared {0.1, 1}
    obs::BatchFamily finer = Latency("a", {1, 2, 4, 8, 16, 32}, 50);
    finer.bucket_bounds = {0.05, 0.1, 0.5, 1, 5};
    CHECK(cm->Apply(Bytes(Id(1), 1, {finer}), T0).skipped.empty());
    std::vector<obs::FamilySnapshot> fams;
    REQUIRE(cm->CollectAt(fams, T0).ok());
    const auto& lat = *std::find_if(fams.begin(), fams.end(), [](const obs::FamilySnapshot& f) {
      return f.name == "golivekit_client_event_latency_seconds";
    });
    REQUIRE(lat.series.size() == 1);
    CHECK(lat.series[0].bucket_counts == std::vector<std::uint64_t>{1 + 2, 1 + 2 + 4 + 8});
    CHECK(lat.series[0].count == 63);
    CHECK(lat.series[0].sum == 50);
  }

  TEST_CASE("every rejection reason, with a message that names the problem") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    CheckRejected(*cm, "not a batch", Reason::kMalformed, "no \"GLKB\" header");
    std::string v9 = Bytes(Id(1), 1, {});
    v9[4] = 9;
    CheckRejected(*cm, v9, Reason::kUnsupportedVersion, "format version 9");
    // A family that does not match its declaration is skipped, not refused: "deploy skew" below. Its
    // values are still checked: a NaN refuses the batch even in a family the server would skip.
    obs::BatchFamily undeclared_nan{.name = "my_own_total", .type = obs::MetricType::kCounter};
    undeclared_nan.series.push_back({.value = NAN});
    CheckRejected(*cm, Bytes(Id(1), 1, {Events({{"a", 1}}), undeclared_nan}), Reason::kInvalidValue,
                  "my_own_total: counter increment nan");
    CheckRejected(*cm, Bytes(Id(1), 1, {Events({{"a", -1}})}), Reason::kInvalidValue, "counter increment -1");
    CheckRejected(*cm, Bytes(Id(1), 1, {Events({{"a", NAN}})}), Reason::kInvalidValue, "must be finite");
    CheckRejected(*cm, Bytes(Id(1), 1, {Events({{"a", INFINITY}})}), Reason::kInvalidValue, "must be finite");
    CheckRejected(*cm, Bytes(Id(1), 1, {Views(INFINITY)}), Reason::kInvalidValue,
                  "gauge value is not finite");
    CheckRejected(*cm, Bytes(Id(1), 1, {Events({{std::string(129, 'x'), 1}})}), Reason::kInvalidLabelValue,
                  "129 bytes (limit 128)");
    CheckRejected(*cm, Bytes(Id(1), 1, {Events({{"\xff\xfe", 1}})}), Reason::kInvalidLabelValue, "not UTF-8");
    CheckRejected(*cm, Bytes(Id(1), 1, {Events({{"a", 1}, {"a", 2}})}), Reason::kDuplicateSeries,
                  "same series twice");
    CheckRejected(*cm, Bytes(Id(1), 1, {Events({{"a", 1}}), Events({{"b", 1}})}), Reason::kDuplicateSeries,
                  "family twice");
    CHECK(obs::RejectReasonName(Reason::kTotalOutOfRange) == "total_out_of_range");
    CHECK(obs::RejectReasonName(Reason::kIncompleteBody) == "incomplete_body");
    CHECK(obs::RejectReasonName(Reason::kBodyTimeout) == "body_timeout");
    CHECK(obs::RejectReasonName(Reason::kMethodNotAllowed) == "method_not_allowed");
    CHECK(obs::RejectReasonName(Reason::kNone).empty());
    // Transport-level reasons are counted through CountRejection.
    cm->CountRejection(Reason::kBodyTooLarge, 70000);
    CHECK(Rejections(*cm, "body_too_large") == 1);
  }

  TEST_CASE(
      "what one batch may contribute is bounded by the declaration, and a batch beyond is refused whole") {
    obs::ClientMetricsOpts opts = DemoOpts();
    opts.metrics[0].max_increment = 100;
    opts.metrics[1].max_observations = 10;
    opts.metrics[1].max_abs_observation = 60;
    opts.metrics[2].min_value = 0;
    opts.metrics[2].max_value = 50;
    opts.metrics.push_back({.name = "golivekit_client_native_seconds",
                            .help = "Native only.",
                            .type = obs::MetricType::kHistogram,
                            .native_bucket_factor = 1.1,
                            .max_observations = 3});
    auto cm = obs::NewClientMetrics(opts);
    // At the limits: applied.
    REQUIRE(cm->Apply(Bytes(Id(1), 1, {Events({{"a", 100}}), Latency("h", {4, 3, 3}, 600), Views(50)}), T0)
                .outcome == Outcome::kApplied);
    REQUIRE(cm->Apply(Bytes(Id(1), 2, {Views(0), Latency("n", {0, 0, 1}, -60)}), T0).outcome ==
            Outcome::kApplied);
    // One past each: refused whole, named, counted; the batch's other (valid) families are not merged.
    const auto refused = [&](std::uint64_t seq, obs::BatchFamily f, const std::string& message) {
      obs::BatchFamily fine =
          f.name == "golivekit_client_events_total" ? Latency("b", {1, 0, 0}, 0.05) : Events({{"b", 1}});
      CheckRejected(*cm, Bytes(Id(2), seq, {std::move(fine), std::move(f)}), Reason::kValueOutOfRange,
                    message);
      CHECK(Absent(*cm, "golivekit_client_events_total", {"b"}));
      CHECK(Absent(*cm, "golivekit_client_event_latency_seconds", {"b"}));
    };
    refused(1, Events({{"c", 100.5}}),
            "golivekit_client_events_total[c]: increment 100.5 is beyond max_increment 100");
    refused(1, Latency("h", {5, 3, 3}, 1),
            "golivekit_client_event_latency_seconds[h]: observation count 11 is beyond max_observations 10");
    refused(1, Latency("h", {1, 0, 0}, 60.5),
            "|sum increment| 60.5 is beyond count * max_abs_observation 60");
    refused(1, Latency("h", {1, 0, 0}, -61), "|sum increment| 61 is beyond");
    refused(1, Latency("h", {0, 0, 0}, 0.001),
            "|sum increment| 0.001 is beyond count * max_abs_observation 0");
    refused(1, Views(50.5), "golivekit_client_open_views: value 50.5 is beyond max_value 50");
    refused(1, Views(-1), "value -1 is beyond min_value 0");
    // Native buckets count observations too (a native-only family: its count is the native one).
    obs::BatchFamily native{.name = "golivekit_client_native_seconds",
                            .type = obs::MetricType::kHistogram,
                            .native = true,
                            .series = {{.sum_delta = 1,
                                        .native = {.schema = 3,
                                                   .zero_threshold = obs::kDefaultNativeZeroThreshold,
                                                   .zero_count = 1,
                                                   .positive_spans = {{.offset = 0, .length = 1}},
                                                   .positive_counts = {3}}}}};
    refused(1, native, "golivekit_client_native_seconds: observation count 4 is beyond max_observations 3");
    native.series[0].native.positive_counts = {2};
    REQUIRE(cm->Apply(Bytes(Id(2), 1, {native}), T0).outcome == Outcome::kApplied);
    // What the accepted batches made, untouched by the refused ones.
    CHECK(Value(*cm, "golivekit_client_events_total", {"a"}) == 100);
    CHECK(Value(*cm, "golivekit_client_event_latency_seconds", {"h"}) == 10);
    CHECK(Value(*cm, "golivekit_client_open_views") == 0);
    CHECK(Value(*cm, "golivekit_client_native_seconds") == 3);
    CHECK(Rejections(*cm, "value_out_of_range") == 8);
    CHECK(obs::RejectReasonName(Reason::kValueOutOfRange) == "value_out_of_range");
    // Per batch, not per total: the same increment again is accepted.
    CHECK(cm->Apply(Bytes(Id(1), 3, {Events({{"a", 100}})}), T0).outcome == Outcome::kApplied);
    CHECK(Value(*cm, "golivekit_client_events_total", {"a"}) == 200);
    // A skipped family (not declared) is not held to any declaration's limits.
    obs::BatchFamily other = Events({{"x", 1e300}});
    other.name = "other_total";
    const obs::ApplyResult r = cm->Apply(Bytes(Id(1), 4, {other}), T0);
    CHECK(r.outcome == Outcome::kApplied);
    CHECK(r.skipped.size() == 1);
  }

  TEST_CASE("totals stay finite and exact: a batch that would push one out of range is refused whole") {
    // Contribution limits lifted, so that single batches can bring totals to the edge of a double.
    obs::ClientMetricsOpts unbounded = DemoOpts();
    for (obs::ClientMetricDecl& d : unbounded.metrics) {
      d.max_increment = std::numeric_limits<double>::max();
      d.max_observations = UINT64_MAX;
      d.max_abs_observation = std::numeric_limits<double>::max();
      d.min_value = -std::numeric_limits<double>::max();
      d.max_value = std::numeric_limits<double>::max();
    }
    auto cm = obs::NewClientMetrics(unbounded);
    const double big = std::numeric_limits<double>::max();
    // A counter near the largest double, twice: the second would make the total +Inf for everyone.
    REQUIRE(cm->Apply(Bytes(Id(1), 1, {Events({{"a", big}})}), T0).outcome == Outcome::kApplied);
    CheckRejected(*cm, Bytes(Id(1), 2, {Events({{"a", big}})}), Reason::kTotalOutOfRange,
                  "golivekit_client_events_total[a]: the counter total would not be finite");
    CHECK(Value(*cm, "golivekit_client_events_total", {"a"}) == big);
    // A histogram count up to 2^53 exactly is kept; one more observation is refused.
    const std::uint64_t exact = std::uint64_t{1} << 53;
    REQUIRE(cm->Apply(Bytes(Id(2), 1, {Latency("h", {exact - 2, 0, 1}, 1)}), T0).outcome ==
            Outcome::kApplied);
    REQUIRE(cm->Apply(Bytes(Id(2), 2, {Latency("h", {0, 1, 0}, 1)}), T0).outcome == Outcome::kApplied);
    CHECK(Value(*cm, "golivekit_client_event_latency_seconds", {"h"}) == static_cast<double>(exact));
    CheckRejected(*cm, Bytes(Id(2), 3, {Latency("h", {0, 1, 0}, 1)}), Reason::kTotalOutOfRange,
                  "observation count would pass 2^53");
    // Deltas of one batch whose sum wraps a 64-bit integer (to 1) are refused, not wrapped.
    CheckRejected(*cm, Bytes(Id(3), 1, {Latency("w", {UINT64_MAX, UINT64_MAX, 3}, 1)}),
                  Reason::kTotalOutOfRange, "increment of one batch passes 2^53");
    CHECK(Absent(*cm, "golivekit_client_event_latency_seconds", {"w"}));
    // A histogram sum that would overflow.
    REQUIRE(cm->Apply(Bytes(Id(3), 1, {Latency("s", {1, 0, 0}, big)}), T0).outcome == Outcome::kApplied);
    CheckRejected(*cm, Bytes(Id(3), 2, {Latency("s", {1, 0, 0}, big)}), Reason::kTotalOutOfRange,
                  "histogram sum would not be finite");
    // A valid series and a gauge with one series out of range: nothing of the batch is merged.
    CheckRejected(*cm, Bytes(Id(4), 1, {Events({{"b", 1}}), Views(2), Latency("h", {1, 0, 0}, 0.5)}),
                  Reason::kTotalOutOfRange, "golivekit_client_event_latency_seconds[h]");
    CHECK(Absent(*cm, "golivekit_client_events_total", {"b"}));
    CHECK(Value(*cm, "golivekit_client_open_views") == 0);
    CHECK(Value(*cm, "golivekit_client_event_latency_seconds", {"h"}) == static_cast<double>(exact));
    CHECK(cm->series_count("golivekit_client_events_total") == 1);
    // The refused sequence is free: fixed, it is applied.
    CHECK(cm->Apply(Bytes(Id(4), 1, {Events({{"b", 1}}), Views(2)}), T0).outcome == Outcome::kApplied);
    CHECK(Value(*cm, "golivekit_client_events_total", {"b"}) == 1);

    // Several series of one batch that land in the overflow series add up there: checked together.
    obs::ClientMetricsOpts opts = unbounded;
    opts.metrics[0].max_series = 1;
    auto capped = obs::NewClientMetrics(opts);
    CheckRejected(*capped, Bytes(Id(1), 1, {Events({{"x", big}, {"y", big}})}), Reason::kTotalOutOfRange,
                  "golivekit_client_events_total[y]");
    CHECK(capped->series_count("golivekit_client_events_total") == 0);
    REQUIRE(capped->Apply(Bytes(Id(1), 1, {Events({{"x", big}})}), T0).outcome == Outcome::kApplied);
    CheckRejected(*capped, Bytes(Id(1), 2, {Events({{"z", big}})}), Reason::kTotalOutOfRange,
                  "not be finite");
    CHECK(Value(*capped, "golivekit_client_events_total", {"__overflow__"}) == big);
  }

  TEST_CASE("too many clients: new ones are turned away until old ones expire") {
    obs::ClientMetricsOpts opts = DemoOpts();
    opts.max_clients = 2;
    opts.client_ttl = 100s;
    auto cm = obs::NewClientMetrics(opts);
    CHECK(cm->Apply(Bytes(Id(1), 1, {}), T0).outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(2), 1, {}), T0 + 10s).outcome == Outcome::kApplied);
    const obs::ApplyResult r = cm->Apply(Bytes(Id(3), 1, {}), T0 + 20s);
    CHECK(r.reason == Reason::kTooManyClients);
    CHECK(r.retry_after == 80s);                                                    // when client 1 expires
    CHECK(cm->Apply(Bytes(Id(1), 2, {}), T0 + 30s).accepted());                     // known clients go on
    CHECK(cm->Apply(Bytes(Id(3), 1, {}), T0 + 111s).outcome == Outcome::kApplied);  // client 2 expired
    CHECK(cm->tracked_clients() == 2);
  }

  TEST_CASE("per-client rate limit: a token bucket, with when to come back") {
    obs::ClientMetricsOpts opts = DemoOpts();
    opts.rate_per_second = 2;
    opts.rate_burst = 3;
    auto cm = obs::NewClientMetrics(opts);
    for (int i = 1; i <= 3; ++i) CHECK(cm->Apply(Bytes(Id(1), i, {}), T0).outcome == Outcome::kApplied);
    const obs::ApplyResult r = cm->Apply(Bytes(Id(1), 4, {}), T0);
    CHECK(r.reason == Reason::kRateLimited);
    CHECK(r.retry_after == 500ms);
    CHECK(cm->Apply(Bytes(Id(1), 3, {}), T0).outcome == Outcome::kDuplicate);  // duplicates cost nothing
    CHECK(cm->Apply(Bytes(Id(1), 4, {}), T0 + 500ms).outcome == Outcome::kApplied);
    CHECK(cm->Apply(Bytes(Id(2), 1, {}), T0).outcome == Outcome::kApplied);  // other clients unaffected
  }

  TEST_CASE("rate limit: a tiny rate gives a bounded Retry-After, a rate that is not finite is refused") {
    // Found by review while fuzzing: the wait (1 - tokens) / rate was converted to 64-bit milliseconds
    // unchecked, undefined behaviour (UBSan) for a rate like 1e-300.
    obs::ClientMetricsOpts opts = DemoOpts();
    opts.rate_per_second = 1e-300;
    opts.rate_burst = 1;
    auto cm = obs::NewClientMetrics(opts);
    REQUIRE(cm->status().ok());
    CHECK(cm->Apply(Bytes(Id(1), 1, {}), T0).outcome == Outcome::kApplied);
    const obs::ApplyResult r = cm->Apply(Bytes(Id(1), 2, {}), T0);
    CHECK(r.reason == Reason::kRateLimited);
    CHECK(r.retry_after == std::chrono::hours(24));
    for (const double bad : {std::numeric_limits<double>::infinity(), std::nan(""), -1.0}) {
      opts.rate_per_second = bad;
      CHECK_FALSE(obs::NewClientMetrics(opts)->status().ok());
    }
  }

  TEST_CASE("gauge policies over live clients") {
    obs::ClientMetricsOpts opts{.metrics = {
                                    {.name = "g_sum",
                                     .type = obs::MetricType::kGauge,
                                     .labels = {"k"},
                                     .gauge_policy = obs::GaugePolicy::kSumLive},
                                    {.name = "g_max",
                                     .type = obs::MetricType::kGauge,
                                     .labels = {"k"},
                                     .gauge_policy = obs::GaugePolicy::kMaxLive},
                                    {.name = "g_min",
                                     .type = obs::MetricType::kGauge,
                                     .labels = {"k"},
                                     .gauge_policy = obs::GaugePolicy::kMinLive},
                                    {.name = "g_last",
                                     .type = obs::MetricType::kGauge,
                                     .labels = {"k"},
                                     .gauge_policy = obs::GaugePolicy::kLast},
                                }};
    opts.live_timeout = 60s;
    opts.client_ttl = 600s;
    auto cm = obs::NewClientMetrics(opts);
    auto all = [](double v) {
      std::vector<obs::BatchFamily> fs;
      for (const char* n : {"g_sum", "g_max", "g_min", "g_last"}) {
        fs.push_back({.name = n,
                      .type = obs::MetricType::kGauge,
                      .label_names = {"k"},
                      .bucket_bounds = {},
                      .series = {{.label_values = {"x"}, .value = v}}});
      }
      return fs;
    };
    REQUIRE(cm->Apply(Bytes(Id(1), 1, all(5)), T0).accepted());
    REQUIRE(cm->Apply(Bytes(Id(2), 1, all(-2)), T0 + 10s).accepted());
    REQUIRE(cm->Apply(Bytes(Id(3), 1, all(4)), T0 + 20s).accepted());
    CHECK(Value(*cm, "g_sum", {"x"}, T0 + 30s) == 7);
    CHECK(Value(*cm, "g_max", {"x"}, T0 + 30s) == 5);
    CHECK(Value(*cm, "g_min", {"x"}, T0 + 30s) == -2);
    CHECK(Value(*cm, "g_last", {"x"}, T0 + 30s) == 4);
    CHECK(cm->live_clients(T0 + 30s) == 3);
    // Client 1 is no longer live at T0 + 60s: its 5 leaves the live policies.
    CHECK(Value(*cm, "g_sum", {"x"}, T0 + 65s) == 2);
    CHECK(Value(*cm, "g_max", {"x"}, T0 + 65s) == 4);
    // A client's new value replaces its old one.
    REQUIRE(cm->Apply(Bytes(Id(3), 2, all(1)), T0 + 66s).accepted());
    CHECK(Value(*cm, "g_sum", {"x"}, T0 + 66s) == -1);
    CHECK(Value(*cm, "g_last", {"x"}, T0 + 66s) == 1);
    // Nobody live: sum shows 0, max and min disappear, last stays.
    CHECK(Value(*cm, "g_sum", {"x"}, T0 + 500s) == 0);
    CHECK(Absent(*cm, "g_max", {"x"}, T0 + 500s));
    CHECK(Absent(*cm, "g_min", {"x"}, T0 + 500s));
    CHECK(Value(*cm, "g_last", {"x"}, T0 + 500s) == 1);
    CHECK(obs::GaugePolicyName(obs::GaugePolicy::kMinLive) == "min");
  }

  TEST_CASE("a late older batch merges its counts, yet never replaces a gauge set by a higher sequence") {
    obs::ClientMetricsOpts opts{.metrics = {
                                    {.name = "g_sum",
                                     .type = obs::MetricType::kGauge,
                                     .labels = {"k"},
                                     .gauge_policy = obs::GaugePolicy::kSumLive},
                                    {.name = "g_max",
                                     .type = obs::MetricType::kGauge,
                                     .labels = {"k"},
                                     .gauge_policy = obs::GaugePolicy::kMaxLive},
                                    {.name = "g_min",
                                     .type = obs::MetricType::kGauge,
                                     .labels = {"k"},
                                     .gauge_policy = obs::GaugePolicy::kMinLive},
                                    {.name = "g_last",
                                     .type = obs::MetricType::kGauge,
                                     .labels = {"k"},
                                     .gauge_policy = obs::GaugePolicy::kLast},
                                    {.name = "c_total", .type = obs::MetricType::kCounter},
                                }};
    auto cm = obs::NewClientMetrics(opts);
    // Every gauge series at `v`, and the counter up by `inc`.
    auto batch = [](obs::ClientId id, std::uint64_t seq, double v, double inc, bool final = false) {
      std::vector<obs::BatchFamily> fs;
      for (const char* n : {"g_sum", "g_max", "g_min", "g_last"}) {
        fs.push_back({.name = n,
                      .type = obs::MetricType::kGauge,
                      .label_names = {"k"},
                      .bucket_bounds = {},
                      .series = {{.label_values = {"x"}, .value = v}}});
      }
      fs.push_back({.name = "c_total",
                    .type = obs::MetricType::kCounter,
                    .label_names = {},
                    .bucket_bounds = {},
                    .series = {{.label_values = {}, .value = inc}}});
      return Bytes(id, seq, std::move(fs), final);
    };
    auto gauges = [&] {
      std::vector<double> v;
      for (const char* n : {"g_sum", "g_max", "g_min", "g_last"}) v.push_back(Value(*cm, n, {"x"}));
      return v;
    };
    // The unload flush: sequence 5 arrives before 2.
    REQUIRE(cm->Apply(batch(Id(1), 5, 5, 1), T0).outcome == Outcome::kApplied);
    REQUIRE(cm->Apply(batch(Id(1), 2, 9, 10), T0).outcome == Outcome::kApplied);
    CHECK(gauges() == std::vector<double>{5, 5, 5, 5});
    CHECK(Value(*cm, "c_total") == 11);  // the late batch's increment counts, once
    REQUIRE(cm->Apply(batch(Id(1), 2, 9, 10), T0).outcome == Outcome::kDuplicate);
    // Another client in between: kLast follows it; client 1's late sequence 3 changes no gauge.
    REQUIRE(cm->Apply(batch(Id(2), 1, 7, 100), T0).outcome == Outcome::kApplied);
    REQUIRE(cm->Apply(batch(Id(1), 3, -50, 1000), T0).outcome == Outcome::kApplied);
    CHECK(gauges() == std::vector<double>{12, 7, 5, 7});
    CHECK(Value(*cm, "c_total") == 1111);
    // A newer sequence does replace the value.
    REQUIRE(cm->Apply(batch(Id(1), 6, 4, 0), T0).outcome == Outcome::kApplied);
    CHECK(gauges() == std::vector<double>{11, 7, 4, 4});
    // The final batch (8) before its older part (7): the live values end, kLast keeps the final's value.
    REQUIRE(cm->Apply(batch(Id(1), 8, 6, 1, true), T0).outcome == Outcome::kApplied);
    CHECK(gauges() == std::vector<double>{7, 7, 7, 6});
    REQUIRE(cm->Apply(batch(Id(1), 7, 3, 1), T0).outcome == Outcome::kApplied);
    CHECK(gauges() == std::vector<double>{7, 7, 7, 6});
    CHECK(Value(*cm, "c_total") == 1113);
  }

  TEST_CASE("a final batch ends the client's gauges at once, and a later part cannot revive them") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    REQUIRE(cm->Apply(Bytes(Id(1), 1, {Views(1)}), T0).accepted());
    REQUIRE(cm->Apply(Bytes(Id(2), 1, {Views(1)}), T0).accepted());
    CHECK(Value(*cm, "golivekit_client_open_views") == 2);
    // The page closes: its final batch is split in two, the second part arriving late.
    REQUIRE(cm->Apply(Bytes(Id(1), 3, {Events({{"close", 1}})}, true), T0 + 1s).accepted());
    CHECK(Value(*cm, "golivekit_client_open_views", {}, T0 + 1s) == 1);
    REQUIRE(cm->Apply(Bytes(Id(1), 2, {Views(1)}, true), T0 + 2s).accepted());
    CHECK(Value(*cm, "golivekit_client_open_views", {}, T0 + 2s) == 1);
    CHECK(Value(*cm, "golivekit_client_events_total", {"close"}, T0 + 2s) == 1);
    CHECK(cm->live_clients(T0 + 2s) == 1);
  }

  TEST_CASE("totals never go backwards when clients expire, client state is forgotten after the ttl") {
    obs::ClientMetricsOpts opts = DemoOpts();
    opts.client_ttl = 60s;
    auto cm = obs::NewClientMetrics(opts);
    for (std::uint8_t c = 1; c <= 10; ++c) {
      REQUIRE(
          cm->Apply(Bytes(Id(c), 1, {Events({{"click", 1}}), Latency("click", {0, 1, 0}, 0.5), Views(1)}), T0)
              .accepted());
    }
    CHECK(cm->tracked_clients() == 10);
    // One more client much later: the ten expire on the way.
    REQUIRE(cm->Apply(Bytes(Id(99), 1, {Events({{"click", 1}})}), T0 + 61s).accepted());
    CHECK(cm->tracked_clients() == 1);
    CHECK(Value(*cm, "golivekit_client_events_total", {"click"}, T0 + 61s) == 11);
    CHECK(Value(*cm, "golivekit_client_event_latency_seconds", {"click"}, T0 + 61s) == 10);
    CHECK(Value(*cm, "golivekit_client_open_views", {}, T0 + 61s) == 0);
  }

  TEST_CASE("series cap: label sets beyond it go to one overflow series, counted") {
    obs::ClientMetricsOpts opts = DemoOpts();
    opts.metrics[0].max_series = 3;
    auto cm = obs::NewClientMetrics(opts);
    REQUIRE(cm->Apply(Bytes(Id(1), 1, {Events({{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}})}), T0).accepted());
    REQUIRE(cm->Apply(Bytes(Id(1), 2, {Events({{"a", 1}, {"e", 5}})}), T0).accepted());
    CHECK(cm->series_count("golivekit_client_events_total") == 3);
    CHECK(Value(*cm, "golivekit_client_events_total", {"a"}) == 2);
    CHECK(Value(*cm, "golivekit_client_events_total", {"b"}) == 1);
    CHECK(Value(*cm, "golivekit_client_events_total", {"__overflow__"}) == 1 + 1 + 5);
    CHECK(Absent(*cm, "golivekit_client_events_total", {"d"}));
    CHECK(Value(*cm, "golivekit_client_ingest_overflow_series_total", {"golivekit_client_events_total"}) ==
          3);
    CHECK(Value(*cm, "golivekit_client_ingest_series", {"golivekit_client_events_total"}) == 3);
    // A client that names the overflow series itself joins it (a series of its own would clash).
    REQUIRE(cm->Apply(Bytes(Id(1), 3, {Events({{"__overflow__", 1}})}), T0).accepted());
    CHECK(Value(*cm, "golivekit_client_events_total", {"__overflow__"}) == 8);
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(cm).ok());
    CHECK(reg->Expose().find("golivekit_client_events_total{event=\"__overflow__\"} 8\n") !=
          std::string::npos);
  }

  TEST_CASE("max_series 1 on a labelled metric: everything goes to the overflow series") {
    obs::ClientMetricsOpts opts = DemoOpts();
    opts.metrics[0].max_series = 1;
    auto cm = obs::NewClientMetrics(opts);
    REQUIRE(cm->Apply(Bytes(Id(1), 1, {Events({{"a", 1}, {"b", 2}})}), T0).accepted());
    CHECK(cm->series_count("golivekit_client_events_total") == 1);
    CHECK(Value(*cm, "golivekit_client_events_total", {"__overflow__"}) == 3);
  }

  TEST_CASE("self-metrics: results, bytes, clients and the drops clients report") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    const std::string b1 = Bytes(Id(1), 1, {}, false, 3);
    REQUIRE(cm->Apply(b1, T0).accepted());
    REQUIRE(cm->Apply(b1, T0).accepted());                             // duplicate: drops not counted again
    REQUIRE(cm->Apply(Bytes(Id(1), 2, {}, false, 5), T0).accepted());  // a running total: +2
    REQUIRE(cm->Apply(Bytes(Id(2), 1, {}, false, 1), T0).accepted());
    (void)cm->Apply("junk", T0);
    CHECK(Value(*cm, "golivekit_client_ingest_client_dropped_batches_total") == 6);
    CHECK(Value(*cm, "golivekit_client_ingest_batches_total", {"applied"}) == 3);
    CHECK(Value(*cm, "golivekit_client_ingest_batches_total", {"duplicate"}) == 1);
    CHECK(Value(*cm, "golivekit_client_ingest_batches_total", {"rejected"}) == 1);
    CHECK(Value(*cm, "golivekit_client_ingest_received_bytes_total") ==
          static_cast<double>(3 * b1.size() + Bytes(Id(2), 1, {}, false, 1).size() + 4));
    CHECK(Value(*cm, "golivekit_client_ingest_clients", {"tracked"}) == 2);
    CHECK(Value(*cm, "golivekit_client_ingest_clients", {"live"}) == 2);
    CHECK(Value(*cm, "golivekit_client_ingest_clients", {"live"}, T0 + 61s) == 0);
  }

  TEST_CASE("end to end: what a client registry records is what the server exposes") {
    auto client = obs::NewRegistry();
    auto events =
        obs::NewCounter({.name = "golivekit_client_events_total", .help = "x", .labels = {"event"}});
    auto latency = obs::NewHistogram({.name = "golivekit_client_event_latency_seconds",
                                      .help = "x",
                                      .labels = {"event"},
                                      .buckets = {0.1, 1}});
    auto views = obs::NewGauge({.name = "golivekit_client_open_views", .help = "x"});
    REQUIRE(client->Register(events).ok());
    REQUIRE(client->Register(latency).ok());
    REQUIRE(client->Register(views).ok());
    obs::ClientMetricsOpts opts = DemoOpts();
    opts.rate_per_second = 0;  // hundreds of batches at one instant
    auto cm = obs::NewClientMetrics(opts);
    obs::BatchEncoder enc(obs::NewClientId(), 300);  // small batches: splitting on the way
    std::uint64_t rng = 7;
    for (int round = 0; round < 20; ++round) {
      for (int i = 0; i < 30; ++i) {
        const std::string e = "e" + std::to_string(glk_obs_test::SplitMix64(rng) % 12);
        events->WithLabels(e).Add(static_cast<double>(glk_obs_test::SplitMix64(rng) % 4));
        latency->WithLabels(e).Observe(static_cast<double>(glk_obs_test::SplitMix64(rng) % 2000) / 1000);
      }
      views->Set(static_cast<double>(round % 3));
      for (const std::string& b : enc.Encode(client->Gather())) {
        REQUIRE(cm->Apply(b, T0).accepted());
        REQUIRE(cm->Apply(b, T0).outcome == Outcome::kDuplicate);  // every batch sent twice
      }
    }
    std::vector<obs::FamilySnapshot> fams;
    REQUIRE(cm->CollectAt(fams, T0).ok());
    obs::Snapshot server;
    for (std::size_t i = 0; i < 3; ++i) server.families.push_back(fams[i]);
    obs::Snapshot mine = client->Gather();
    // Same families, same order (the client's names sort the same way), same values; HELP differs.
    for (auto& f : mine.families) f.help.clear();
    for (auto& f : server.families) f.help.clear();
    std::sort(server.families.begin(), server.families.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    CHECK(obs::Encode(server, obs::Format::kText) == obs::Encode(mine, obs::Format::kText));
  }

  TEST_CASE("concurrent clients and scrapes: exact totals") {
    GLK_OBS_SKIP_WITHOUT_THREADS();
    obs::ClientMetricsOpts opts = DemoOpts();
    opts.rate_per_second = 0;
    auto cm = obs::NewClientMetrics(opts);
    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(cm).ok());
    constexpr int kThreads = 8;
    constexpr int kBatches = 200;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 1; i <= kBatches; ++i) {
          const std::string b = Bytes(Id(static_cast<std::uint8_t>(t + 1)), i,
                                      {Events({{"click", 1}}), Latency("click", {1, 0, 0}, 0.01)});
          (void)cm->Apply(b);
          (void)cm->Apply(b);  // a retry
        }
      });
    }
    std::thread scraper([&] {
      for (int i = 0; i < 50; ++i) CHECK(!reg->Expose().empty());
    });
    for (auto& th : threads) th.join();
    scraper.join();
    CHECK(Value(*cm, "golivekit_client_events_total", {"click"}, obs::ClientMetrics::Clock::now()) ==
          kThreads * kBatches);
    CHECK(Value(*cm, "golivekit_client_event_latency_seconds", {"click"}, obs::ClientMetrics::Clock::now()) ==
          kThreads * kBatches);
    CHECK(Value(*cm, "golivekit_client_ingest_batches_total", {"duplicate"},
                obs::ClientMetrics::Clock::now()) == kThreads * kBatches);
  }
}

TEST_SUITE("client_metrics.reconfigure") {
  TEST_CASE("a reload keeps the totals of unchanged metrics, the clients' windows and their live gauges") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    REQUIRE(
        cm->Apply(Bytes(Id(1), 1, {Events({{"click", 2}}), Latency("click", {1, 0, 0}, 0.05), Views(3)}), T0)
            .accepted());
    REQUIRE(cm->Apply(Bytes(Id(2), 1, {Views(4)}), T0).accepted());

    // The same declarations in another order, new help, a new limit, and one more metric.
    obs::ClientMetricsOpts next = DemoOpts();
    std::reverse(next.metrics.begin(), next.metrics.end());
    next.metrics[2].help = "Events, as the browser saw them.";
    next.metrics[2].max_increment = 5;
    next.metrics.push_back({.name = "golivekit_client_errors_total", .help = "Errors.", .labels = {"type"}});
    obs::ReconfigureReport report;
    REQUIRE(cm->Reconfigure(next, &report).ok());
    CHECK(report.added == std::vector<std::string>{"golivekit_client_errors_total"});
    CHECK(report.kept.size() == 3);
    CHECK(report.reset.empty());
    CHECK(report.removed.empty());

    CHECK(Value(*cm, "golivekit_client_events_total", {"click"}) == 2);
    CHECK(Value(*cm, "golivekit_client_event_latency_seconds", {"click"}) == 1);
    CHECK(Value(*cm, "golivekit_client_open_views") == 7);  // both clients' gauges, at the moved index
    CHECK(Value(*cm, "golivekit_client_ingest_batches_total", {"applied"}) == 2);
    CHECK(cm->tracked_clients() == 2);
    // A retry of a batch applied before the reload is still a duplicate.
    CHECK(cm->Apply(Bytes(Id(1), 1, {Events({{"click", 2}})}), T0).outcome == Outcome::kDuplicate);
    // The new limit applies; the new metric merges.
    CheckRejected(*cm, Bytes(Id(1), 2, {Events({{"click", 6}})}), Reason::kValueOutOfRange, "max_increment");
    obs::BatchFamily errors{.name = "golivekit_client_errors_total",
                            .type = obs::MetricType::kCounter,
                            .label_names = {"type"},
                            .bucket_bounds = {},
                            .series = {{.label_values = {"script"}, .value = 1}}};
    REQUIRE(cm->Apply(Bytes(Id(1), 3, {Events({{"click", 1}}), errors, Views(1)}), T0).accepted());
    CHECK(Value(*cm, "golivekit_client_events_total", {"click"}) == 3);
    CHECK(Value(*cm, "golivekit_client_errors_total", {"script"}) == 1);
    CHECK(Value(*cm, "golivekit_client_open_views") == 5);
    std::vector<obs::FamilySnapshot> fams;
    REQUIRE(cm->CollectAt(fams, T0).ok());
    const auto events = std::find_if(fams.begin(), fams.end(),
                                     [](const auto& f) { return f.name == "golivekit_client_events_total"; });
    REQUIRE(events != fams.end());
    CHECK(events->help == "Events, as the browser saw them.");
  }

  TEST_CASE("a metric of another shape starts from zero, a removed one is gone, and its gauges with it") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    REQUIRE(
        cm->Apply(Bytes(Id(1), 1, {Events({{"click", 2}}), Latency("click", {1, 0, 0}, 0.05), Views(3)}), T0)
            .accepted());
    obs::ClientMetricsOpts next = DemoOpts();
    next.metrics[1].buckets = {0.1, 0.5, 1};  // another classic layout: reset
    next.metrics.pop_back();                  // the gauge: removed
    obs::ReconfigureReport report;
    REQUIRE(cm->Reconfigure(next, &report).ok());
    CHECK(report.kept == std::vector<std::string>{"golivekit_client_events_total"});
    CHECK(report.reset == std::vector<std::string>{"golivekit_client_event_latency_seconds"});
    CHECK(report.removed == std::vector<std::string>{"golivekit_client_open_views"});
    CHECK(Value(*cm, "golivekit_client_events_total", {"click"}) == 2);
    CHECK(Absent(*cm, "golivekit_client_event_latency_seconds", {"click"}));
    CHECK(Absent(*cm, "golivekit_client_open_views"));

    // Declared again (sum over live clients): the client's old value did not survive its removal.
    REQUIRE(cm->Reconfigure(DemoOpts(), &report).ok());
    CHECK(report.added == std::vector<std::string>{"golivekit_client_open_views"});
    CHECK(Value(*cm, "golivekit_client_open_views") == 0);
    // The old layout again: a reset once more; the client's batches merge into it.
    CHECK(report.reset == std::vector<std::string>{"golivekit_client_event_latency_seconds"});
    REQUIRE(cm->Apply(Bytes(Id(1), 2, {Latency("click", {0, 1, 0}, 0.5)}), T0).accepted());
    CHECK(Value(*cm, "golivekit_client_event_latency_seconds", {"click"}) == 1);
  }

  TEST_CASE("invalid new declarations are refused and change nothing") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    REQUIRE(cm->Apply(Bytes(Id(1), 1, {Events({{"click", 2}})}), T0).accepted());
    obs::ClientMetricsOpts next = DemoOpts();
    next.metrics[0].name = "bad name";
    next.metrics.pop_back();
    obs::ReconfigureReport report;
    const obs::Status st = cm->Reconfigure(next, &report);
    CHECK(st.code() == obs::StatusCode::kInvalidArgument);
    CHECK_MESSAGE(st.message().find("bad name") != std::string::npos, st.message());
    CHECK(report.kept.empty());
    CHECK(cm->opts().metrics.size() == 3);
    CHECK(Value(*cm, "golivekit_client_events_total", {"click"}) == 2);
    CHECK(Value(*cm, "golivekit_client_open_views") == 0);
  }

  TEST_CASE("Registry::Redescribe checks the new families before the change and swaps them in one step") {
    auto cm = obs::NewClientMetrics(DemoOpts());
    auto reg = obs::NewRegistry();
    auto other = std::make_shared<obs::Counter>(obs::CounterOpts{.name = "app_requests_total", .help = "h"});
    REQUIRE(reg->Register(cm).ok());
    REQUIRE(reg->Register(other).ok());
    REQUIRE(cm->Apply(Bytes(Id(1), 1, {Events({{"click", 2}})}), T0).accepted());

    // A new client metric whose name another collector has: refused, and the change never runs.
    obs::ClientMetricsOpts clash = DemoOpts();
    clash.metrics.push_back({.name = "app_requests_total", .help = "h"});
    bool ran = false;
    obs::Status st = reg->Redescribe(*cm, obs::NewClientMetrics(clash)->Describe(), [&] {
      ran = true;
      return cm->Reconfigure(clash);
    });
    CHECK(st.code() == obs::StatusCode::kAlreadyExists);
    CHECK_MESSAGE(st.message().find("app_requests_total") != std::string::npos, st.message());
    CHECK_FALSE(ran);
    CHECK(cm->opts().metrics.size() == 3);

    // A valid change: the next gather exposes the new family and keeps the old totals.
    obs::ClientMetricsOpts next = DemoOpts();
    next.metrics.push_back({.name = "golivekit_client_errors_total", .help = "Errors.", .labels = {"type"}});
    REQUIRE(
        reg->Redescribe(*cm, obs::NewClientMetrics(next)->Describe(), [&] { return cm->Reconfigure(next); })
            .ok());
    obs::BatchFamily errors{.name = "golivekit_client_errors_total",
                            .type = obs::MetricType::kCounter,
                            .label_names = {"type"},
                            .bucket_bounds = {},
                            .series = {{.label_values = {"script"}, .value = 1}}};
    REQUIRE(cm->Apply(Bytes(Id(1), 2, {errors}), T0).accepted());
    const std::string text = reg->Expose();
    CHECK(text.find("golivekit_client_errors_total{type=\"script\"} 1\n") != std::string::npos);
    CHECK(text.find("golivekit_client_events_total{event=\"click\"} 2\n") != std::string::npos);
    CHECK(reg->dropped_families() == 0);

    // A change that fails leaves the old descriptors; an unregistered collector is not found.
    st = reg->Redescribe(*cm, {}, [] { return obs::InvalidArgument("no"); });
    CHECK(st.message() == "no");
    CHECK(reg->Expose().find("golivekit_client_errors_total") != std::string::npos);
    auto stranger = obs::NewClientMetrics(DemoOpts());
    CHECK(reg->Redescribe(*stranger, {}, [] { return obs::Status(); }).code() == obs::StatusCode::kNotFound);
  }
}
