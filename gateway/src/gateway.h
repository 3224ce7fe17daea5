#pragma once
// The gateway: a server of its own for client metrics, for applications that do not link the library
// (docs/gateway.md). One registry, one ClientMetrics, one cpp-httplib server with
//   POST <ingest.path>   the batches (native/ingest.h)
//   GET  <metrics_path>  what Prometheus scrapes (native/exporter.h)
//   GET  /-/healthy      200 while the process serves
//   GET  /-/ready        200 while it takes batches; 503 once it drains
// main.cc drives it from signals; the tests drive it directly.
#include <chrono>
#include <memory>

#include "config.h"
#include "golivekit/observability/client_metrics.h"
#include "golivekit/observability/status.h"

namespace golivekit::gateway {

class Gateway {
 public:
  /// Binds, starts serving and returns once connections are accepted; null and `*error` on failure (a
  /// metric the registry refuses, an address in use).
  static std::unique_ptr<Gateway> Start(Config config, obs::Status* error);

  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;
  /// Stop().
  ~Gateway();

  /// The bound port (the system's choice when the configuration said 0).
  [[nodiscard]] int port() const;
  [[nodiscard]] const Config& config() const;
  [[nodiscard]] obs::ClientMetrics& client_metrics() const;

  /// Applies a new configuration, all of it or none: refused (FailedPrecondition) when a field that
  /// needs a restart differs (CheckReloadable), or when the registry refuses the new metrics. What
  /// happens to each metric: ClientMetrics::Reconfigure (`report`).
  obs::Status Reload(Config next, obs::ReconfigureReport* report);

  /// A reload that failed before Reload (a file that does not parse): golivekit_gateway_config_last_
  /// reload_successful says 0 until the next successful one.
  void ReloadFailed();

  /// The first half of a graceful stop: /-/ready answers 503, the ingest endpoint refuses every batch
  /// (503, Retry-After), and once the batches in flight are merged, waits until `drain_scrapers`
  /// distinct scrapers (remote address and User-Agent) have each had a scrape of metrics_path that
  /// began after them answered, at most `drain_timeout`. True if they had.
  bool Drain();

  /// Stops the server (scrapes in flight finish). Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace golivekit::gateway
