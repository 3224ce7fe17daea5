// Runtime metrics of a native process: the C++ counterpart of client_golang's Go collector.
#include <fcntl.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golivekit/observability/collectors.h"
#include "golivekit/observability/names.h"
#include "proc_file.h"

// mallinfo2 (size_t fields) arrived in glibc 2.33; the older mallinfo's int fields wrap above 2 GiB, so
// it is not used as a fallback.
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#define GLK_OBS_HAVE_MALLINFO2 1
#else
#define GLK_OBS_HAVE_MALLINFO2 0
#endif

namespace golivekit::observability {
namespace {

using detail::ReadFile;

constexpr const char* kThreads = "golivekit_runtime_threads";
constexpr const char* kThreadsHelp = "Number of OS threads in the process.";
constexpr const char* kHeapInuse = "golivekit_runtime_heap_inuse_bytes";
constexpr const char* kHeapInuseHelp =
    "Bytes of heap memory allocated by malloc and in use (glibc mallinfo2 uordblks + hblkhd).";
constexpr const char* kHeapFree = "golivekit_runtime_heap_free_bytes";
constexpr const char* kHeapFreeHelp =
    "Bytes of heap memory held by malloc but not in use (glibc mallinfo2 fordblks).";
constexpr const char* kBuildInfo = "golivekit_build_info";
constexpr const char* kBuildInfoHelp =
    "A metric with a constant '1' value labeled by the golivekit-observability version.";

// The value of "Threads:" in /proc/self/status.
bool ParseThreads(std::string_view status, double& threads) {
  const std::size_t pos = status.find("\nThreads:");
  if (pos == std::string_view::npos) return false;
  std::size_t i = pos + 9;
  while (i < status.size() && (status[i] == ' ' || status[i] == '\t')) ++i;
  std::uint64_t v = 0;
  std::size_t digits = 0;
  for (; i < status.size() && status[i] >= '0' && status[i] <= '9' && digits < 19; ++i, ++digits) {
    v = v * 10 + static_cast<std::uint64_t>(status[i] - '0');
  }
  if (digits == 0) return false;
  threads = static_cast<double>(v);
  return true;
}

void Push(std::vector<FamilySnapshot>& out, const char* name, const char* help, double value,
          std::vector<std::string> label_names = {}, std::vector<std::string> label_values = {}) {
  FamilySnapshot f;
  f.name = name;
  f.help = help;
  f.type = MetricType::kGauge;
  f.label_names = std::move(label_names);
  f.series.push_back(SeriesSnapshot{.label_values = std::move(label_values), .value = value});
  out.push_back(std::move(f));
}

class RuntimeCollector final : public Collector {
 public:
  explicit RuntimeCollector(std::string version) : version_(std::move(version)) {
    if (!IsValidUtf8(version_)) status_ = InvalidArgument("runtime collector: version is not valid UTF-8");
  }

  Status status() const override { return status_; }

  std::vector<Descriptor> Describe() const override {
    std::vector<Descriptor> d;
    d.push_back(Descriptor{.name = kThreads, .help = kThreadsHelp, .type = MetricType::kGauge});
#if GLK_OBS_HAVE_MALLINFO2
    d.push_back(Descriptor{.name = kHeapInuse, .help = kHeapInuseHelp, .type = MetricType::kGauge});
    d.push_back(Descriptor{.name = kHeapFree, .help = kHeapFreeHelp, .type = MetricType::kGauge});
#endif
    d.push_back(Descriptor{
        .name = kBuildInfo, .help = kBuildInfoHelp, .type = MetricType::kGauge, .label_names = {"version"}});
    return d;
  }

  Status Collect(std::vector<FamilySnapshot>& out) const override {
    if (!status_.ok()) return status_;
    std::string text;
    std::string error;
    if (!ReadFile("/proc/self/status", text, error)) return FailedPrecondition("runtime collector: " + error);
    double threads = 0;
    if (!ParseThreads(text, threads)) {
      return FailedPrecondition("runtime collector: cannot parse /proc/self/status: no Threads");
    }
    Push(out, kThreads, kThreadsHelp, threads);
#if GLK_OBS_HAVE_MALLINFO2
    // When malloc is not glibc's (jemalloc, tcmalloc, a sanitizer's allocator), mallinfo2 describes an
    // allocator nobody uses and reports no arena at all: the heap families are left out, not shown as 0.
    const struct mallinfo2 mi = Heap();
    if (mi.arena != 0 || mi.hblkhd != 0) {
      Push(out, kHeapInuse, kHeapInuseHelp, static_cast<double>(mi.uordblks + mi.hblkhd));
      Push(out, kHeapFree, kHeapFreeHelp, static_cast<double>(mi.fordblks));
    }
#endif
    Push(out, kBuildInfo, kBuildInfoHelp, 1, {"version"}, {version_});
    return {};
  }

 private:
#if GLK_OBS_HAVE_MALLINFO2
  // mallinfo2 walks the free lists of every malloc arena, each under its lock: with a large heap and
  // many arenas (a server of many threads) that is most of a small scrape's cost (a gateway holding
  // 10,000 clients: about a sixth of its /metrics CPU). So it is read at most once a second; the heap
  // gauges may be that old.
  struct mallinfo2 Heap() const {
    const auto now = std::chrono::steady_clock::now();
    std::lock_guard lock(heap_mu_);
    if (heap_read_ == std::chrono::steady_clock::time_point{} ||
        now - heap_read_ >= std::chrono::seconds(1)) {
      heap_ = ::mallinfo2();
      heap_read_ = now;
    }
    return heap_;
  }

  mutable std::mutex heap_mu_;
  mutable struct mallinfo2 heap_ {};
  mutable std::chrono::steady_clock::time_point heap_read_{};
#endif
  std::string version_;
  Status status_;
};

}  // namespace

std::shared_ptr<Collector> NewRuntimeCollector(std::string version) {
  return std::make_shared<RuntimeCollector>(std::move(version));
}

}  // namespace golivekit::observability
