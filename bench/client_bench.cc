// Client metrics: the server's cost per batch (decode + validate + merge), and the client's cost to
// encode one. The typical batch (docs/performance.md): 50 series, 40 of them histograms, ~10 KB.
//
//   observability_bench --benchmark_filter=Client
#include <benchmark/benchmark.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "golivekit/observability.hpp"

namespace obs = golivekit::observability;

namespace {

const std::vector<double> kBounds = obs::ExponentialBuckets(0.001, 1.5, 30);

// The client registry of one busy page: 10 counter series and 40 histogram series (two labels each).
struct Page {
  std::shared_ptr<obs::Registry> registry = obs::NewRegistry();
  std::shared_ptr<obs::Counter> events =
      obs::NewCounter({.name = "app_client_events_total", .help = "h", .labels = {"event", "view"}});
  std::shared_ptr<obs::Histogram> latency = obs::NewHistogram({.name = "app_client_event_latency_seconds",
                                                               .help = "h",
                                                               .labels = {"event", "view"},
                                                               .buckets = kBounds});

  Page() {
    (void)registry->Register(events);
    (void)registry->Register(latency);
  }

  // `pad` lengthens the view label: 0 gives the typical ~4.5 KB batch, 90 the ~10 KB one.
  void Record(std::uint64_t seed, std::size_t pad = 0) {
    const std::string p(pad, 'x');
    for (int i = 0; i < 10; ++i) {
      events->WithLabels("component-event-" + std::to_string(i), "/projects/:project/boards/:board" + p)
          .Add(3);
    }
    for (int i = 0; i < 40; ++i) {
      auto h = latency->WithLabels(
          "component-event-" + std::to_string(i % 20),
          (i < 20 ? "/projects/:project/boards/:board" : "/settings/profile/notifications") + p);
      for (std::uint64_t k = 0; k < 40; ++k)
        h.Observe(static_cast<double>((seed * 7919 + k * 104729) % 5000) / 1000);
    }
  }
};

obs::ClientMetricsOpts ServerOpts() {
  return {.metrics = {{.name = "app_client_events_total",
                       .help = "h",
                       .type = obs::MetricType::kCounter,
                       .labels = {"event", "view"}},
                      {.name = "app_client_event_latency_seconds",
                       .help = "h",
                       .type = obs::MetricType::kHistogram,
                       .labels = {"event", "view"},
                       .buckets = kBounds}},
          .rate_per_second = 0};
}

// One typical batch (the page's first, so every series is in it) without its header: the benchmark
// writes a new header (client, sequence) for each iteration, so every batch is applied, not a duplicate.
std::string TypicalBody(std::size_t* header_size, std::size_t pad) {
  Page page;
  page.Record(1, pad);
  obs::BatchEncoder enc(obs::ClientId{}, 1 << 20);
  const std::string bytes = enc.Encode(page.registry->Gather()).at(0);
  *header_size = 22 + 1 + 1;  // fixed header, sequence 1, dropped 0
  return bytes;
}

void PutVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Applies `typical` (a whole batch; its fixed header and sequence 1 and dropped 0 are `header` bytes)
// once per iteration, as a new batch each time: 1,000 clients (a scrape's worth of browsers) in turn,
// each with its next sequence, so that every batch is merged rather than recognised as a duplicate.
void ApplyAsManyClients(benchmark::State& state, obs::ClientMetrics& cm, const std::string& typical,
                        std::size_t header) {
  constexpr int kClients = 1000;
  std::vector<std::uint64_t> seq(kClients, 0);
  std::string batch;
  std::uint64_t n = 0;
  for (auto _ : state) {
    const int c = static_cast<int>(n++ % kClients);
    batch.assign(typical, 0, 6);
    obs::ClientId id{};
    id[0] = static_cast<std::uint8_t>(c);
    id[1] = static_cast<std::uint8_t>(c >> 8);
    batch.append(reinterpret_cast<const char*>(id.data()), id.size());
    PutVarint(batch, ++seq[c]);
    batch.push_back(0);
    batch.append(typical, header);
    const obs::ApplyResult r = cm.Apply(batch);
    if (r.outcome != obs::ApplyResult::Outcome::kApplied || !r.skipped.empty()) {
      state.SkipWithError(r.message.c_str());
      break;
    }
  }
  state.counters["batches/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_ClientBatchApply(benchmark::State& state) {
  std::size_t header = 0;
  const std::string typical = TypicalBody(&header, static_cast<std::size_t>(state.range(0)));
  auto cm = obs::NewClientMetrics(ServerOpts());
  ApplyAsManyClients(state, *cm, typical, header);
  state.counters["batch_bytes"] = static_cast<double>(typical.size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * typical.size()));
}
BENCHMARK(BM_ClientBatchApply)->Arg(0)->Arg(90)->Unit(benchmark::kMicrosecond);

// The same page with native histograms (factor 1.1, native-only): 10 counter series and 40 histogram
// series of ~20 populated buckets each. Arg 1 ships the same observations with classic buckets (the 30
// of kBounds) as well, which the server also keeps.
struct NativePage {
  std::shared_ptr<obs::Registry> registry = obs::NewRegistry();
  std::shared_ptr<obs::Counter> events =
      obs::NewCounter({.name = "app_client_events_total", .help = "h", .labels = {"event", "view"}});
  std::shared_ptr<obs::Histogram> latency;

