#pragma once
/// \file
/// \brief A native client of the ingest endpoint: ships a registry's metrics to a server as client
/// batches (client_batch.h), from a background thread, over cpp-httplib's HTTP client. See
/// docs/shipper-cpp.md; the delivery policy, shared with the browser's shipper: docs/shipping.md.
///
/// \code
/// auto registry = obs::NewRegistry();       // the metrics this process ships (declared on the server)
/// auto events = obs::NewCounter({.name = "golivekit_client_events_total", .help = "…", .labels =
/// {"event"}}); registry->Register(events); obs::Status error; auto shipper = obs::Shipper::Start(registry,
/// {.url = "http://127.0.0.1:3000/metrics/ingest",
///                                               .headers = {{"Authorization", "Bearer s3cret"}}}, &error);
/// events->WithLabels("click").Inc();       // never waits for the shipper
/// shipper->Flush(std::chrono::seconds(2));  // optional: now, and wait for the server's confirmation
/// shipper->Stop();                          // a final batch; the server drops this client's live gauges
/// \endcode
///
/// Every `interval` the shipper gathers the registry, encodes what changed since the previous batch with
/// one BatchEncoder (one client id per Shipper) and appends the batches to a FIFO buffer of at most
/// `max_buffer_bytes`; when a new batch does not fit, the oldest ones are dropped (counted, and reported
/// to the server in every later batch). Batches are sent one at a time, in order:
/// - 2xx: delivered (applied, or a duplicate of one the server had: a response that was lost);
/// - 408, 429, 5xx, or no response (connection refused, timeout): sent again after a full-jitter
///   exponential backoff (uniform in [0, min(backoff_max, backoff_initial * 2^attempt)]), and never
///   before the response's `Retry-After` (delta-seconds or HTTP-date, honoured up to backoff_max); a
///   batch older than `max_batch_age` is given up (dropped);
/// - any other 4xx (a metric the server does not declare, a bad token, …): dropped, counted as rejected,
///   and the next batch goes on.
///
/// Every family of the registry is shipped (but untyped ones and those in `skip`), with the registry's
/// namespace and constant labels applied: the server must declare exactly those names and label names,
/// or it rejects the whole batch. A registry of its own for the shipped metrics is the simple way.
///
/// Thread-safety: the threads that record metrics never wait for the shipper (it only gathers the
/// registry, which never blocks updates). Every member may be called from any thread; Flush may be
/// called by several threads at once. Stop (and the destructor) must not race with the destruction of
/// the Shipper itself.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "golivekit/observability/client_batch.h"
#include "golivekit/observability/registry.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability {

namespace detail {
struct ShipperAccess;
}  // namespace detail

/// Options of `Shipper::Start` (fields in this order, for designated initializers).
struct ShipperOpts {
  /// The ingest endpoint: "http://host[:port]/path[?query]" (or "https://…", if cpp-httplib has TLS).
  /// Every request adds the client id to its query, `glk_client=<ClientIdHex(client_id())>`
  /// (kClientIdParam), for load balancers to route on (docs/shipping.md#affinity).
  std::string url = "http://127.0.0.1:3000/metrics/ingest";
  /// How often the registry is gathered and shipped; at least 1 ms.
  std::chrono::milliseconds interval{15000};
  /// Extra request headers, e.g. {{"Authorization", "Bearer s3cret"}}.
  std::vector<std::pair<std::string, std::string>> headers = {};
  /// The buffer of batches not yet confirmed, in bytes; when full, the oldest are dropped.
  std::size_t max_buffer_bytes = 1 << 20;
  /// Largest batch (BatchEncoder); keep it at most the server's IngestOpts::max_body_bytes.
  std::size_t max_batch_bytes = BatchEncoder::kDefaultMaxBatchBytes;
  /// Backoff of retries: the first wait is drawn from [0, backoff_initial], doubling up to backoff_max.
  /// backoff_max also caps a server's Retry-After.
  std::chrono::milliseconds backoff_initial{1000};
  std::chrono::milliseconds backoff_max{30000};
  /// A batch not confirmed this long after it was made is given up (dropped). Half the server's default
  /// client_ttl: a batch the server may have forgotten it applied is never sent again.
  std::chrono::milliseconds max_batch_age{300000};
  /// Limit of one request (connect, send, receive).
  std::chrono::milliseconds request_timeout{10000};
  /// Stop() tries this long to deliver the buffered batches and the final one.
  std::chrono::milliseconds stop_timeout{5000};
  /// Family names never shipped (runtime or process metrics of the registry, say).
  std::vector<std::string> skip = {};
};

/// Counters of a Shipper, since Start.
struct ShipperStats {
  std::uint64_t batches_encoded = 0;    ///< batches made from snapshots (the final one included)
  std::uint64_t requests_sent = 0;      ///< POSTs made, retries included
  std::uint64_t batches_accepted = 0;   ///< confirmed: applied by the server
  std::uint64_t batches_duplicate = 0;  ///< confirmed: the server had applied it already (a lost response)
  std::uint64_t batches_rejected = 0;   ///< refused for good (4xx other than 408/429): dropped
  std::uint64_t batches_dropped = 0;    ///< lost here: buffer full, older than max_batch_age, or left at Stop
  std::uint64_t retries = 0;            ///< failed attempts that were (or will be) retried
  /// Families the server skipped as not matching its declarations (deploy skew): no longer sent.
  std::uint64_t skipped_families = 0;
  std::size_t buffered_batches = 0;  ///< waiting to be sent or confirmed
  std::size_t buffered_bytes = 0;
};

class Shipper {
 public:
  /// Validates the options, starts the background thread and returns; the first batch is made one
  /// `interval` later (or at Flush). On invalid options (a URL that is not http(s)://host[:port]/path,
  /// a zero interval, a null or invalid registry) returns null and, if `error` is not null, sets it.
  static std::unique_ptr<Shipper> Start(std::shared_ptr<Registry> registry, ShipperOpts opts,
                                        Status* error = nullptr);

  Shipper(const Shipper&) = delete;
  Shipper& operator=(const Shipper&) = delete;
  /// Stop().
  ~Shipper();

  /// Ships now: gathers the registry (so every update made before the call is in a batch), then waits
  /// until all of it is confirmed by the server. True if it was; false on timeout, if a batch it waited
  /// for was dropped or rejected, or once stopped. Retries keep their backoff and Retry-After.
  bool Flush(std::chrono::milliseconds timeout);

  /// Gathers one last time and encodes a final batch (the server then stops counting this client's
  /// gauges at once), tries for up to `stop_timeout` to deliver it and the buffered batches, and joins
  /// the thread. What is still undelivered is lost (counted in batches_dropped). Idempotent.
  void Stop();

  [[nodiscard]] ShipperStats stats() const;
  /// The client id of the batches; ClientIdHex of it is the `glk_client` of every request's URL.
  [[nodiscard]] const ClientId& client_id() const noexcept;

 private:
  friend struct detail::ShipperAccess;
  struct Impl;
  explicit Shipper(std::unique_ptr<Impl> impl) noexcept;
  std::unique_ptr<Impl> impl_;
};

}  // namespace golivekit::observability
