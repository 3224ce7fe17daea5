// The GoliveKit observability demo server: a small LiveView-style app on cpp-httplib whose activity
// (a browser page, and simulated users) fills the twelve built-in metrics, plus process and runtime
// metrics, served on /metrics for Prometheus. Browsers (and native clients) ship client metrics to
// POST /metrics/ingest, merged into the same /metrics.
//
// The page on / and the dashboard on /dashboard.html are a web app (examples/demo_server/web) that uses
// the npm package as users do; scripts/build-demo-web.sh bundles it into build/demo-web/dist, the
// default --web-root.
//
//   make demo      (or: cmake --preset native && cmake --build --preset native --target demo_server &&
//                   build/native/examples/demo_server)
//   demo_server [--host 127.0.0.1] [--port 3000] [--threads 32] [--sim-users 6] [--sim-rate 8]
//               [--join-timeout-ms 3000] [--idle-timeout-ms 60000]
//               [--allow-origin ORIGIN]... [--ingest-token TOKEN] [--ingest-rate R] [--ingest-burst B]
//               [--no-ingest] [--web-root DIR]
//
// --port 0 picks a free port; the first line printed is "listening on http://<host>:<port>" either
// way. SIGINT (Ctrl-C) and SIGTERM stop it gracefully: the simulated users leave, open connections
// are closed, long-polls are answered, the server stops.
#include <golivekit/observability/client_metrics.h>
#include <golivekit/observability/collectors.h>
#include <golivekit/observability/exporter.h>
#include <golivekit/observability/ingest.h>
#include <golivekit/observability/web_vitals.h>
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <golivekit/observability.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "live_app.h"
#include "routes.h"
#include "simulator.h"

// Where scripts/build-demo-web.sh puts the web app (CMake defines it as <source>/build/demo-web/dist).
#ifndef GLK_OBS_DEMO_WEB_ROOT
#define GLK_OBS_DEMO_WEB_ROOT "build/demo-web/dist"
#endif

namespace obs = golivekit::observability;

namespace {

struct Flags {
  std::string host = "127.0.0.1";
  int port = 3000;
  int threads = 32;  // long-polls hold a worker each: room for ~25 tabs plus scrapes
  demo::SimOptions sim;
  demo::AppOptions app;
  bool ingest = true;
  std::vector<std::string> allow_origins;  // besides the server's own origin
  std::string ingest_token;
  double ingest_rate = 0;   // 0: the defaults (per client 5/s, per address 50/s)
  double ingest_burst = 0;  // 0: the defaults (per client 20, per address 200)
  std::string web_root = GLK_OBS_DEMO_WEB_ROOT;
};

void Usage(std::FILE* out) {
  std::fputs(
      "usage: demo_server [options]\n"
      "  --host HOST             address to listen on (default 127.0.0.1)\n"
      "  --port PORT             port (default 3000; 0: any free port)\n"
      "  --threads N             HTTP worker threads (default 32; each open long-poll holds one)\n"
      "  --sim-users N           simulated users kept connected (default 6; 0: none)\n"
      "  --sim-rate R            simulated events per second, all users together (default 8)\n"
      "  --join-timeout-ms MS    close connections that do not join within MS (default 3000)\n"
      "  --idle-timeout-ms MS    close joined views idle for MS (default 60000)\n"
      "  --allow-origin ORIGIN   also accept client metrics from pages of ORIGIN (repeatable; the\n"
      "                          server's own origin is always allowed; \"*\": any)\n"
      "  --ingest-token TOKEN    require Authorization: Bearer TOKEN on /metrics/ingest\n"
      "  --ingest-rate R         batches per second, per client and per address (default 5 and 50)\n"
      "  --ingest-burst B        burst, per client and per address (default 20 and 200)\n"
      "  --no-ingest             do not take client metrics\n"
      "  --web-root DIR          serve the demo's web app from DIR (default: build/demo-web/dist of\n"
      "                          the source tree, where scripts/build-demo-web.sh builds it)\n"
      "  --help\n",
      out);
}

bool ParseInt(std::string_view text, long min, long max, long& out) {
  char* end = nullptr;
  const std::string s(text);
  errno = 0;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end != '\0' || errno != 0 || v < min || v > max) return false;
  out = v;
  return true;
}

