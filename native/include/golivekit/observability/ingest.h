#pragma once
/// \file
/// \brief The HTTP ingest endpoint for client metrics on cpp-httplib: `POST /metrics/ingest` takes one
/// batch (client_batch.h) and hands it to a ClientMetrics (client_metrics.h). See docs/exporter.md
/// ("Ingest endpoint"); the batch format is in docs/wire-format.md, the merge rules in docs/merge.md.
///
/// \code
/// auto client = obs::NewClientMetrics({.metrics = {...}});
/// registry->Register(client);                       // the merged metrics appear in /metrics
/// httplib::Server server;
/// obs::ConfigureServer(server);
/// obs::MountMetrics(server, registry);
/// obs::Status st = obs::MountIngest(server, client, {
///     .allowed_origins = {"https://app.example.com"},
///     .bearer_token = "s3cret",
/// });
/// \endcode
///
/// A request goes through these checks, in this order; the first that fails answers (every error body
/// is `{"error":"<reason>","message":"<text>"}`, `Content-Type: application/json`):
///
/// | check                                              | status | `error`                  |
/// |----------------------------------------------------|--------|--------------------------|
/// | method is POST (OPTIONS: preflight, below)         | 405    | method_not_allowed       |
/// | `Origin`, if present, is in `allowed_origins`      | 403    | origin_not_allowed       |
/// | the remote address has a token left                | 429    | rate_limited             |
/// | `Authorization: Bearer <token>` present            | 401    | unauthorized             |
/// | ... and the token is `bearer_token`                | 403    | forbidden                |
/// | `Content-Type` is kBatchContentType                | 415    | unsupported_media_type   |
/// | `Content-Encoding` absent, identity, or one gzip   | 415    | unsupported_media_type   |
/// | body at most `max_body_bytes`                      | 413    | body_too_large           |
/// | ... and all of it within `body_timeout`            | 408    | body_timeout             |
/// | ... and all of it before the connection ends       | 400    | incomplete_body          |
/// | ClientMetrics::Apply: applied or duplicate         | 200    | (`{"result":..}`)        |
/// | ... client rate limited / too many clients         | 429/503| rate_limited / too_many_clients |
/// | ... sequence outside the replay window             | 409    | stale_sequence           |
/// | ... any other rejection                            | 400    | (RejectReasonName)       |
///
/// A 200 body is `{"result":"applied","sequence":N}` or `{"result":"duplicate","sequence":N}`; 429 and
/// 503 carry `Retry-After` (whole seconds, rounded up). Rejections before Apply are counted through
/// ClientMetrics::CountRejection; Apply counts its own. MountIngest registers nothing in any registry:
/// register the ClientMetrics itself (it carries the ingest's self-metrics).
///
/// CORS: a response to a request whose `Origin` is allowed carries `Access-Control-Allow-Origin:
/// <origin>`, `Access-Control-Expose-Headers: Retry-After` and `Vary: Origin`. `OPTIONS` on the path
/// answers a preflight from an allowed origin with 204, `Access-Control-Allow-Methods: POST, OPTIONS`,
/// `Access-Control-Allow-Headers: content-type, authorization[, extra]` and `Access-Control-Max-Age:
/// 600`; from another origin with 403. Requests without `Origin` (native clients, curl) are not
/// subject to the allowlist.
///
/// Thread-safety: MountIngest must be called before the server starts listening (cpp-httplib's rule for
/// routes). The mounted handler serves any number of worker threads at once.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "golivekit/observability/client_metrics.h"
#include "golivekit/observability/status.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace golivekit::observability {

