#pragma once
/// \file
/// \brief The native `/metrics` endpoint on cpp-httplib: mounted into a server the application already
/// has, or standalone. See docs/exporter.md.
///
/// \code
/// #include <httplib.h>
/// #include <golivekit/observability/exporter.h>
///
/// httplib::Server server;                  // the application's own server, with its own routes
/// obs::ConfigureServer(server);            // TCP_NODELAY + 16 worker threads (recommended)
/// if (auto st = obs::MountMetrics(server, registry); !st.ok()) { /* st.message() says why */ }
/// server.listen("0.0.0.0", 8080);
///
/// // or: a server of its own, on 127.0.0.1:9464, serving until Stop() or destruction
/// obs::Status error;
/// auto exporter = obs::Exporter::Start(registry, {.port = 9464}, &error);
/// \endcode
///
/// What the endpoint does (details in docs/exporter.md):
/// - GET and HEAD on `ExporterOpts::path`; any other method gets 405 with `Allow: GET, HEAD`.
/// - Content negotiation (negotiation.h): OpenMetrics 1.0.0 when the client prefers it, else text 0.0.4,
///   with the exact Content-Type of `ContentType(format)`.
/// - gzip (`Content-Encoding: gzip`, `Vary: Accept-Encoding`) for bodies of at least `gzip_min_bytes`
///   when the client accepts gzip; smaller bodies, and every body of a client that does not accept gzip,
///   are sent as they are. cpp-httplib's own response compression never applies to this endpoint.
/// - `?name[]=a&name[]=b` exposes only those families (client_golang's filter).
/// - More than `max_concurrent_scrapes` scrapes at once: 503 with `Retry-After: 1`.
/// - A failing collector is left out of the scrape (core policy), never fails it; failures are counted.
/// - Concurrent scrapes of a registry share gathers: a scrape that finds a gather running waits and
///   shares the next one (which starts after it arrived: nothing is cached).
/// - Self-metrics, registered in the mounted registry: `golivekit_metrics_handler_requests_total{code}`,
///   `golivekit_metrics_handler_requests_in_flight`, `golivekit_metrics_handler_errors_total{cause}`.
///
/// This header names cpp-httplib's `httplib::Server` only by a forward declaration: include
/// `<httplib.h>` (and link `golivekit::observability_http`, which brings cpp-httplib's compile flags) to
/// call the functions that take one.
///
/// Thread-safety: MountMetrics and ConfigureServer must be called before the server starts listening
/// (cpp-httplib's own rule for routes and options). The mounted handler serves any number of threads.
/// `Exporter` members may be called from any thread.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "golivekit/observability/client_metrics.h"
#include "golivekit/observability/ingest.h"
#include "golivekit/observability/registry.h"
#include "golivekit/observability/status.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace golivekit::observability {

/// Options of the `/metrics` endpoint (fields in this order, for designated initializers).
struct ExporterOpts {
  /// The path served, exactly (no prefix matching); must begin with '/'.
  std::string path = "/metrics";
  /// Negotiate OpenMetrics 1.0 when the client prefers it; false: always text 0.0.4.
  bool enable_openmetrics = true;
  /// Negotiate the protobuf format (length-delimited MetricFamily messages, the only one that carries
  /// native histograms) when the client prefers it; false: never.
  bool enable_protobuf = true;
  /// gzip only bodies at least this large, and only if the client accepts gzip (0: every body).
  std::size_t gzip_min_bytes = 1024;
  /// More scrapes at once than this get 503 with Retry-After; 0 or less: no limit.
  int max_concurrent_scrapes = 4;
};

/// Mounts GET and HEAD on `opts.path` of an existing server (other methods on that path: 405 with
/// `Allow: GET, HEAD`). Registers in `registry`, once per registry (mounting the same registry again,
/// into this or another server, shares them): the process and runtime collectors its options ask for
/// (`RegisterPlatformCollectors`, collectors.h) and the exporter's self-metrics.
///
/// Errors, with nothing mounted: InvalidArgument for a null registry or a path that does not begin
/// with '/'; the registry's own error if it is invalid; the error of RegisterPlatformCollectors;
/// AlreadyExists if the registry already has a family of a self-metric's name that is not ours.
Status MountMetrics(httplib::Server& server, std::shared_ptr<Registry> registry, ExporterOpts opts = {});

/// Configures a server for serving metrics (docs/building.md, "cpp-httplib"): TCP_NODELAY (without it
/// cpp-httplib answers in ~44 ms), a pool of `threads` worker threads (at least 1; a keep-alive connection
/// holds a worker, so size it for the concurrent connections you expect), and SO_REUSEADDR *without*
/// cpp-httplib's default SO_REUSEPORT, so that a second process cannot silently share the port (and
/// half the scrapes). Call before the server listens.
void ConfigureServer(httplib::Server& server, int threads = 16);

/// Options of `Exporter::Start` (fields in this order, for designated initializers).
struct ServerOpts {
  /// The address to listen on: "127.0.0.1" (default, loopback only), "0.0.0.0", "::1", a host name.
  std::string host = "127.0.0.1";
  /// The port; 0: any free port (see Exporter::port()).
  int port = 9464;
  /// Worker threads (ConfigureServer), at least 1.
  int threads = 16;
  /// The endpoint's options (MountMetrics).
  ExporterOpts exporter = {};
  /// If set, the server also takes client-metrics batches (MountIngest, ingest.h) on `ingest.path`.
  /// Register `client_metrics` in the registry for the merged metrics to be exposed.
  std::shared_ptr<ClientMetrics> client_metrics = nullptr;
  /// The ingest endpoint's options (used with `client_metrics`; unset: IngestOpts' defaults). An
  /// optional rather than a plain member: g++ 12 warns about a false "maybe uninitialized" string in
  /// callers' designated initializers of a ServerOpts with IngestOpts inline.
  std::optional<IngestOpts> ingest = std::nullopt;
};

/// A standalone exporter: a server of its own that serves one registry on `opts.exporter.path`, from a
/// background thread, until Stop() or destruction.
class Exporter {
 public:
  /// Binds, starts serving and returns once the server accepts connections. On failure (a port in use,
  /// an unknown host, invalid options) returns null and, if `error` is not null, sets `*error`.
  static std::unique_ptr<Exporter> Start(std::shared_ptr<Registry> registry, ServerOpts opts,
                                         Status* error = nullptr);

  Exporter(const Exporter&) = delete;
  Exporter& operator=(const Exporter&) = delete;
  /// Stop().
  ~Exporter();

  /// The bound port (the one chosen by the system when `ServerOpts::port` was 0).
  [[nodiscard]] int port() const noexcept;

  /// Stops accepting connections, lets the scrapes in flight finish (their responses are sent), then
  /// returns. An idle keep-alive connection is closed within the server's keep-alive timeout, which the
  /// exporter sets to 1 s (cpp-httplib's default is 5 s). Idempotent.
  void Stop();

 private:
  struct Impl;
  explicit Exporter(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace golivekit::observability
