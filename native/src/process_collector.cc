// client_golang's process collector for Linux, and RegisterPlatformCollectors.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "golivekit/observability/collectors.h"
#include "proc_file.h"

namespace golivekit::observability {
namespace {

using detail::ReadFile;

std::vector<std::string_view> SplitFields(std::string_view s) {
  std::vector<std::string_view> fields;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
    const std::size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t' && s[i] != '\n') ++i;
    if (i > start) fields.push_back(s.substr(start, i - start));
  }
  return fields;
}

bool ParseU64(std::string_view s, std::uint64_t& v) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t r = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const auto d = static_cast<std::uint64_t>(c - '0');
    if (r > (UINT64_MAX - d) / 10) return false;
    r = r * 10 + d;
  }
  v = r;
  return true;
}

// The soft limit of one "Max …" row of /proc/<pid>/limits. "unlimited" is 2^64-1, as procfs reports it
// (and client_golang then exposes float64(2^64-1) = 1.8446744073709552e+19).
bool SoftLimit(std::string_view limits, std::string_view row, double& value) {
  std::size_t pos = 0;
  while (pos < limits.size()) {
    std::size_t end = limits.find('\n', pos);
    if (end == std::string_view::npos) end = limits.size();
    const std::string_view line = limits.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, row.size()) != row || line.size() == row.size() || line[row.size()] != ' ') continue;
    const std::vector<std::string_view> f = SplitFields(line.substr(row.size()));
    if (f.empty()) return false;
    if (f[0] == "unlimited") {
      value = 18446744073709551615.0;
      return true;
    }
    std::uint64_t v = 0;
    if (!ParseU64(f[0], v)) return false;
    value = static_cast<double>(v);
    return true;
  }
  return false;
}

struct Family {
  const char* name;
  const char* help;
  MetricType type;
};

