// Native collectors (collectors.h): process metrics against /proc and a fixture tree, runtime metrics,
// RegisterPlatformCollectors.
#include "golivekit/observability/collectors.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "golivekit/observability/registry.h"

namespace obs = golivekit::observability;

namespace {

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// The value of the one series of `name` in a Collect result (NaN if absent).
double ValueOf(const std::vector<obs::FamilySnapshot>& families, const std::string& name) {
  for (const auto& f : families) {
    if (f.name == name && f.series.size() == 1) return f.series[0].value;
  }
  return std::nan("");
}

std::vector<obs::FamilySnapshot> MustCollect(const std::shared_ptr<obs::Collector>& c) {
  std::vector<obs::FamilySnapshot> out;
  const obs::Status s = c->Collect(out);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return out;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double RlimitValue(int resource) {
  rlimit rl{};
  REQUIRE(::getrlimit(resource, &rl) == 0);
  return rl.rlim_cur == RLIM_INFINITY ? 18446744073709551615.0 : static_cast<double>(rl.rlim_cur);
}

// A throwaway procfs-like tree.
class FixtureTree {
 public:
  FixtureTree() {
    char tmpl[] = "/tmp/glk_obs_proc_XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    root_ = tmpl;
  }
  ~FixtureTree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  FixtureTree(const FixtureTree&) = delete;
  FixtureTree& operator=(const FixtureTree&) = delete;

  const std::string& root() const { return root_; }
  void Dir(const std::string& rel) { REQUIRE(::mkdir((root_ + "/" + rel).c_str(), 0755) == 0); }
  void File(const std::string& rel, const std::string& text) {
    std::ofstream out(root_ + "/" + rel);
    out << text;
    REQUIRE(out.good());
  }

 private:
  std::string root_;
};

const char* const kProcessNames[] = {
    "process_cpu_seconds_total",
    "process_open_fds",
    "process_max_fds",
    "process_virtual_memory_bytes",
    "process_virtual_memory_max_bytes",
    "process_resident_memory_bytes",
    "process_start_time_seconds",
};

// promtool check metrics on an exposition: its exit code. promtool (Debian's prometheus, installed by
// make deps) is required: without it the lint fails, it is never skipped.
int Promtool(const std::string& text, std::string& output) {
  REQUIRE_MESSAGE(::access("/usr/bin/promtool", X_OK) == 0,
                  "/usr/bin/promtool is missing (make deps installs prometheus)");
  char path[] = "/tmp/glk_obs_expo_XXXXXX";
  const int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  REQUIRE(::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
  ::close(fd);
  const std::string cmd = std::string("/usr/bin/promtool check metrics < ") + path + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[512];
  while (std::fgets(buf, sizeof buf, p)) output += buf;
  const int status = ::pclose(p);
  ::unlink(path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
}

}  // namespace

TEST_SUITE("native") {
  TEST_CASE("process collector: client_golang's names, types and help texts") {
    auto c = obs::NewProcessCollector();
    REQUIRE(c->status().ok());
    const auto d = c->Describe();
    REQUIRE(d.size() == 7);
    const std::vector<std::pair<std::string, std::string>> want = {
        {"process_cpu_seconds_total", "Total user and system CPU time spent in seconds."},
        {"process_open_fds", "Number of open file descriptors."},
        {"process_max_fds", "Maximum number of open file descriptors."},
        {"process_virtual_memory_bytes", "Virtual memory size in bytes."},
        {"process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes."},
        {"process_resident_memory_bytes", "Resident memory size in bytes."},
        {"process_start_time_seconds", "Start time of the process since unix epoch in seconds."},
    };
    for (std::size_t i = 0; i < want.size(); ++i) {
      CHECK(d[i].name == want[i].first);
      CHECK(d[i].help == want[i].second);
      CHECK(d[i].type == (i == 0 ? obs::MetricType::kCounter : obs::MetricType::kGauge));
      CHECK(d[i].label_names.empty());
    }
  }

  TEST_CASE("process collector: values are plausible and consistent with /proc") {
    auto c = obs::NewProcessCollector();
    const auto first = MustCollect(c);
    REQUIRE(first.size() == 7);
    for (const char* n : kProcessNames) {
      CAPTURE(n);
      CHECK_FALSE(std::isnan(ValueOf(first, n)));
    }

    const double now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const double start = ValueOf(first, "process_start_time_seconds");
    CHECK(start <= now + 1);
    CHECK(start > now - 3600);  // this test process started within the last hour

    const long page = ::sysconf(_SC_PAGESIZE);
    const double rss = ValueOf(first, "process_resident_memory_bytes");
    CHECK(rss > 0);
    CHECK(std::fmod(rss, static_cast<double>(page)) == 0);
    // statm's second field is the same resident page count.
    std::istringstream statm(ReadAll("/proc/self/statm"));
    double size_pages = 0, rss_pages = 0;
    statm >> size_pages >> rss_pages;
    CHECK(std::fabs(rss - rss_pages * static_cast<double>(page)) < 64.0 * 1024 * 1024);
    const double vsize = ValueOf(first, "process_virtual_memory_bytes");
    CHECK(vsize >= rss);
    CHECK(std::fabs(vsize - size_pages * static_cast<double>(page)) < 64.0 * 1024 * 1024);

    CHECK(ValueOf(first, "process_max_fds") == RlimitValue(RLIMIT_NOFILE));
    CHECK(ValueOf(first, "process_virtual_memory_max_bytes") == RlimitValue(RLIMIT_AS));
    CHECK(ValueOf(first, "process_open_fds") >= 3);  // stdin, stdout, stderr at least

    // CPU time never decreases, and grows with work.
    const double cpu0 = ValueOf(first, "process_cpu_seconds_total");
    CHECK(cpu0 >= 0);
    // Busy until this process has used 50 ms more CPU (std::clock), several 10 ms ticks of /proc.
    volatile double sink = 0;
    const std::clock_t cpu_start = std::clock();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::clock() - cpu_start < CLOCKS_PER_SEC / 20 && std::chrono::steady_clock::now() < give_up) {
      for (int i = 0; i < 10000; ++i) sink = sink + std::sqrt(static_cast<double>(i));
    }
    const double cpu1 = ValueOf(MustCollect(c), "process_cpu_seconds_total");
    CHECK(cpu1 >= cpu0);
    CHECK(cpu1 > cpu0);
  }

  TEST_CASE("process collector: open_fds follows files being opened and closed") {
    auto c = obs::NewProcessCollector();
    const double before = ValueOf(MustCollect(c), "process_open_fds");
    std::vector<int> fds;
    for (int i = 0; i < 10; ++i) {
      const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
      REQUIRE(fd >= 0);
      fds.push_back(fd);
    }
    const double during = ValueOf(MustCollect(c), "process_open_fds");
    CHECK(during == before + 10);
    for (int fd : fds) ::close(fd);
    CHECK(ValueOf(MustCollect(c), "process_open_fds") == before);
  }

  TEST_CASE("process collector: exact values from a fixture tree, 'unlimited' as client_golang") {
    FixtureTree t;
    t.Dir("4242");
    t.Dir("4242/fd");
    for (const char* n : {"0", "1", "2", "7"}) t.File(std::string("4242/fd/") + n, "");
    // comm with spaces and parentheses: fields are counted from the last ')'.
    t.File("4242/stat",
           "4242 (my (odd) app) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 5000 104857600 2560 "
           "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n");
    t.File("stat", "cpu  1 2 3 4\nintr 0\nbtime 1700000000\nprocesses 99\n");
    t.File("4242/limits",
           "Limit                     Soft Limit           Hard Limit           Units     \n"
           "Max cpu time              unlimited            unlimited            seconds   \n"
           "Max open files            1024                 4096                 files     \n"
           "Max address space         unlimited            unlimited            bytes     \n");
    auto c = obs::NewProcessCollector({.proc_root = t.root(), .pid = "4242"});
    const auto got = MustCollect(c);
    const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
    CHECK(ValueOf(got, "process_cpu_seconds_total") == 300 / hz);
    CHECK(ValueOf(got, "process_open_fds") == 4);
    CHECK(ValueOf(got, "process_max_fds") == 1024);
    CHECK(ValueOf(got, "process_virtual_memory_bytes") == 104857600);
    CHECK(ValueOf(got, "process_virtual_memory_max_bytes") == 18446744073709551615.0);
    CHECK(ValueOf(got, "process_resident_memory_bytes") ==
          2560.0 * static_cast<double>(::sysconf(_SC_PAGESIZE)));
    CHECK(ValueOf(got, "process_start_time_seconds") == 1700000000 + 5000 / hz);

    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(c).ok());
    const std::string text = reg->Expose();
    CHECK(Contains(text,
                   "process_virtual_memory_max_bytes 1.8446744073709552e+19\n"));  // client_golang's bytes
    CHECK(Contains(text, "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 3\n"));
    CHECK(Contains(text, "process_max_fds 1024\n"));
    CHECK(Contains(text, "process_start_time_seconds 1.70000005e+09\n"));

    // A broken file fails the whole collector (nothing half-collected).
    t.File("4242/limits", "garbage\n");
    std::vector<obs::FamilySnapshot> out;
    const obs::Status s = c->Collect(out);
    CHECK_FALSE(s.ok());
    CHECK(Contains(s.message(), "limits"));
    CHECK(reg->Expose().empty());
    CHECK(reg->failed_collects() == 1);
  }

  TEST_CASE("process collector: unreadable /proc is a failed collect, the rest of the scrape stays") {
    auto c = obs::NewProcessCollector({.proc_root = "/nonexistent/proc"});
    std::vector<obs::FamilySnapshot> out;
    const obs::Status s = c->Collect(out);
    CHECK(s.code() == obs::StatusCode::kFailedPrecondition);
    CHECK(Contains(s.message(), "process collector"));
    CHECK(Contains(s.message(), "/nonexistent/proc"));

    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(c).ok());
    auto g = obs::NewRuntimeCollector("1.0.0");
    REQUIRE(reg->Register(g).ok());
    const std::string text = reg->Expose();
    CHECK_FALSE(Contains(text, "process_"));
    CHECK(Contains(text, "golivekit_build_info{version=\"1.0.0\"} 1\n"));
    CHECK(reg->failed_collects() == 1);
    CHECK(reg->last_collect_error() == s);
  }

