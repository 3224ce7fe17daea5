// Google Benchmark suite for the core: hot paths against the hardware's own reference (a relaxed
// atomic add) measured in the same run, exposition throughput and memory per series.
//
//   observability_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
//   python3 scripts/bench_report.py build/native/bench/observability_bench   # table with ratios
//
// Multi-threaded benchmarks (->Threads(2)) all work on ONE shared object set up once (a function-local
// static), so they measure contention on a single metric. Google Benchmark reports their real_time as
// wall-clock time divided by the iterations of all threads together (total ns/op, as
// docs/performance.md counts).
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "golivekit/observability.hpp"

namespace obs = golivekit::observability;

namespace {

// ---------------------------------------------------------------------------------------------------
// Shared fixtures

// Observations spanning DefaultBuckets (.005 … 10) and the +Inf bucket; the index is masked, so the
// size must stay a power of two.
constexpr std::array<double, 16> kObservations = {0.001, 0.007, 0.012, 0.03, 0.07,  0.2,   0.3, 0.75,
                                                  1.5,   3.0,   7.5,   12.0, 0.004, 0.045, 0.6, 4.2};
constexpr std::size_t kObservationMask = kObservations.size() - 1;
static_assert((kObservations.size() & kObservationMask) == 0, "size must be a power of two");

// The hardware reference: one cache line each, so the two baselines never share a line.
struct alignas(64) PaddedAtomic {
  std::atomic<std::uint64_t> value{0};
};
PaddedAtomic g_atomic_single;
PaddedAtomic g_atomic_shared;

// Skips the benchmark with the status' message if it is not OK; returns true if the benchmark can run.
bool Check(benchmark::State& state, const obs::Status& status) {
  if (status.ok()) return true;
  state.SkipWithError(status.ToString().c_str());
  return false;
}

// prefix + decimal number. (Appending, rather than `"lit" + std::to_string(n)`, which trips g++ 12's
// -Wrestrict false positive at -O3.)
std::string Numbered(std::string_view prefix, std::size_t n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

constexpr std::array<const char*, 10> kCodes = {"200", "201", "204", "301", "304",
                                                "400", "401", "403", "404", "500"};

// A registry with one counter family `http_requests_total{code, handler}` of 10,000 series
// (1,000 handlers × 10 codes) holding varied integer values.
std::shared_ptr<obs::Registry> MakeCounterRegistry(benchmark::State& state) {
  auto registry = obs::NewRegistry();
  auto requests = obs::NewCounter({.name = "http_requests_total",
                                   .help = "Total HTTP requests by handler and status code.",
                                   .labels = {"handler", "code"}});
  if (!Check(state, requests->status()) || !Check(state, registry->Register(requests))) return nullptr;
  for (int i = 0; i < 10'000; ++i) {
    const std::string handler = Numbered("/api/v1/items/", static_cast<std::size_t>(i / 10));
    auto child = requests->WithLabels(handler, kCodes[static_cast<std::size_t>(i % 10)]);
    if (!Check(state, child.status())) return nullptr;
    // Varied magnitudes: 0 … ~10^7, so both short and long numbers are written.
    const auto v =
        (static_cast<std::uint64_t>(i) * 7919u * static_cast<std::uint64_t>(i % 97 + 1)) % 10'000'019u;
    if (!Check(state, child.Add(static_cast<double>(v)))) return nullptr;
  }
  return registry;
}

// A registry with one histogram family `http_request_duration_seconds{handler}` of 1,000 series on
// DefaultBuckets, with a few observations each.
std::shared_ptr<obs::Registry> MakeHistogramRegistry(benchmark::State& state) {
  auto registry = obs::NewRegistry();
  auto latency = obs::NewHistogram({.name = "http_request_duration_seconds",
                                    .help = "HTTP request latency in seconds.",
                                    .labels = {"handler"},
                                    .buckets = obs::DefaultBuckets});
  if (!Check(state, latency->status()) || !Check(state, registry->Register(latency))) return nullptr;
  for (std::size_t i = 0; i < 1'000; ++i) {
    auto child = latency->WithLabels(Numbered("/api/v1/items/", i));
    if (!Check(state, child.status())) return nullptr;
    for (std::size_t k = 0; k < 1 + i % 5; ++k) child.Observe(kObservations[(i + k * 3) & kObservationMask]);
  }
  return registry;
}

// Bytes the process has allocated with malloc: small chunks (uordblks) plus mmapped ones (hblkhd: large
// blocks, e.g. a grown hash table). mallinfo2 sums every arena.
std::size_t AllocatedBytes() {
  const struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
}

// ---------------------------------------------------------------------------------------------------
// Hot paths, one thread

void BM_AtomicBaseline(benchmark::State& state) {
  auto& a = g_atomic_single.value;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a.fetch_add(1, std::memory_order_relaxed));
  }
}
BENCHMARK(BM_AtomicBaseline);