constexpr Family kCpu{"process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                      MetricType::kCounter};
constexpr Family kOpenFds{"process_open_fds", "Number of open file descriptors.", MetricType::kGauge};
constexpr Family kMaxFds{"process_max_fds", "Maximum number of open file descriptors.", MetricType::kGauge};
constexpr Family kVsize{"process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::kGauge};
constexpr Family kMaxVsize{"process_virtual_memory_max_bytes",
                           "Maximum amount of virtual memory available in bytes.", MetricType::kGauge};
constexpr Family kRss{"process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::kGauge};
constexpr Family kStart{"process_start_time_seconds",
                        "Start time of the process since unix epoch in seconds.", MetricType::kGauge};
constexpr const Family* kFamilies[] = {&kCpu, &kOpenFds, &kMaxFds, &kVsize, &kMaxVsize, &kRss, &kStart};

void Push(std::vector<FamilySnapshot>& out, const Family& f, double value) {
  FamilySnapshot s;
  s.name = f.name;
  s.help = f.help;
  s.type = f.type;
  s.series.push_back(SeriesSnapshot{.label_values = {}, .value = value});
  out.push_back(std::move(s));
}

class ProcessCollector final : public Collector {
 public:
  explicit ProcessCollector(ProcessCollectorOpts opts)
      : root_(std::move(opts.proc_root)), dir_(root_ + "/" + opts.pid) {}

  std::vector<Descriptor> Describe() const override {
    std::vector<Descriptor> d;
    for (const Family* f : kFamilies)
      d.push_back(Descriptor{.name = f->name, .help = f->help, .type = f->type});
    return d;
  }

  Status Collect(std::vector<FamilySnapshot>& out) const override {
    std::string text;
    std::string error;

    // <pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses, so fields are
    // counted from the last ')'. After it, field k of proc(5) is at index k - 3.
    if (!ReadFile(dir_ + "/stat", text, error)) return Fail(error);
    const std::size_t paren = text.rfind(')');
    if (paren == std::string::npos) return Fail("cannot parse " + dir_ + "/stat: no ')'");
    const std::vector<std::string_view> f = SplitFields(std::string_view(text).substr(paren + 1));
    std::uint64_t utime = 0, stime = 0, starttime = 0, vsize = 0, rss = 0;
    if (f.size() < 22 || !ParseU64(f[11], utime) || !ParseU64(f[12], stime) || !ParseU64(f[19], starttime) ||
        !ParseU64(f[20], vsize) || !ParseU64(f[21], rss)) {
      return Fail("cannot parse " + dir_ + "/stat");
    }
    const long ticks = ::sysconf(_SC_CLK_TCK);
    const double hz = ticks > 0 ? static_cast<double>(ticks) : 100.0;
    const long page = ::sysconf(_SC_PAGESIZE);

    // The start time never changes for a pid, and <root>/stat is costly for the kernel to generate
    // (a line per CPU and interrupt): read its btime on the first scrape only.
    double start = start_time_.load(std::memory_order_relaxed);
    if (start < 0) {
      // <root>/stat: "btime <seconds since the epoch>", the boot time that starttime counts from.
      if (!ReadFile(root_ + "/stat", text, error)) return Fail(error);
      double btime = -1;
      for (std::size_t pos = 0; pos < text.size();) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) end = text.size();
        const std::string_view line = std::string_view(text).substr(pos, end - pos);
        pos = end + 1;
        if (line.substr(0, 6) != "btime ") continue;
        const std::vector<std::string_view> b = SplitFields(line.substr(6));
        std::uint64_t v = 0;
        if (!b.empty() && ParseU64(b[0], v)) btime = static_cast<double>(v);
        break;
      }
      if (btime < 0) return Fail("cannot parse " + root_ + "/stat: no btime");
      start = btime + static_cast<double>(starttime) / hz;
      start_time_.store(start, std::memory_order_relaxed);
    }

    double fds = 0;
    if (!CountFds(fds, error)) return Fail(error);

    if (!ReadFile(dir_ + "/limits", text, error)) return Fail(error);
    double max_fds = 0, max_vsize = 0;
    if (!SoftLimit(text, "Max open files", max_fds) || !SoftLimit(text, "Max address space", max_vsize)) {
      return Fail("cannot parse " + dir_ + "/limits");
    }

    Push(out, kCpu, static_cast<double>(utime + stime) / hz);
    Push(out, kOpenFds, fds);
    Push(out, kMaxFds, max_fds);
    Push(out, kVsize, static_cast<double>(vsize));
    Push(out, kMaxVsize, max_vsize);
    Push(out, kRss, static_cast<double>(rss) * static_cast<double>(page > 0 ? page : 4096));
    Push(out, kStart, start);
    return {};
  }

 private:
  static Status Fail(const std::string& why) { return FailedPrecondition("process collector: " + why); }

  mutable std::atomic<double> start_time_{-1};  // seconds since the epoch, once known

  // As procfs does: since Linux 6.2 the size of <pid>/fd is the number of open descriptors; older
  // kernels report 0 there, and the entries are counted (the directory's own descriptor included, as
  // client_golang's count includes it).
  bool CountFds(double& n, std::string& error) const {
    const std::string path = dir_ + "/fd";
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      error = "cannot stat " + path + ": " + std::strerror(errno);
      return false;
    }
    if (st.st_size > 0 && root_ == "/proc") {
      n = static_cast<double>(st.st_size);
      return true;
    }
    DIR* d = ::opendir(path.c_str());
    if (d == nullptr) {
      error = "cannot open " + path + ": " + std::strerror(errno);
      return false;
    }
    std::uint64_t count = 0;
    while (const dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ++count;
    }
    ::closedir(d);
    n = static_cast<double>(count);
    return true;
  }

  std::string root_;
  std::string dir_;
};

// Which platform collectors each registry got, so that RegisterPlatformCollectors is idempotent.
struct Registered {
  std::weak_ptr<Registry> registry;
  bool process = false;
  bool runtime = false;
};
std::mutex g_registered_mu;
std::vector<Registered> g_registered;

bool SameOwner(const std::weak_ptr<Registry>& a, const std::shared_ptr<Registry>& b) {
  return !a.owner_before(b) && !b.owner_before(a);
}

}  // namespace

std::shared_ptr<Collector> NewProcessCollector(ProcessCollectorOpts opts) {
  return std::make_shared<ProcessCollector>(std::move(opts));
}

Status RegisterPlatformCollectors(const std::shared_ptr<Registry>& registry, std::string version) {
  if (!registry) return InvalidArgument("RegisterPlatformCollectors: null registry");
  std::lock_guard lock(g_registered_mu);
  std::erase_if(g_registered, [](const Registered& r) { return r.registry.expired(); });
  Registered* entry = nullptr;
  for (Registered& r : g_registered) {
    if (SameOwner(r.registry, registry)) entry = &r;
  }
  if (entry == nullptr) entry = &g_registered.emplace_back(Registered{registry, false, false});

  const RegistryOpts& opts = registry->opts();
  if (opts.include_process_metrics && !entry->process) {
    if (Status s = registry->Register(NewProcessCollector()); !s.ok()) return s;
    entry->process = true;
  }
  if (opts.include_runtime_metrics && !entry->runtime) {
    if (Status s = registry->Register(NewRuntimeCollector(std::move(version))); !s.ok()) return s;
    entry->runtime = true;
  }
  return {};
}

}  // namespace golivekit::observability