  explicit NativePage(bool classic_too, bool native = true)
      : latency(obs::NewHistogram({.name = "app_client_event_latency_seconds",
                                   .help = "h",
                                   .labels = {"event", "view"},
                                   .buckets = classic_too ? kBounds : std::vector<double>{},
                                   .native_bucket_factor = native ? 1.1 : 0})) {
    (void)registry->Register(events);
    (void)registry->Register(latency);
    for (int i = 0; i < 10; ++i)
      events->WithLabels("component-event-" + std::to_string(i), "/projects/:project/boards/:board").Add(3);
    for (int i = 0; i < 40; ++i) {
      auto h = latency->WithLabels(
          "component-event-" + std::to_string(i % 20),
          i < 20 ? "/projects/:project/boards/:board" : "/settings/profile/notifications");
      // 0.1 .. 0.6 s: about 20 buckets of schema 3.
      for (std::uint64_t k = 0; k < 40; ++k)
        h.Observe(0.1 + static_cast<double>((k * 104729 + i) % 5000) / 10000);
    }
  }
};

void BM_ClientBatchApplyNative(benchmark::State& state) {
  const bool classic_too = state.range(0) != 0;
  NativePage page(classic_too);
  obs::BatchEncoder enc(obs::ClientId{}, 1 << 20);
  const std::string typical = enc.Encode(page.registry->Gather()).at(0);
  const std::size_t header = 22 + 1 + 1;
  obs::ClientMetricsOpts opts = ServerOpts();
  opts.metrics[1].buckets = classic_too ? kBounds : std::vector<double>{};
  opts.metrics[1].native_bucket_factor = 1.1;
  auto cm = obs::NewClientMetrics(opts);
  ApplyAsManyClients(state, *cm, typical, header);
  std::size_t buckets = 0;
  for (const obs::FamilySnapshot& f : page.registry->Gather().families) {
    for (const obs::SeriesSnapshot& s : f.series) buckets += s.native.positive_counts.size();
  }
  NativePage classic_only(/*classic_too=*/true, /*native=*/false);
  obs::BatchEncoder classic_enc(obs::ClientId{}, 1 << 20);
  state.counters["batch_bytes"] = static_cast<double>(typical.size());
  state.counters["classic_only_bytes"] =
      static_cast<double>(classic_enc.Encode(classic_only.registry->Gather()).at(0).size());
  state.counters["native_buckets_per_series"] = static_cast<double>(buckets) / 40;
}
BENCHMARK(BM_ClientBatchApplyNative)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// A resent batch (retry, unload beacon): recognised from its header.
void BM_ClientBatchDuplicate(benchmark::State& state) {
  std::size_t header = 0;
  const std::string typical = TypicalBody(&header, 0);
  auto cm = obs::NewClientMetrics(ServerOpts());
  if (cm->Apply(typical).outcome != obs::ApplyResult::Outcome::kApplied) state.SkipWithError("not applied");
  for (auto _ : state) {
    benchmark::DoNotOptimize(cm->Apply(typical));
  }
}
BENCHMARK(BM_ClientBatchDuplicate)->Unit(benchmark::kMicrosecond);

void BM_ClientBatchDecode(benchmark::State& state) {
  std::size_t header = 0;
  const std::string typical = TypicalBody(&header, static_cast<std::size_t>(state.range(0)));
  obs::Batch batch;
  for (auto _ : state) {
    benchmark::DoNotOptimize(obs::DecodeBatch(typical, batch));
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * typical.size()));
}
BENCHMARK(BM_ClientBatchDecode)->Arg(0)->Arg(90)->Unit(benchmark::kMicrosecond);

// The client side: Gather + the delta encoding of the typical page, every series changed since the last
// batch.
void BM_ClientBatchEncode(benchmark::State& state) {
  Page page;
  page.Record(1);
  obs::BatchEncoder enc(obs::NewClientId());
  std::uint64_t seed = 2;
  for (auto _ : state) {
    state.PauseTiming();
    page.Record(seed++);
    state.ResumeTiming();
    benchmark::DoNotOptimize(enc.Encode(page.registry->Gather()));
  }
}
BENCHMARK(BM_ClientBatchEncode)->Unit(benchmark::kMicrosecond);

}  // namespace