void BM_CounterInc(benchmark::State& state) {
  auto counter = obs::NewCounter({.name = "bench_counter_total", .help = "Benchmark counter.", .labels = {}});
  if (!Check(state, counter->status())) return;
  for (auto _ : state) {
    counter->Inc();
  }
  benchmark::DoNotOptimize(counter->Value());
}
BENCHMARK(BM_CounterInc);

void BM_CounterChildInc(benchmark::State& state) {
  auto counter = obs::NewCounter(
      {.name = "bench_requests_total", .help = "Benchmark counter.", .labels = {"method", "code"}});
  const obs::CounterChild child = counter->WithLabels("GET", "200");
  if (!Check(state, child.status())) return;
  for (auto _ : state) {
    child.Inc();
  }
  benchmark::DoNotOptimize(child.Value());
}
BENCHMARK(BM_CounterChildInc);

void BM_CounterWithLabels2(benchmark::State& state) {
  auto counter = obs::NewCounter(
      {.name = "bench_requests_total", .help = "Benchmark counter.", .labels = {"method", "code"}});
  // A few neighbours, so the lookup is not in a table of one.
  for (const char* method : {"GET", "POST", "PUT", "DELETE"}) {
    for (const char* code : {"200", "201", "404", "500"}) {
      if (!Check(state, counter->WithLabels(method, code).status())) return;
    }
  }
  for (auto _ : state) {
    counter->WithLabels("GET", "200").Inc();
  }
  benchmark::DoNotOptimize(counter->WithLabels("GET", "200").Value());
}
BENCHMARK(BM_CounterWithLabels2);

// The same lookup in a family of 10,000 series (prom-client's "10k existing series" case).
void BM_CounterWithLabels2In10kSeries(benchmark::State& state) {
  auto counter = obs::NewCounter(
      {.name = "bench_requests_total", .help = "Benchmark counter.", .labels = {"handler", "code"}});
  for (int i = 0; i < 10'000; ++i) {
    const std::string handler = Numbered("/api/v1/items/", static_cast<std::size_t>(i / 10));
    if (!Check(state, counter->WithLabels(handler, kCodes[static_cast<std::size_t>(i % 10)]).status()))
      return;
  }
  for (auto _ : state) {
    counter->WithLabels("/api/v1/items/500", "404").Inc();
  }
  benchmark::DoNotOptimize(counter->WithLabels("/api/v1/items/500", "404").Value());
}
BENCHMARK(BM_CounterWithLabels2In10kSeries);

void BM_GaugeAdd(benchmark::State& state) {
  auto gauge = obs::NewGauge({.name = "bench_gauge", .help = "Benchmark gauge.", .labels = {}});
  if (!Check(state, gauge->status())) return;
  for (auto _ : state) {
    gauge->Add(1.0);
  }
  benchmark::DoNotOptimize(gauge->Value());
}
BENCHMARK(BM_GaugeAdd);

void BM_HistogramObserve(benchmark::State& state) {
  auto histogram = obs::NewHistogram({.name = "bench_latency_seconds",
                                      .help = "Benchmark histogram.",
                                      .labels = {},
                                      .buckets = obs::DefaultBuckets});
  if (!Check(state, histogram->status())) return;
  std::size_t i = 0;
  for (auto _ : state) {
    histogram->Observe(kObservations[i++ & kObservationMask]);
  }
  benchmark::DoNotOptimize(i);
}
BENCHMARK(BM_HistogramObserve);

// ---------------------------------------------------------------------------------------------------
// Hot paths, two threads on one shared object

void BM_AtomicBaselineContended(benchmark::State& state) {
  auto& a = g_atomic_shared.value;
  for (auto _ : state) {
    benchmark::DoNotOptimize(a.fetch_add(1, std::memory_order_relaxed));
  }
}
BENCHMARK(BM_AtomicBaselineContended)->Threads(2);

void BM_CounterIncContended(benchmark::State& state) {
  // One counter for every thread and run; a function-local static is initialised exactly once.
  static const std::shared_ptr<obs::Counter> counter =
      obs::NewCounter({.name = "bench_contended_total", .help = "Benchmark counter, shared.", .labels = {}});
  if (!Check(state, counter->status())) return;
  for (auto _ : state) {
    counter->Inc();
  }
  benchmark::DoNotOptimize(counter->Value());
}
BENCHMARK(BM_CounterIncContended)->Threads(2);

void BM_HistogramObserveContended(benchmark::State& state) {
  static const std::shared_ptr<obs::Histogram> histogram =
      obs::NewHistogram({.name = "bench_contended_seconds",
                         .help = "Benchmark histogram, shared.",
                         .labels = {},
                         .buckets = obs::DefaultBuckets});
  if (!Check(state, histogram->status())) return;
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 5;
  for (auto _ : state) {
    histogram->Observe(kObservations[i++ & kObservationMask]);
  }
  benchmark::DoNotOptimize(i);
}
BENCHMARK(BM_HistogramObserveContended)->Threads(2);

