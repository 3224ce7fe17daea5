// Writes expositions for tests/protobuf/check_golden.py, which reads them with the real protobuf library.
//
//   write_exposition snapshot OUT.pb
//     a snapshot built by hand with every metric type and every native histogram case (the values
//     check_golden.py expects are written there again, independently);
//   write_exposition registry OUT.pb OUT.txt
//     a live registry (counters, gauges, callback metrics, classic and native histograms recorded by
//     Observe, client metrics merged from a batch), as protobuf and as text 0.0.4 of the same gather.
#include <cmath>
#include <cstdio>
#include <golivekit/observability.hpp>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace obs = golivekit::observability;

namespace {

constexpr double kZeroThreshold = 2.938735877055719e-39;  // 2^-128

obs::SeriesSnapshot Value(std::vector<std::string> labels, double v) {
  return {.label_values = std::move(labels), .value = v};
}

obs::Snapshot HandBuiltSnapshot() {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  obs::Snapshot snap;
  auto& fams = snap.families;
  fams.push_back({.name = "a_requests_total",
                  .help = "Requests.",
                  .type = obs::MetricType::kCounter,
                  .label_names = {"code", "method"},
                  .series = {Value({"200", "GET"}, 3), Value({"500", "POST"}, 0.5)}});
  fams.push_back({.name = "b_temperature_celsius",
                  .help = "",
                  .type = obs::MetricType::kGauge,
                  .series = {Value({}, -12.5)}});
  fams.push_back(
      {.name = "c_legacy",
       .help = "Line one\nline \\two",
       .type = obs::MetricType::kUnknown,
       .label_names = {"path"},
       .series = {Value({"C:\\dir\n\"Björn\" 佖佥"}, 42), Value({"inf"}, inf), Value({"nan"}, nan)}});
  fams.push_back(
      {.name = "d_rpc_seconds",
       .help = "RPC.",
       .type = obs::MetricType::kHistogram,
       .label_names = {"method"},
       .bucket_bounds = {0.005, 1, 10},
       .series = {{.label_values = {"GET"}, .bucket_counts = {1, 2, 3}, .sum = 2000001.5, .count = 4},
                  {.label_values = {"POST"}, .bucket_counts = {0, 0, 0}, .sum = 0, .count = 0}}});
  fams.push_back(
      {.name = "e_latency_seconds",
       .help = "Latency.",
       .type = obs::MetricType::kHistogram,
       .bucket_bounds = {0.1, 1},
       .native = true,
       .series = {{.label_values = {},
                   .bucket_counts = {10, 20},
                   .sum = 12.25,
                   .count = 316,
                   .native = {.schema = 3,
                              .zero_threshold = kZeroThreshold,
                              .zero_count = 2,
                              .positive_spans = {{.offset = -2, .length = 2}, {.offset = 3, .length = 1}},
                              .positive_counts = {5, 3, 300},
                              .negative_spans = {{.offset = 0, .length = 1}, {.offset = 2, .length = 2}},
                              .negative_counts = {1, 4, 1}}}}});
  fams.push_back({.name = "f_size_bytes",
                  .help = "Sizes.",
                  .type = obs::MetricType::kHistogram,
                  .native = true,
                  .series = {{.label_values = {},
                              .sum = nan,
                              .count = 7,
                              .native = {.schema = -2,
                                         .zero_threshold = 0.5,
                                         .positive_spans = {{.offset = 1, .length = 3}},
                                         .positive_counts = {1, 1, 4}}}}});
  fams.push_back(
      {.name = "g_idle_seconds",
       .help = "Idle.",
       .type = obs::MetricType::kHistogram,
       .label_names = {"pool"},
       .native = true,
       .series = {{.label_values = {"main"}, .native = {.schema = 0, .zero_threshold = kZeroThreshold}}}});
  fams.push_back({.name = "h_unused_total", .help = "Never used.", .type = obs::MetricType::kCounter});
  obs::FamilySnapshot many{
      .name = "i_many", .help = "Many series.", .type = obs::MetricType::kGauge, .label_names = {"i"}};
  for (int i = 0; i < 1000; ++i) {
    char label[8];
    std::snprintf(label, sizeof label, "%04d", i);
    many.series.push_back(Value({label}, i));
  }
  fams.push_back(std::move(many));
  return snap;
}

// Every metric kind a registry holds: user metrics, callbacks, and client metrics merged from a batch.
std::shared_ptr<obs::Registry> LiveRegistry() {
  auto reg = obs::NewRegistry();
  auto counter = obs::NewCounter({.name = "jobs_total", .help = "Jobs.", .labels = {"queue"}});
  auto gauge = obs::NewGauge({.name = "queue_depth", .help = "", .labels = {}});
  auto classic = obs::NewHistogram({.name = "classic_seconds", .help = "Classic.", .buckets = {0.1, 1, 10}});
  auto both = obs::NewHistogram({.name = "both_seconds",
                                 .help = "Classic and native.",
                                 .labels = {"op"},
                                 .buckets = {0.01, 0.1, 1},
                                 .native_bucket_factor = 1.1});
  auto native_only = obs::NewHistogram(
      {.name = "native_only_bytes", .help = "Native only.", .buckets = {}, .native_bucket_factor = 2});
  auto idle = obs::NewHistogram(
      {.name = "idle_seconds", .help = "Never observed.", .buckets = {}, .native_bucket_factor = 1.1});
  auto callback_gauge =
      obs::NewCallbackGauge({.name = "cb_temperature", .help = "Callback gauge."}, [] { return 21.5; });
  auto callback_counter =
      obs::NewCallbackCounter({.name = "cb_ticks_total", .help = "Callback counter."}, [] { return 7.0; });
  for (const auto& m : std::initializer_list<std::shared_ptr<obs::Collector>>{
           counter, gauge, classic, both, native_only, idle, callback_gauge, callback_counter}) {
    if (!reg->Register(m).ok()) std::abort();
  }
  counter->WithLabels("fast").Add(3);
  counter->WithLabels("slow").Inc();
  gauge->Set(-4);
  for (const double v : {0.05, 0.5, 5.0, 50.0}) classic->Observe(v);
  auto read = both->WithLabels("read");
  for (const double v : {0.0, 0.001, 0.02, 0.3, 0.3, 2.5, -0.7, -0.01}) read.Observe(v);
  both->WithLabels("write").Observe(0.04);
  for (const double v : {1.0, 3.0, 1000.0, 1e6, 0.0}) native_only->Observe(v);
  idle->WithLabels();

  auto client = obs::NewClientMetrics({.metrics = {
                                           {.name = "client_clicks_total",
                                            .help = "Clicks in the browser.",
                                            .type = obs::MetricType::kCounter,
                                            .labels = {"button"}},
                                           {.name = "client_load_seconds",
                                            .help = "Page load.",
                                            .type = obs::MetricType::kHistogram,
                                            .buckets = {0.5, 2}},
                                       }});
  if (!reg->Register(client).ok()) std::abort();
  obs::Batch batch{.client = {1, 2, 3}, .sequence = 1};
  batch.families.push_back({.name = "client_clicks_total",
                            .type = obs::MetricType::kCounter,
                            .label_names = {"button"},
                            .series = {{.label_values = {"ok"}, .value = 2}}});
  batch.families.push_back(
      {.name = "client_load_seconds",
       .type = obs::MetricType::kHistogram,
       .bucket_bounds = {0.5, 2},
       .series = {{.label_values = {}, .value = 0, .bucket_deltas = {1, 2, 1}, .sum_delta = 4.5}}});
  std::string bytes;
  obs::EncodeBatch(batch, bytes);
  if (client->Apply(bytes).outcome != obs::ApplyResult::Outcome::kApplied) std::abort();
  return reg;
}

bool WriteFile(const char* path, std::string_view data) {
  std::FILE* f = std::fopen(path, "wb");
  if (f == nullptr) return false;
  const bool ok = std::fwrite(data.data(), 1, data.size(), f) == data.size();
  return std::fclose(f) == 0 && ok;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "snapshot" && argc == 3) {
    return WriteFile(argv[2], obs::Encode(HandBuiltSnapshot(), obs::Format::kProtobuf)) ? 0 : 1;
  }
  if (mode == "registry" && argc == 4) {
    const obs::Snapshot snap = LiveRegistry()->Gather();
    const bool ok = WriteFile(argv[2], obs::Encode(snap, obs::Format::kProtobuf)) &&
                    WriteFile(argv[3], obs::Encode(snap, obs::Format::kText));
    return ok ? 0 : 1;
  }
  std::fprintf(stderr, "usage: write_exposition snapshot OUT.pb | registry OUT.pb OUT.txt\n");
  return 2;
}
