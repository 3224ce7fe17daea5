// The target of interop.created_timestamps (created_timestamps.py): serves /metrics from a registry with
// created timestamps and a series limit, whose metrics have series lifetimes, so that a real Prometheus
// scrapes `_created` samples, an overflow series, the overflow counter and a series that expires.
//
//   limits_server [--host 127.0.0.1] [--port 0]
//
// At start: glk_limits_requests_total{path} (max_series 5, series_ttl 2 s) gets "idle" and "busy", then
// 20 paths p00..p19, one increment each: p00 and p01 get series of their own, the other 18 increments go
// to the overflow series (which, no longer updated, expires as "idle" does);
// glk_limits_latency_seconds{path} (series_ttl 2 s) one observation for "busy" and one for "idle";
// glk_limits_temperature_celsius (a gauge: no _created) is set. Then, every 200 ms, "busy" is updated in
// both, "idle" never again: it expires 2 to 3 s after the first scrape. Prints "listening on
// http://HOST:PORT" and serves until SIGTERM or SIGINT.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <golivekit/observability.hpp>
#include <string>
#include <thread>

#include "serve_util.h"

namespace obs = golivekit::observability;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  int port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--host") {
      host = argv[i + 1];
    } else if (flag == "--port") {
      port = std::atoi(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: limits_server [--host 127.0.0.1] [--port 0]\n");
      return 2;
    }
  }
  auto registry = obs::NewRegistry({.max_series = 100, .created_timestamps = true});
  auto requests = obs::NewCounter({.name = "glk_limits_requests_total",
                                   .help = "Requests, by path (at most 5 series)",
                                   .labels = {"path"},
                                   .max_series = 5,
                                   .series_ttl = 2s});
  auto latency = obs::NewHistogram({.name = "glk_limits_latency_seconds",
                                    .help = "Latency, by path",
                                    .labels = {"path"},
                                    .buckets = {0.1, 1},
                                    .series_ttl = 2s});
  auto temperature = obs::NewGauge({.name = "glk_limits_temperature_celsius", .help = "A gauge"});
  for (const auto& st :
       {registry->Register(requests), registry->Register(latency), registry->Register(temperature)}) {
    if (!st.ok()) {
      std::fprintf(stderr, "%s\n", st.ToString().c_str());
      return 1;
    }
  }
  requests->WithLabels("idle").Inc();
  requests->WithLabels("busy").Inc();
  for (int i = 0; i < 20; ++i) requests->WithLabels((i < 10 ? "p0" : "p") + std::to_string(i)).Inc();
  latency->WithLabels("idle").Observe(0.05);
  latency->WithLabels("busy").Observe(0.5);
  temperature->Set(21.5);

  return glk_obs_test::ServeUntilStopped(registry, host, port, 2, [&](std::stop_token stop) {
    while (!stop.stop_requested()) {
      requests->WithLabels("busy").Inc();
      latency->WithLabels("busy").Observe(0.5);
      std::this_thread::sleep_for(200ms);
    }
  });
}