bool ParseDouble(std::string_view text, double min, double max, double& out) {
  char* end = nullptr;
  const std::string s(text);
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || *end != '\0' || !(v >= min && v <= max)) return false;
  out = v;
  return true;
}

// Returns 0 to run, or the exit code (1: bad usage, -1: --help printed).
int ParseFlags(int argc, char** argv, Flags& f) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view value;
    bool has_value = false;
    if (const auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string_view::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_value = true;
    }
    if (arg == "--help" || arg == "-h") {
      Usage(stdout);
      return -1;
    }
    if (arg == "--no-ingest" && !has_value) {
      f.ingest = false;
      continue;
    }
    static constexpr std::string_view kOptions[] = {
        "--host",
        "--port",
        "--threads",
        "--sim-users",
        "--sim-rate",
        "--join-timeout-ms",
        "--idle-timeout-ms",
        "--allow-origin",
        "--ingest-token",
        "--ingest-rate",
        "--ingest-burst",
        "--web-root",
    };
    if (std::find(std::begin(kOptions), std::end(kOptions), arg) == std::end(kOptions)) {
      std::fprintf(stderr, "demo_server: unknown option %.*s\n", static_cast<int>(arg.size()), arg.data());
      Usage(stderr);
      return 1;
    }
    if (!has_value) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "demo_server: %s needs a value\n", argv[i]);
        return 1;
      }
      value = argv[++i];
    }
    long n = 0;
    bool ok = true;
    if (arg == "--host") {
      f.host = std::string(value);
      ok = !f.host.empty();
    } else if (arg == "--port") {
      ok = ParseInt(value, 0, 65535, n);
      f.port = static_cast<int>(n);
    } else if (arg == "--threads") {
      ok = ParseInt(value, 1, 1024, n);
      f.threads = static_cast<int>(n);
    } else if (arg == "--sim-users") {
      ok = ParseInt(value, 0, 1000, n);
      f.sim.users = static_cast<int>(n);
    } else if (arg == "--sim-rate") {
      ok = ParseDouble(value, 0.1, 1000, f.sim.events_per_second);
    } else if (arg == "--join-timeout-ms") {
      ok = ParseInt(value, 1, 3600000, n);
      f.app.join_timeout = std::chrono::milliseconds(n);
    } else if (arg == "--allow-origin") {
      f.allow_origins.emplace_back(value);
      ok = !value.empty();
    } else if (arg == "--ingest-token") {
      f.ingest_token = std::string(value);
      ok = !f.ingest_token.empty();
    } else if (arg == "--ingest-rate") {
      ok = ParseDouble(value, 0.001, 1e9, f.ingest_rate);
    } else if (arg == "--ingest-burst") {
      ok = ParseDouble(value, 1, 1e9, f.ingest_burst);
    } else if (arg == "--web-root") {
      f.web_root = std::string(value);
      ok = !f.web_root.empty();
    } else {  // --idle-timeout-ms (kOptions)
      ok = ParseInt(value, 1, 86400000, n);
      f.app.idle_timeout = std::chrono::milliseconds(n);
    }
    if (!ok) {
      std::fprintf(stderr, "demo_server: invalid value for %.*s: %.*s\n", static_cast<int>(arg.size()),
                   arg.data(), static_cast<int>(value.size()), value.data());
      return 1;
    }
  }
  return 0;
}

bool Check(const obs::Status& st, const char* what) {
  if (st.ok()) return true;
  std::fprintf(stderr, "demo_server: %s: %s\n", what, st.ToString().c_str());
  return false;
}

