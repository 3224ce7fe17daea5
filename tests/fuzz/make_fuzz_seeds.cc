// Writes the client-batch seed corpora of tests/fuzz/corpus/ with the library's own encoders
// (EncodeBatch, and BatchEncoder from a real registry). Not a test: run it after a format change,
//   build/fuzz/tests/fuzz/make_fuzz_seeds tests/fuzz/corpus
// and commit the files. The names match the declarations of fuzz_client_apply.cc.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "golivekit/observability/client_batch.h"
#include "golivekit/observability/counter.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/registry.h"

namespace obs = golivekit::observability;

namespace {

obs::ClientId Id(std::uint8_t n) {
  obs::ClientId id{};
  for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(n * 16 + i);
  return id;
}

obs::BatchFamily Scalar(std::string name, obs::MetricType type, std::vector<std::string> labels,
                        std::vector<std::pair<std::vector<std::string>, double>> series) {
  obs::BatchFamily f{.name = std::move(name), .type = type, .label_names = std::move(labels)};
  for (auto& [values, v] : series) f.series.push_back({.label_values = values, .value = v});
  return f;
}

obs::BatchFamily Histogram(
    std::vector<std::pair<std::vector<std::string>, std::vector<std::uint64_t>>> series, double sum,
    std::vector<double> bounds = {0.5, 1, 10}) {
  obs::BatchFamily f{.name = "h",
                     .type = obs::MetricType::kHistogram,
                     .label_names = {"a", "b"},
                     .bucket_bounds = std::move(bounds)};
  for (auto& [values, deltas] : series)
    f.series.push_back({.label_values = values, .bucket_deltas = deltas, .sum_delta = sum});
  return f;
}

std::string Encode(const obs::Batch& b) {
  std::string out;
  obs::EncodeBatch(b, out);
  return out;
}

void Write(const std::string& dir, const std::string& name, const std::string& bytes) {
  std::ofstream(dir + "/" + name, std::ios::binary) << bytes;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <tests/fuzz/corpus>\n", argv[0]);
    return 2;
  }
  const std::string root = argv[1];
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();

  std::vector<std::pair<std::string, std::string>> seeds;
  seeds.emplace_back("empty", Encode({.client = Id(1), .sequence = 1}));
  seeds.emplace_back("final_dropped",
                     Encode({.client = Id(1), .sequence = 300, .dropped_batches = 7, .final = true}));
  seeds.emplace_back("counter", Encode({.client = Id(1),
                                        .sequence = 1,
                                        .families = {Scalar("c_total", obs::MetricType::kCounter, {"a"},
                                                            {{{"x"}, 1}, {{"y"}, 2.5}})}}));
  seeds.emplace_back("gauges",
                     Encode({.client = Id(2),
                             .sequence = 2,
                             .families = {Scalar("g_last", obs::MetricType::kGauge, {"a"}, {{{"p"}, -3}}),
                                          Scalar("g_max", obs::MetricType::kGauge, {}, {{{}, 4}}),
                                          Scalar("g_min", obs::MetricType::kGauge, {}, {{{}, 1e300}}),
                                          Scalar("g_sum", obs::MetricType::kGauge, {"a"}, {{{""}, 0.5}})}}));
  seeds.emplace_back(
      "histogram",
      Encode({.client = Id(3), .sequence = 1, .families = {Histogram({{{"e", "f"}, {1, 0, 2, 1}}}, 12.5)}}));
  seeds.emplace_back(
      "bad_values",
      Encode({.client = Id(1),
              .sequence = 5,
              .families = {Scalar("c_total", obs::MetricType::kCounter, {"a"}, {{{"x"}, -1}, {{"y"}, nan}}),
                           Scalar("g_max", obs::MetricType::kGauge, {}, {{{}, inf}})}}));
  seeds.emplace_back("bad_labels",
                     Encode({.client = Id(1),
                             .sequence = 6,
                             .families = {Scalar("c_total", obs::MetricType::kCounter, {"a"},
                                                 {{{"\xff\xfe"}, 1}, {{"toolongvalue"}, 1}}),
                                          Scalar("c_total", obs::MetricType::kCounter, {"b"}, {})}}));
  seeds.emplace_back("undeclared",
                     Encode({.client = Id(1),
                             .sequence = 7,
                             .families = {Scalar("nope_total", obs::MetricType::kCounter, {}, {{{}, 1}}),
                                          Histogram({{{"e", "f"}, {0, 0}}}, 0, {0.5})}}));
  seeds.emplace_back(
      "overflow",
      Encode({.client = Id(4),
              .sequence = 1,
              .families = {Scalar("c_total", obs::MetricType::kCounter, {"a"},
                                  {{{"1"}, 1}, {{"2"}, 1}, {{"3"}, 1}, {{"4"}, 1}, {{"5"}, 1}})}}));
  {
    std::string truncated = seeds[2].second;
    truncated.resize(truncated.size() - 3);
    seeds.emplace_back("truncated", truncated);
  }