// ---------------------------------------------------------------------------------------------------
// Exposition: gather + encode per iteration, as a scrape does

void BM_ExposeText10kCounters(benchmark::State& state) {
  const auto registry = MakeCounterRegistry(state);
  if (!registry) return;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = registry->Expose();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
  state.counters["output_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ExposeText10kCounters)->Unit(benchmark::kMillisecond);

void BM_ExposeOpenMetrics10kCounters(benchmark::State& state) {
  const auto registry = MakeCounterRegistry(state);
  if (!registry) return;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = registry->Expose(obs::Format::kOpenMetrics);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
  state.counters["output_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ExposeOpenMetrics10kCounters)->Unit(benchmark::kMillisecond);

// As BM_ExposeText10kCounters, through the overload that appends to a buffer kept between scrapes.
void BM_ExposeText10kCountersReuse(benchmark::State& state) {
  const auto registry = MakeCounterRegistry(state);
  if (!registry) return;
  std::string out;
  for (auto _ : state) {
    out.clear();
    registry->Expose(obs::Format::kText, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(out.size()));
  state.counters["output_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_ExposeText10kCountersReuse)->Unit(benchmark::kMillisecond);

void BM_ExposeText1kHistograms(benchmark::State& state) {
  const auto registry = MakeHistogramRegistry(state);
  if (!registry) return;
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = registry->Expose();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
  state.counters["output_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ExposeText1kHistograms)->Unit(benchmark::kMillisecond);

// The two halves of BM_ExposeText10kCounters, to see where a scrape's time goes.
void BM_Gather10kCounters(benchmark::State& state) {
  const auto registry = MakeCounterRegistry(state);
  if (!registry) return;
  for (auto _ : state) {
    obs::Snapshot snapshot = registry->Gather();
    benchmark::DoNotOptimize(snapshot.families.data());
  }
}
BENCHMARK(BM_Gather10kCounters)->Unit(benchmark::kMillisecond);

void BM_EncodeText10kCounters(benchmark::State& state) {
  const auto registry = MakeCounterRegistry(state);
  if (!registry) return;
  const obs::Snapshot snapshot = registry->Gather();
  std::string out;
  for (auto _ : state) {
    out.clear();  // keeps the capacity: measures the encoder, not the allocator
    obs::Encode(snapshot, obs::Format::kText, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(out.size()));
  state.counters["output_bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_EncodeText10kCounters)->Unit(benchmark::kMillisecond);

// ---------------------------------------------------------------------------------------------------
// Memory per series: heap growth while 100,000 series are created, divided by 100,000. Label values
// are short (small-string optimisation), so this is the library's own cost per series: the series cell,
// its label-value vector, its hash-table slot and its place in the exposition order.

constexpr int kMemorySeries = 100'000;

void BM_MemoryPerSeries2Labels(benchmark::State& state) {
  for (auto _ : state) {
    auto counter = obs::NewCounter(
        {.name = "bench_memory_total", .help = "Benchmark counter.", .labels = {"method", "code"}});
    if (!Check(state, counter->status())) return;
    const std::size_t before = AllocatedBytes();
    for (int i = 0; i < kMemorySeries; ++i) {
      const std::string a = Numbered("m", static_cast<std::size_t>(i % 100));
      const std::string b = std::to_string(i / 100);
      counter->WithLabels(a, b).Inc();  // the handle is dropped: the family keeps the series
    }
    const std::size_t after = AllocatedBytes();
    if (counter->series_count() != static_cast<std::size_t>(kMemorySeries)) {
      state.SkipWithError("wrong number of series");
      return;
    }
    state.counters["bytes_per_series"] =
        static_cast<double>(after - before) / static_cast<double>(kMemorySeries);
  }
}
BENCHMARK(BM_MemoryPerSeries2Labels)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_MemoryPerHistogramSeries1Label(benchmark::State& state) {
  for (auto _ : state) {
    auto histogram = obs::NewHistogram({.name = "bench_memory_seconds",
                                        .help = "Benchmark histogram.",
                                        .labels = {"handler"},
                                        .buckets = obs::DefaultBuckets});
    if (!Check(state, histogram->status())) return;
    const std::size_t before = AllocatedBytes();
    for (int i = 0; i < kMemorySeries; ++i) {
      histogram->WithLabels(Numbered("h", static_cast<std::size_t>(i))).Observe(0.1);
    }
    const std::size_t after = AllocatedBytes();
    if (histogram->series_count() != static_cast<std::size_t>(kMemorySeries)) {
      state.SkipWithError("wrong number of series");
      return;
    }
    state.counters["bytes_per_series"] =
        static_cast<double>(after - before) / static_cast<double>(kMemorySeries);
  }
}
BENCHMARK(BM_MemoryPerHistogramSeries1Label)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
