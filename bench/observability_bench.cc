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
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <cmath>
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

// 1,024 observations log-uniform over two decades (0.001 … 0.1): with factor 1.1 (schema 3) about 53
// native buckets, visited in a scattered order. Cycled with a mask.
constexpr std::size_t kNativeValueCount = 1024;
const std::array<double, kNativeValueCount>& NativeValues() {
  static const std::array<double, kNativeValueCount> values = [] {
    std::array<double, kNativeValueCount> v{};
    std::uint64_t x = 0x9E3779B97F4A7C15ull;
    for (double& d : v) {
      x ^= x << 13;  // xorshift: a fixed, portable spread
      x ^= x >> 7;
      x ^= x << 17;
      const double u = static_cast<double>(x >> 11) / 9007199254740992.0;  // [0, 1)
      d = 0.001 * std::pow(100.0, u);
    }
    return v;
  }();
  return values;
}

// A registry with one native histogram family `rpc_duration_seconds{method}` (factor 1.1, no classic
// buckets) of 1,000 series with 20 observations each spread over two decades.
std::shared_ptr<obs::Registry> MakeNativeHistogramRegistry(benchmark::State& state) {
  auto registry = obs::NewRegistry();
  auto latency = obs::NewHistogram({.name = "rpc_duration_seconds",
                                    .help = "RPC latency in seconds.",
                                    .labels = {"method"},
                                    .buckets = {},
                                    .native_bucket_factor = 1.1});
  if (!Check(state, latency->status()) || !Check(state, registry->Register(latency))) return nullptr;
  const auto& values = NativeValues();
  for (std::size_t i = 0; i < 1'000; ++i) {
    auto child = latency->WithLabels(Numbered("/svc.Items/Method", i));
    if (!Check(state, child.status())) return nullptr;
    for (std::size_t k = 0; k < 20; ++k) child.Observe(values[(i * 20 + k) % kNativeValueCount]);
  }
  return registry;
}