  {
    obs::BatchFamily native{.name = "nh", .type = obs::MetricType::kHistogram, .native = true};
    native.series.push_back({.sum_delta = 4.5,
                             .native = {.schema = 3,
                                        .zero_threshold = 1e-9,
                                        .zero_count = 1,
                                        .positive_spans = {{-2, 2}, {3, 1}},
                                        .positive_counts = {1, 2, 1},
                                        .negative_spans = {{0, 1}},
                                        .negative_counts = {1}}});
    obs::BatchFamily both = Histogram({{{"e", "f"}, {1, 0, 0, 1}}}, 0.7);
    both.native = true;
    both.series[0].native = {.schema = 1,
                             .zero_threshold = 0.0001,
                             .zero_count = 0,
                             .positive_spans = {{-1, 1}, {7, 1}},
                             .positive_counts = {1, 1}};
    seeds.emplace_back("native_v2", Encode({.client = Id(7), .sequence = 1, .families = {native, both}}));
  }

  // The real client path: a registry, BatchEncoder, two rounds of changes.
  std::string shipped;
  {
    auto registry = obs::NewRegistry();
    auto c = obs::NewCounter({.name = "c_total", .help = "A counter.", .labels = {"a"}});
    auto g = obs::NewGauge({.name = "g_sum", .help = "Sum.", .labels = {"a"}});
    auto h = obs::NewHistogram({.name = "h",
                                .help = "A histogram.",
                                .labels = {"a", "b"},
                                .buckets = {0.5, 1, 10},
                                .native_bucket_factor = 1.5,
                                .native_max_buckets = 6});
    registry->Register(c);
    registry->Register(g);
    registry->Register(h);
    obs::BatchEncoder encoder(Id(5));
    c->WithLabels("x").Inc();
    g->WithLabels("v").Set(3);
    h->WithLabels("e", "f").Observe(0.7);
    for (const std::string& b : encoder.Encode(registry->Gather())) shipped += b;
    c->WithLabels("x").Inc();
    h->WithLabels("e", "f").Observe(20);
    for (const std::string& b : encoder.Encode(registry->Gather(), {.final = true, .dropped_batches = 1}))
      shipped += b;
  }

  for (const auto& [name, bytes] : seeds) Write(root + "/fuzz_client_batch", name, bytes);
  Write(root + "/fuzz_client_batch", "shipped_first", shipped.substr(0, shipped.find("GLKB", 1)));
  // fuzz_client_apply reads several batches, concatenated.
  for (const auto& [name, bytes] : seeds) Write(root + "/fuzz_client_apply", name, bytes);
  Write(root + "/fuzz_client_apply", "shipped", shipped);
  Write(root + "/fuzz_client_apply", "clients",
        seeds[2].second + seeds[3].second + seeds[4].second + seeds[8].second + seeds[1].second);
  Write(root + "/fuzz_client_apply", "replay_stale",
        Encode({.client = Id(6), .sequence = 100}) + Encode({.client = Id(6), .sequence = 2}) +
            Encode({.client = Id(6), .sequence = 100}));
  return 0;
}