  TEST_CASE("runtime collector: names, build_info, threads consistent with /proc") {
    auto c = obs::NewRuntimeCollector("2.3.4");
    REQUIRE(c->status().ok());
    const auto d = c->Describe();
    std::vector<std::string> names;
    for (const auto& x : d) {
      names.push_back(x.name);
      CHECK(x.type == obs::MetricType::kGauge);
      CHECK_FALSE(x.help.empty());
    }
    CHECK(names.front() == "golivekit_runtime_threads");
    CHECK(names.back() == "golivekit_build_info");
    CHECK(d.back().label_names == std::vector<std::string>{"version"});

    auto reg = obs::NewRegistry();
    REQUIRE(reg->Register(c).ok());
    const std::string text = reg->Expose();
    CHECK(Contains(text, "# TYPE golivekit_build_info gauge\ngolivekit_build_info{version=\"2.3.4\"} 1\n"));

    const std::string status = ReadAll("/proc/self/status");
    const std::size_t pos = status.find("Threads:");
    REQUIRE(pos != std::string::npos);
    const double proc_threads = std::strtod(status.c_str() + pos + 8, nullptr);
    CHECK(ValueOf(MustCollect(c), "golivekit_runtime_threads") == proc_threads);

    auto def = obs::NewRuntimeCollector();
    CHECK(ValueOf(MustCollect(def), "golivekit_build_info") == 1);
    std::vector<obs::FamilySnapshot> out;
    REQUIRE(def->Collect(out).ok());
    for (const auto& f : out) {
      if (f.name == "golivekit_build_info")
        CHECK(f.series[0].label_values == std::vector<std::string>{GLK_OBS_VERSION});
    }

    auto bad = obs::NewRuntimeCollector(std::string("\xff", 1));
    CHECK(bad->status().code() == obs::StatusCode::kInvalidArgument);
    CHECK_FALSE(reg->Register(bad).ok());
  }