// The client metrics the demo page (and any native client) may ship; anything else is refused. The
// page (examples/demo_server/web/src/metrics.js) uses the same buckets: the event latency the default
// ones (as docs/merge.md and the shipping tests declare it), render and message sizes those of their
// server-side counterparts. Label values are few and chosen by the page; max_series bounds what a
// hostile client could add, and the max_… and min_/max_value fields how far one batch can move a total
// (docs/merge.md, "Bounded influence"): far above what the page records between two batches (it ships
// every 5 s), in each metric's unit.
std::shared_ptr<obs::ClientMetrics> NewDemoClientMetrics(const Flags& f) {
  obs::ClientMetricsOpts opts{
      .metrics = {
          {.name = "golivekit_client_events_total",
           .help = "Events the browser sent, by event.",
           .type = obs::MetricType::kCounter,
           .labels = {"event"},
           .max_series = 50,
           .max_increment = 10000},
          {.name = "golivekit_client_event_latency_seconds",
           .help = "Time from a user event to the server's reply applied to the page, as the browser saw it.",
           .type = obs::MetricType::kHistogram,
           .labels = {"event"},
           .buckets = obs::DefaultBuckets,
           .native_bucket_factor = 1.1,  // native buckets beside the classic ones, merged exactly
           .max_series = 50,
           .max_observations = 10000,
           .max_abs_observation = 600},
          {.name = "golivekit_client_render_seconds",
           .help = "Time to apply a render or a diff to the page's DOM, by component.",
           .type = obs::MetricType::kHistogram,
           .labels = {"component"},
           .buckets = obs::GoliveKitRenderLatencyBuckets(),
           .max_series = 50,
           .max_observations = 10000,
           .max_abs_observation = 60},
          {.name = "golivekit_client_message_size_bytes",
           .help = "Sizes of the LiveView messages the browser sent and received.",
           .type = obs::MetricType::kHistogram,
           .labels = {"direction"},
           .buckets = obs::GoliveKitSizeBuckets(),
           .max_series = 5,
           .max_observations = 10000,
           .max_abs_observation = 64 << 20},
          {.name = "golivekit_client_errors_total",
           .help = "Errors seen in the browser, by type (network, http, server, script).",
           .type = obs::MetricType::kCounter,
           .labels = {"type"},
           .max_series = 20,
           .max_increment = 1000},
          {.name = "golivekit_client_open_views",
           .help = "Views open in browsers (sum over live clients).",
           .type = obs::MetricType::kGauge,
           .gauge_policy = obs::GaugePolicy::kSumLive,
           .min_value = 0,
           .max_value = 100},
      }};
  // Web Vitals (LCP, INP, CLS, FCP, TTFB), buckets aligned with their good/poor thresholds.
  for (obs::ClientMetricDecl& decl : obs::WebVitalsClientMetrics()) opts.metrics.push_back(std::move(decl));
  if (f.ingest_rate > 0) opts.rate_per_second = f.ingest_rate;
  if (f.ingest_burst > 0) opts.rate_burst = f.ingest_burst;
  return obs::NewClientMetrics(std::move(opts));
}