// Minor page faults so far (memory the kernel had to map in: what a scrape pays when the allocator
// returned the previous scrape's memory).
long MinorFaults() {
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

// Reports output bytes per second, the output size and the page faults per iteration.
void ReportScrape(benchmark::State& state, std::size_t bytes, long faults_before) {
  if (bytes > 0) {
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * static_cast<std::int64_t>(bytes));
    state.counters["output_bytes"] = static_cast<double>(bytes);
  }
  state.counters["faults_per_scrape"] =
      static_cast<double>(MinorFaults() - faults_before) / static_cast<double>(state.iterations());
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

// A native-only histogram (factor 1.1: schema 3), values over two decades: the bucket index computation
// and the table's atomic add, plus the sum's compare-and-swap.
void BM_NativeHistogramObserve(benchmark::State& state) {
  auto histogram = obs::NewHistogram({.name = "bench_native_seconds",
                                      .help = "Benchmark native histogram.",
                                      .labels = {},
                                      .buckets = {},
                                      .native_bucket_factor = 1.1});
  if (!Check(state, histogram->status())) return;
  const auto& values = NativeValues();
  for (double v : values) histogram->Observe(v);  // the table has grown to its steady size
  std::size_t i = 0;
  for (auto _ : state) {
    histogram->Observe(values[i++ & (kNativeValueCount - 1)]);
  }
  benchmark::DoNotOptimize(i);
}
BENCHMARK(BM_NativeHistogramObserve);

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

void BM_NativeHistogramObserveContended(benchmark::State& state) {
  static const std::shared_ptr<obs::Histogram> histogram = [] {
    auto h = obs::NewHistogram({.name = "bench_contended_native_seconds",
                                .help = "Benchmark native histogram, shared.",
                                .labels = {},
                                .buckets = {},
                                .native_bucket_factor = 1.1});
    for (double v : NativeValues()) h->Observe(v);
    return h;
  }();
  if (!Check(state, histogram->status())) return;
  const auto& values = NativeValues();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 512;
  for (auto _ : state) {
    histogram->Observe(values[i++ & (kNativeValueCount - 1)]);
  }
  benchmark::DoNotOptimize(i);
}
BENCHMARK(BM_NativeHistogramObserveContended)->Threads(2);

// ---------------------------------------------------------------------------------------------------
// Exposition: gather + encode per iteration, as a scrape does. The plain names measure what a server
// does (Registry::Expose(format, out): the registry's kept snapshot refilled, `out` kept between
// scrapes); the `Allocating` variants measure a new snapshot and a new string per scrape
// (`Encode(Gather(), format)`), whose cost depends on how the allocator hands memory back to the system
// (see docs/performance.md).

// One scrape per iteration through `registry->Expose(format, out)`.
void ExposeKept(benchmark::State& state, const std::shared_ptr<obs::Registry>& registry, obs::Format format) {
  if (!registry) return;
  std::string out;
  registry->Expose(format, out);  // the first scrape sizes the kept memory
  const long faults = MinorFaults();
  for (auto _ : state) {
    out.clear();
    registry->Expose(format, out);
    benchmark::DoNotOptimize(out.data());
  }
  ReportScrape(state, out.size(), faults);
}

// One scrape per iteration with a new snapshot and a new string.
void ExposeAllocating(benchmark::State& state, const std::shared_ptr<obs::Registry>& registry,
                      obs::Format format) {
  if (!registry) return;
  std::size_t bytes = 0;
  const long faults = MinorFaults();
  for (auto _ : state) {
    std::string text = obs::Encode(registry->Gather(), format);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  ReportScrape(state, bytes, faults);
}

void BM_ExposeText10kCounters(benchmark::State& state) {
  ExposeKept(state, MakeCounterRegistry(state), obs::Format::kText);
}
BENCHMARK(BM_ExposeText10kCounters)->Unit(benchmark::kMillisecond);

void BM_ExposeText10kCountersAllocating(benchmark::State& state) {
  ExposeAllocating(state, MakeCounterRegistry(state), obs::Format::kText);
}
BENCHMARK(BM_ExposeText10kCountersAllocating)->Unit(benchmark::kMillisecond);

void BM_ExposeOpenMetrics10kCounters(benchmark::State& state) {
  ExposeKept(state, MakeCounterRegistry(state), obs::Format::kOpenMetrics);
}
BENCHMARK(BM_ExposeOpenMetrics10kCounters)->Unit(benchmark::kMillisecond);

void BM_ExposeText1kHistograms(benchmark::State& state) {
  ExposeKept(state, MakeHistogramRegistry(state), obs::Format::kText);
}
BENCHMARK(BM_ExposeText1kHistograms)->Unit(benchmark::kMillisecond);

void BM_ExposeText1kNativeHistograms(benchmark::State& state) {
  ExposeKept(state, MakeNativeHistogramRegistry(state), obs::Format::kText);
}
BENCHMARK(BM_ExposeText1kNativeHistograms)->Unit(benchmark::kMillisecond);

void BM_ExposeProtobuf10kCounters(benchmark::State& state) {
  ExposeKept(state, MakeCounterRegistry(state), obs::Format::kProtobuf);
}
BENCHMARK(BM_ExposeProtobuf10kCounters)->Unit(benchmark::kMillisecond);

void BM_ExposeProtobuf10kCountersAllocating(benchmark::State& state) {
  ExposeAllocating(state, MakeCounterRegistry(state), obs::Format::kProtobuf);
}
BENCHMARK(BM_ExposeProtobuf10kCountersAllocating)->Unit(benchmark::kMillisecond);

void BM_ExposeProtobuf1kNativeHistograms(benchmark::State& state) {
  ExposeKept(state, MakeNativeHistogramRegistry(state), obs::Format::kProtobuf);
}
BENCHMARK(BM_ExposeProtobuf1kNativeHistograms)->Unit(benchmark::kMillisecond);

// The two halves of BM_ExposeText10kCounters, to see where a scrape's time goes.
void BM_Gather10kCounters(benchmark::State& state) {
  const auto registry = MakeCounterRegistry(state);
  if (!registry) return;
  obs::Snapshot snapshot = registry->Gather();
  const long faults = MinorFaults();
  for (auto _ : state) {
    registry->Gather(snapshot);
    benchmark::DoNotOptimize(snapshot.families.data());
  }
  ReportScrape(state, 0, faults);
}
BENCHMARK(BM_Gather10kCounters)->Unit(benchmark::kMillisecond);

void BM_Gather10kCountersAllocating(benchmark::State& state) {
  const auto registry = MakeCounterRegistry(state);
  if (!registry) return;
  const long faults = MinorFaults();
  for (auto _ : state) {
    obs::Snapshot snapshot = registry->Gather();
    benchmark::DoNotOptimize(snapshot.families.data());
  }
  ReportScrape(state, 0, faults);
}
BENCHMARK(BM_Gather10kCountersAllocating)->Unit(benchmark::kMillisecond);

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

// A native-only histogram series (factor 1.1) with 20 populated buckets: 20 values 2^(k/8) apart, one
// per schema-3 bucket.
void BM_MemoryPerNativeHistogramSeries1Label(benchmark::State& state) {
  constexpr int kSeries = kMemorySeries / 10;
  std::array<double, 20> values{};
  for (std::size_t k = 0; k < values.size(); ++k)
    values[k] = 0.01 * std::pow(2.0, (static_cast<double>(k) + 0.5) / 8);
  for (auto _ : state) {
    auto histogram = obs::NewHistogram({.name = "bench_memory_native_seconds",
                                        .help = "Benchmark native histogram.",
                                        .labels = {"handler"},
                                        .buckets = {},
                                        .native_bucket_factor = 1.1});
    if (!Check(state, histogram->status())) return;
    const std::size_t before = AllocatedBytes();
    for (int i = 0; i < kSeries; ++i) {
      auto child = histogram->WithLabels(Numbered("h", static_cast<std::size_t>(i)));
      for (double v : values) child.Observe(v);
    }
    const std::size_t after = AllocatedBytes();
    if (histogram->series_count() != static_cast<std::size_t>(kSeries)) {
      state.SkipWithError("wrong number of series");
      return;
    }
    state.counters["bytes_per_series"] = static_cast<double>(after - before) / static_cast<double>(kSeries);
  }
}
BENCHMARK(BM_MemoryPerNativeHistogramSeries1Label)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