  TEST_CASE("runtime collector: threads rise when a thread starts") {
    auto c = obs::NewRuntimeCollector("t");
    const double before = ValueOf(MustCollect(c), "golivekit_runtime_threads");
    std::atomic<bool> started{false};
    std::atomic<bool> stop{false};
    std::thread th([&] {
      started = true;
      while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    while (!started) std::this_thread::yield();
    // At least one more: a sanitizer runtime may start a helper thread of its own with the first thread.
    const double during = ValueOf(MustCollect(c), "golivekit_runtime_threads");
    CHECK(during >= before + 1);
    stop = true;
    th.join();
    CHECK(ValueOf(MustCollect(c), "golivekit_runtime_threads") == during - 1);
  }

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  TEST_CASE("runtime collector: heap in use follows malloc, read at most once a second") {
    auto c = obs::NewRuntimeCollector("t");
    const auto first = MustCollect(c);
    const double inuse0 = ValueOf(first, "golivekit_runtime_heap_inuse_bytes");
    if (std::isnan(inuse0)) {
      // malloc is not glibc's (a sanitizer's allocator, say): the heap families are left out.
      CHECK(std::isnan(ValueOf(first, "golivekit_runtime_heap_free_bytes")));
      MESSAGE("malloc is not glibc's: heap metrics left out, as documented");
      return;
    }
    CHECK(inuse0 > 0);
    CHECK(ValueOf(first, "golivekit_runtime_heap_free_bytes") >= 0);
    constexpr std::size_t kBytes = 32u << 20;
    static void* volatile block = nullptr;  // volatile: the allocation cannot be optimized away
    // The reading is at most a second old: poll past that for each change.
    const auto reading = [&c](const auto& wanted) {
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      double v = ValueOf(MustCollect(c), "golivekit_runtime_heap_inuse_bytes");
      while (!wanted(v) && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        v = ValueOf(MustCollect(c), "golivekit_runtime_heap_inuse_bytes");
      }
      return v;
    };
    block = std::malloc(kBytes);
    REQUIRE(block != nullptr);
    const double inuse1 = reading([&](double v) { return v >= inuse0 + static_cast<double>(kBytes); });
    CHECK(inuse1 >= inuse0 + static_cast<double>(kBytes));
    std::free(block);
    block = nullptr;
    // Within the second after a reading, a scrape reports that reading again (mallinfo2 is not called).
    const auto read_at = std::chrono::steady_clock::now();
    const double again = ValueOf(MustCollect(c), "golivekit_runtime_heap_inuse_bytes");
    if (std::chrono::steady_clock::now() - read_at < std::chrono::milliseconds(500)) CHECK(again == inuse1);
    const double inuse2 = reading([&](double v) { return v < inuse1 - static_cast<double>(kBytes) / 2; });
    CHECK(inuse2 < inuse1 - static_cast<double>(kBytes) / 2);
  }
#endif

  TEST_CASE("RegisterPlatformCollectors: follows the registry's options, idempotent") {
    auto none = obs::NewRegistry();
    CHECK(obs::RegisterPlatformCollectors(none).ok());
    CHECK(none->Gather().families.empty());

    auto process_only = obs::NewRegistry({.include_process_metrics = true});
    CHECK(obs::RegisterPlatformCollectors(process_only).ok());
    std::string text = process_only->Expose();
    for (const char* n : kProcessNames) CHECK(Contains(text, std::string("# TYPE ") + n + " "));
    CHECK_FALSE(Contains(text, "golivekit_runtime_threads"));

    auto runtime_only = obs::NewRegistry({.include_runtime_metrics = true});
    CHECK(obs::RegisterPlatformCollectors(runtime_only, "9.9.9").ok());
    text = runtime_only->Expose();
    CHECK(Contains(text, "golivekit_runtime_threads "));
    CHECK(Contains(text, "golivekit_build_info{version=\"9.9.9\"} 1\n"));
    CHECK_FALSE(Contains(text, "process_"));

    auto both = obs::NewRegistry({.include_runtime_metrics = true, .include_process_metrics = true});
    CHECK(obs::RegisterPlatformCollectors(both, "1.0.0").ok());
    const std::size_t families = both->Gather().families.size();
    CHECK(families >= 9);
    CHECK(obs::RegisterPlatformCollectors(both, "2.0.0").ok());  // idempotent
    CHECK(obs::RegisterPlatformCollectors(both).ok());
    CHECK(both->Gather().families.size() == families);
    CHECK(Contains(both->Expose(), "golivekit_build_info{version=\"1.0.0\"} 1\n"));
    CHECK(both->failed_collects() == 0);

    // Namespace and constant labels apply as to any collector.
    auto ns = obs::NewRegistry(
        {.include_process_metrics = true, .namespace_ = "myapp", .const_labels = {{"env", "t"}}});
    CHECK(obs::RegisterPlatformCollectors(ns).ok());
    CHECK(Contains(ns->Expose(), "myapp_process_open_fds{env=\"t\"} "));

    // Errors of Register are returned as they are.
    CHECK(obs::RegisterPlatformCollectors(nullptr).code() == obs::StatusCode::kInvalidArgument);
    auto taken = obs::NewRegistry({.include_process_metrics = true});
    REQUIRE(taken->Register(obs::NewProcessCollector()).ok());
    CHECK(obs::RegisterPlatformCollectors(taken).code() == obs::StatusCode::kAlreadyExists);
    auto invalid = obs::NewRegistry({.include_process_metrics = true, .namespace_ = "bad-ns"});
    CHECK(obs::RegisterPlatformCollectors(invalid) == invalid->status());

    // A new registry at a recycled address is a new registry.
    for (int i = 0; i < 3; ++i) {
      auto r = obs::NewRegistry({.include_runtime_metrics = true});
      CHECK(obs::RegisterPlatformCollectors(r).ok());
      CHECK(Contains(r->Expose(), "golivekit_runtime_threads "));
    }
  }

  TEST_CASE("platform collectors: exposition passes promtool check metrics") {
    auto reg = obs::NewRegistry({.include_runtime_metrics = true, .include_process_metrics = true});
    REQUIRE(obs::RegisterPlatformCollectors(reg).ok());
    std::string output;
    const int rc = Promtool(reg->Expose(), output);
    CHECK_MESSAGE(rc == 0, output);
  }
}
