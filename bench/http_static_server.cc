// The HTTP side of the benchmarks: a cpp-httplib server configured like the exporter (ConfigureServer:
// TCP_NODELAY, a pool of --threads workers), serving on 127.0.0.1 until SIGINT/SIGTERM, either
//   --mode static     GET /metrics answers a fixed 2.4 KB text body (the baseline: cpp-httplib alone), or
//   --mode exporter   GET /metrics is MountMetrics over a registry like the demo server's: the twelve
//                     built-in GoliveKit families with a few series each, plus the process and runtime
//                     collectors as the demo has them (--collectors both|process|runtime|none).
// It prints "listening on http://127.0.0.1:<port>/metrics (<n> bytes)" and serves; scripts/bench_http.sh
// measures it with wrk.
//
// Usage: http_static_server [--mode static|exporter] [--port N (0: any)] [--threads N]
//                           [--collectors both|process|runtime|none]
#include <golivekit/observability/exporter.h>
#include <httplib.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <golivekit/observability.hpp>
#include <memory>
#include <string>
#include <thread>

namespace obs = golivekit::observability;

namespace {

httplib::Server* g_server = nullptr;

extern "C" void OnSignal(int) {
  if (g_server != nullptr) g_server->stop();
}

// 2,400 bytes of text-format samples.
std::string StaticBody() {
  std::string body = "# HELP bench_static_total A static body.\n# TYPE bench_static_total counter\n";
  for (int i = 0; body.size() < 2400; ++i) {
    body += "bench_static_total{path=\"/api/v1/items/" + std::to_string(i) + "\",code=\"200\"} " +
            std::to_string(1000 + i) + "\n";
  }
  body.resize(2399);
  body += "\n";
  return body;
}

// The demo server's kind of registry: every built-in GoliveKit family, a few series each.
std::shared_ptr<obs::Registry> DemoRegistry(const std::string& collectors) {
  auto registry =
      obs::NewRegistry({.include_runtime_metrics = collectors == "both" || collectors == "runtime",
                        .include_process_metrics = collectors == "both" || collectors == "process"});
  const obs::GoliveKitMetrics m = obs::RegisterGoliveKitMetrics(registry);
  if (!m.status.ok()) {
    std::fprintf(stderr, "RegisterGoliveKitMetrics: %s\n", m.status.ToString().c_str());
    std::exit(1);
  }
  (void)m.connections_total->WithLabels("success").Add(1200);
  (void)m.connections_total->WithLabels("error").Add(7);
  m.active_connections->Set(42);
  (void)m.messages_total->WithLabels("inbound", "event").Add(5300);
  (void)m.messages_total->WithLabels("outbound", "diff").Add(5100);
  for (int i = 0; i < 50; ++i) {
    m.message_size_bytes->WithLabels("inbound").Observe(100 + 37 * i);
    m.event_latency_seconds->WithLabels("click").Observe(0.0004 * i);
    m.render_latency_seconds->WithLabels("Counter").Observe(0.0002 * i);
    m.diff_size_bytes->Observe(50 + 11 * i);
    m.diff_latency_seconds->Observe(0.0001 * i);
  }
  (void)m.errors_total->WithLabels("render").Add(3);
  (void)m.pubsub_messages_total->WithLabels("published").Add(800);
  (void)m.pubsub_messages_total->WithLabels("delivered").Add(2400);
  m.presence_count->Set(17);
  m.component_instances->WithLabels("Counter").Set(42);
  return registry;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = "exporter";
  int port = 0;
  int threads = 16;
  std::string collectors = "both";
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--mode" && i + 1 < argc) {
      mode = argv[++i];
    } else if (arg == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (arg == "--collectors" && i + 1 < argc) {
      collectors = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: %s [--mode static|exporter] [--port N] [--threads N] [--collectors "
                   "both|process|runtime|none]\n",
                   argv[0]);
      return 2;
    }
  }

  httplib::Server server;
  obs::ConfigureServer(server, threads);
  std::shared_ptr<obs::Registry> registry;
  std::size_t body_size = 0;
  if (mode == "static") {
    auto body = std::make_shared<const std::string>(StaticBody());
    body_size = body->size();
    server.Get("/metrics", [body](const httplib::Request&, httplib::Response& res) {
      res.set_content(*body, "text/plain; version=0.0.4; charset=utf-8");
    });
  } else if (mode == "exporter") {
    registry = DemoRegistry(collectors);
    // No scrape cap: wrk's 50 connections are 50 concurrent scrapes.
    if (auto st = obs::MountMetrics(server, registry, {.max_concurrent_scrapes = 0}); !st.ok()) {
      std::fprintf(stderr, "MountMetrics: %s\n", st.ToString().c_str());
      return 1;
    }
    body_size = registry->Expose().size();
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }

  port =
      port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (port <= 0) {
    std::fprintf(stderr, "cannot listen on 127.0.0.1\n");
    return 1;
  }
  g_server = &server;
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  std::printf("listening on http://127.0.0.1:%d/metrics (%s, %zu bytes, %d threads)\n", port, mode.c_str(),
              body_size, threads);
  std::fflush(stdout);
  server.listen_after_bind();
  return 0;
}