/// Options of the ingest endpoint (fields in this order, for designated initializers).
struct IngestOpts {
  /// The path served, exactly; must begin with '/'.
  std::string path = "/metrics/ingest";
  /// Largest body accepted (after cpp-httplib's gzip decoding), enforced while reading: a larger
  /// declared Content-Length, or a chunked body that grows past it, gets 413 and the connection is
  /// closed. The server-wide `set_payload_max_length` is left alone. At least 1.
  std::size_t max_body_bytes = 64 * 1024;
  /// The whole body must have arrived this long after the request's headers were read. cpp-httplib's
  /// read timeout (5 s) bounds each read, not a body trickled a byte at a time (slowloris), which would
  /// hold a worker thread for as long as it likes: past this deadline the request gets 408 (`error`
  /// "malformed", counted as such) and the connection is closed. At least 1 ms.
  std::chrono::milliseconds body_timeout{10000};
  /// Browser origins allowed to post, exactly as browsers send them ("https://app.example.com",
  /// "http://localhost:3000": scheme, host and non-default port, no path or trailing '/'), or "*" for
  /// any. Empty: no browser may post (requests without an Origin header still may).
  std::vector<std::string> allowed_origins = {};
  /// Request headers a preflight may ask for besides content-type and authorization (lower case
  /// names, e.g. "x-request-id").
  std::vector<std::string> extra_allowed_headers = {};
  /// If not empty, every POST must carry `Authorization: Bearer <bearer_token>` (compared in constant
  /// time). A shared token only keeps out those who do not have it: a token shipped to browsers is
  /// public.
  std::string bearer_token = {};
  /// Per remote address: a token bucket of `address_burst` requests refilled at
  /// `address_rate_per_second` (0: no limit). This is on top of ClientMetrics' per-client limit: it
  /// bounds what one address can make the server do with made-up client ids. Many browsers behind one
  /// NAT share an address: size it for that.
  double address_rate_per_second = 50;
  double address_burst = 200;
  /// Addresses whose buckets are kept; beyond, the least recently seen is forgotten (its next request
  /// starts with a full bucket). Bounds the limiter's memory (~150 bytes per address). At least 1.
  std::size_t max_tracked_addresses = 10000;
  /// Behind a reverse proxy: the request header that carries the client's address (e.g.
  /// "X-Forwarded-For"; its first address is used). Empty: the peer address of the connection. Set it
  /// only when every request comes through a proxy that sets it: anyone else can write it.
  std::string trusted_proxy_header = {};
};

/// The checks MountIngest makes of its options (the errors listed there but the null and invalid
/// ClientMetrics): for a program that reads them from a file and wants to refuse them before it mounts.
Status CheckIngestOpts(const IngestOpts& opts);

/// A mounted ingest endpoint whose options change while it serves: what a server that reloads its
/// configuration (golivekit-gateway) or drains before it stops needs. MountIngest gives one.
///
/// Thread-safety: every member may be called from any thread while the server serves.
class IngestEndpoint {
 public:
  IngestEndpoint(const IngestEndpoint&) = delete;
  IngestEndpoint& operator=(const IngestEndpoint&) = delete;
  ~IngestEndpoint();

  /// Replaces the options, checked as MountIngest checks them; on error nothing changes. The path
  /// cannot change (the route stays where it was mounted: InvalidArgument). A request that began before
  /// finishes with the options it began with. The per-address buckets carry over unless the rate,
  /// burst or max_tracked_addresses changed (then every address starts with a full bucket).
  Status Update(IngestOpts opts);
  /// From now on every POST gets 503 with `{"error":"shutting_down"}` and `Retry-After: retry_after`
  /// (at least 1 s), counted with reason shutting_down; preflights are still answered. For a server
  /// that stops taking batches before it stops (a client's shipper sends the batch again, and a load
  /// balancer that health-checks the server sends it to another instance). Returns once every POST
  /// admitted before it has finished (at most IngestOpts::body_timeout plus one Apply): from then on
  /// nothing more is merged, so a scrape that begins after it reads the final totals. Not undone.
  void Close(std::chrono::seconds retry_after = std::chrono::seconds(1));
  [[nodiscard]] bool closed() const;

  struct State;  // the routes' view of it (ingest.cc)

 private:
  friend Status MountIngest(httplib::Server&, std::shared_ptr<ClientMetrics>, IngestOpts,
                            std::shared_ptr<IngestEndpoint>*);
  explicit IngestEndpoint(std::shared_ptr<State> state) noexcept;
  std::shared_ptr<State> state_;
};

/// Mounts `POST` (and `OPTIONS`, and 405 for GET, HEAD, PUT, PATCH, DELETE) on `opts.path` of an
/// existing server. If `endpoint` is not null, it receives the handle that changes the options later.
///
/// Errors, with nothing mounted: InvalidArgument for a null `client_metrics`, a path that does not
/// begin with '/', `max_body_bytes` or `max_tracked_addresses` of 0, a `body_timeout` under 1 ms, a negative
/// or non-finite rate or burst, or an allowed origin that is neither "*" nor of the form
/// scheme://host[:port]; the ClientMetrics' own error if it is invalid.
Status MountIngest(httplib::Server& server, std::shared_ptr<ClientMetrics> client_metrics,
                   IngestOpts opts = {}, std::shared_ptr<IngestEndpoint>* endpoint = nullptr);

}  // namespace golivekit::observability