// cpp-httplib keeps the listening socket in a protected member; the demo widens its backlog.
class Server : public httplib::Server {
 public:
  [[nodiscard]] socket_t listening_socket() const { return svr_sock_.load(); }
};

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // line by line, also into a pipe (tests read the banner)
  Flags flags;
  if (const int rc = ParseFlags(argc, argv, flags); rc != 0) return rc < 0 ? 0 : rc;

  // SIGINT/SIGTERM are handled by sigwait in main, after every other thread (which inherit the mask)
  // has started: no code runs in a signal handler.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  signal(SIGPIPE, SIG_IGN);  // a client that goes away mid-response is not a reason to die

  // Metrics: the registry /metrics exposes, the built-in GoliveKit metrics, process + runtime.
  auto registry = obs::NewRegistry({.include_runtime_metrics = true, .include_process_metrics = true});
  obs::GoliveKitMetrics metrics = obs::RegisterGoliveKitMetrics(registry);
  if (!Check(metrics.status, "RegisterGoliveKitMetrics")) return 1;
  if (!Check(obs::RegisterPlatformCollectors(registry, std::string(obs::kVersion)),
             "RegisterPlatformCollectors"))
    return 1;
  std::shared_ptr<obs::ClientMetrics> client_metrics;
  if (flags.ingest) {
    client_metrics = NewDemoClientMetrics(flags);
    if (!Check(registry->Register(client_metrics), "client metrics")) return 1;
  }

  Server server;
  obs::ConfigureServer(server, flags.threads);
  if (!Check(obs::MountMetrics(server, registry), "MountMetrics")) return 1;

  demo::LiveApp app(metrics, flags.app);
  demo::MountLiveRoutes(server, app);
  const bool web_built = demo::MountWebRoot(server, flags.web_root);
  demo::SimulatedUsers sim(app, flags.sim);
  sim.WarmUp();  // every built-in metric has samples before the first scrape

  int port = flags.port;
  if (port == 0) {
    port = server.bind_to_any_port(flags.host);
    if (port < 0) port = 0;
  } else if (!server.bind_to_port(flags.host, port)) {
    port = 0;
  }
  if (port <= 0) {
    std::fprintf(stderr, "demo_server: cannot listen on %s:%d (in use? try --port 0 or another port)\n",
                 flags.host.c_str(), flags.port);
    return 1;
  }
  // cpp-httplib listens with a backlog of 5: a burst of new connections (wrk, a page's parallel
  // requests) would overflow it. listen() again on a listening socket only changes the backlog.
  ::listen(server.listening_socket(), SOMAXCONN);

  const std::string base = "http://" +
                           (flags.host.find(':') != std::string::npos ? "[" + flags.host + "]" : flags.host) +
                           ":" + std::to_string(port);
  // The ingest endpoint is mounted once the port is known: the page's own origin is always allowed
  // (browsers send Origin on same-origin POSTs too), under the name it was reached by.
  if (flags.ingest) {
    std::vector<std::string> origins = {base};
    if (flags.host == "127.0.0.1" || flags.host == "localhost" || flags.host == "0.0.0.0") {
      for (const char* alias : {"http://127.0.0.1:", "http://localhost:"}) {
        const std::string origin = alias + std::to_string(port);
        if (origin != base) origins.push_back(origin);
      }
    }
    origins.insert(origins.end(), flags.allow_origins.begin(), flags.allow_origins.end());
    obs::IngestOpts ingest{.allowed_origins = origins, .bearer_token = flags.ingest_token};
    if (flags.ingest_rate > 0) ingest.address_rate_per_second = flags.ingest_rate;
    if (flags.ingest_burst > 0) ingest.address_burst = flags.ingest_burst;
    if (!Check(obs::MountIngest(server, client_metrics, std::move(ingest)), "MountIngest")) return 1;
  }
  std::printf("listening on %s\n", base.c_str());
  if (web_built) {
    std::printf("  demo page   %s/\n", base.c_str());
    std::printf("  dashboard   %s/dashboard.html   (what /metrics shows, drawn every 2 s)\n", base.c_str());
  } else {
    std::printf(
        "  demo page   %s/   (not built: no index.html in %s; run make demo or scripts/build-demo-web.sh)\n",
        base.c_str(), flags.web_root.c_str());
  }
  std::printf("  metrics     %s/metrics   (check: curl -s %s/metrics | promtool check metrics)\n",
              base.c_str(), base.c_str());
  if (flags.ingest) {
    std::printf("  ingest      %s/metrics/ingest   (client metrics; token %s; --no-ingest: off)\n",
                base.c_str(), flags.ingest_token.empty() ? "off" : "required");
  }
  std::printf("  Prometheus  deploy/prometheus/prometheus.yml scrapes localhost:3000 (job golivekit)\n");
  std::printf("  Grafana     import deploy/grafana/golivekit-dashboard.json; see docs/deployment.md\n");
  if (flags.sim.users > 0) {
    std::printf("  simulated   %d users, ~%g events/s in rooms sim-a and sim-b (--sim-users 0: off)\n",
                flags.sim.users, flags.sim.events_per_second);
  }
  std::printf("Ctrl-C stops the server.\n");

  std::atomic<bool> stopping{false};
  std::thread listener([&] {
    const bool ok = server.listen_after_bind();
    if (!stopping.load()) {
      std::fprintf(stderr, "demo_server: the server stopped unexpectedly (%s)\n", ok ? "ok" : "error");
      kill(getpid(), SIGTERM);  // wake main's sigwait
    }
  });

  std::mutex sweep_mu;
  std::condition_variable sweep_cv;
  bool sweep_stop = false;
  std::thread sweeper([&] {
    std::unique_lock lock(sweep_mu);
    while (!sweep_cv.wait_for(lock, std::chrono::milliseconds(250), [&] { return sweep_stop; })) {
      lock.unlock();
      app.Sweep();
      lock.lock();
    }
  });
  sim.Start();

  int sig = 0;
  sigwait(&stop_signals, &sig);
  stopping = true;
  std::printf("received %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");

  sim.Stop();
  {
    std::lock_guard lock(sweep_mu);
    sweep_stop = true;
  }
  sweep_cv.notify_all();
  sweeper.join();
  app.Shutdown();  // closes every connection and answers waiting long-polls
  server.stop();   // stops accepting; in-flight requests finish
  listener.join();
  std::printf("stopped\n");
  return 0;
}
