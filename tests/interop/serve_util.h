#pragma once
// What the interop tests' own targets (native_histogram_server, limits_server) share: serving a
// registry on /metrics until SIGTERM or SIGINT.
#include <golivekit/observability/exporter.h>
#include <signal.h>

#include <cstdio>
#include <functional>
#include <golivekit/observability.hpp>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>

namespace glk_obs_test {

// Serves `registry` and prints "listening on http://HOST:PORT" (what the tests wait for); `while_serving`,
// if given, runs on a thread of its own until a stop is requested. Returns the process's exit status.
inline int ServeUntilStopped(const std::shared_ptr<golivekit::observability::Registry>& registry,
                             const std::string& host, int port, int threads,
                             const std::function<void(std::stop_token)>& while_serving = {}) {
  // Blocked before any thread starts (the exporter's, `while_serving`'s), which inherit the mask: sigwait
  // below gets them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  golivekit::observability::Status error;
  auto exporter = golivekit::observability::Exporter::Start(
      registry, {.host = host, .port = port, .threads = threads}, &error);
  if (!exporter) {
    std::fprintf(stderr, "exporter: %s\n", error.ToString().c_str());
    return 1;
  }
  std::printf("listening on http://%s:%d\n", host.c_str(), exporter->port());
  std::fflush(stdout);
  std::jthread worker;
  if (while_serving) worker = std::jthread(while_serving);
  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  if (worker.joinable()) {
    worker.request_stop();
    worker.join();
  }
  exporter->Stop();
  return 0;
}

}  // namespace glk_obs_test
