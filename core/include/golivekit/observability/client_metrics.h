#pragma once
/// \file
/// \brief The server side of client metrics: declarations, validation and the merge engine. Rules in
/// docs/merge.md; the batch format in client_batch.h and docs/wire-format.md.
///
/// \code
/// auto client = obs::NewClientMetrics({.metrics = {
///     {.name = "golivekit_client_events_total", .help = "Events handled in the browser.",
///      .type = obs::MetricType::kCounter, .labels = {"event"}},
///     {.name = "golivekit_client_event_latency_seconds", .help = "…", .type = obs::MetricType::kHistogram,
///      .labels = {"event"}, .buckets = obs::DefaultBuckets},
///     {.name = "golivekit_client_open_views", .help = "…", .type = obs::MetricType::kGauge,
///      .gauge_policy = obs::GaugePolicy::kSumLive},
/// }});
/// registry->Register(client);                       // merged families + self-metrics in /metrics
/// obs::ApplyResult r = client->Apply(body);         // from HTTP (native/ingest.h) or any transport
/// \endcode
///
/// The server decides. A family of a batch that does not match its declaration (undeclared, another
/// type, other label names, another classic layout, a missing classic or native part) is skipped and
/// named in the answer, and the rest of the batch is applied: during a rolling deploy, pages loaded
/// before it keep shipping what both versions declare. Malformed input, invalid values and limits
/// still refuse a batch whole. HELP and TYPE always come from the declaration.
///
/// Native histograms merge exactly: a client's buckets at any schema are lowered to the lower of its
/// schema and the series' (never finer than the declared factor allows), the zero bucket is widened to
/// the largest client threshold (and to a bucket boundary), and the series' resolution is halved while
/// it has more than `native_max_buckets` buckets — Prometheus' rules (docs/merge.md).
///
/// Merge rules: counters and histograms add up over all clients and never go backwards (a client that
/// goes away leaves its contribution in the totals); gauges follow their GaugePolicy over the clients
/// that are live (seen within `live_timeout`, and not ended by a final batch), except kLast. Each
/// (client id, sequence) is applied at most once; a batch is applied whole or not at all.
///
/// Bounded: at most `max_clients` clients are tracked (each forgotten `client_ttl` after it was last
/// seen), at most `max_series` series per metric (label sets beyond go to one overflow series whose
/// label values are all `__overflow__`), label values at most `max_label_value_length` bytes, and what
/// one batch adds to a series at most what its declaration allows (max_increment, max_observations,
/// max_abs_observation, min_value and max_value).
///
/// Thread-safety: every member may be called from any thread; Apply and Collect are serialized by an
/// internal mutex (a typical batch takes microseconds).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "golivekit/observability/client_batch.h"
#include "golivekit/observability/collector.h"
#include "golivekit/observability/histogram.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability {

/// How the values that live clients report for one gauge series become the exposed value.
enum class GaugePolicy {
  kSumLive,  ///< sum over live clients (open views, say); 0 when none is live
  kMaxLive,  ///< largest value of a live client; the series disappears when none is live
  kMinLive,  ///< smallest value of a live client; the series disappears when none is live
  kLast,     ///< the value most recently received from any client, kept after that client is gone
};

/// "sum", "max", "min" or "last".
std::string_view GaugePolicyName(GaugePolicy policy) noexcept;

/// One client metric the server accepts (fields in this order, for designated initializers).
struct ClientMetricDecl {
  /// The full name the client's registry exposes, which is also the name in the server's /metrics (plus
  /// the server registry's namespace, if it has one). Counters end in `_total`.
  std::string name = {};
  std::string help = {};
  /// Counter, gauge or histogram (summaries are not mergeable: there is no summary type here).
  MetricType type = MetricType::kCounter;
  /// Label names, in any order (batches list them in ascending order).
  std::vector<std::string> labels = {};
  /// Histograms: the finite upper bounds of the classic buckets (e.g. DefaultBuckets); empty for a
  /// native-only histogram. A client's buckets are taken when its bounds are these, or a superset of
  /// them (then summed into these exactly).
  std::vector<double> buckets = {};
  /// Histograms: native buckets, at most this fine (0 = native buckets not accepted; > 1 as
  /// HistogramOpts::native_bucket_factor: the schema of the finest resolution kept).
  double native_bucket_factor = 0;
  /// Histograms: a merged series with more native buckets than this has its resolution halved.
  std::uint32_t native_max_buckets = 160;
  /// Histograms: the widest zero bucket a client may bring (its native_zero_threshold); a family whose
  /// threshold is larger is skipped (zero_threshold_too_large), since it would widen everyone's.
  double native_max_zero_threshold = kDefaultNativeZeroThreshold;
  /// Gauges: how client values combine.
  GaugePolicy gauge_policy = GaugePolicy::kSumLive;
  /// Series kept for this metric, the overflow series included; at least 1.
  std::size_t max_series = 1000;

  // What one batch may contribute to one series. A batch with more is refused whole
  // (RejectReason::kValueOutOfRange, HTTP 400), nothing of it merged, and counted; so one client moves
  // a total by at most this much per batch and series, however it lies (docs/merge.md, "Bounded
  // influence", gives the bound per second). The defaults are far above what a page records in one
  // batch interval; a declaration should set what its unit makes sensible (a latency in seconds, say).

  /// Counters: the largest increment. Finite and > 0.
  double max_increment = 1e6;
  /// Histograms: the most observations. At least 1.
  std::uint64_t max_observations = 10000;
  /// Histograms: the largest magnitude of an observation, on average: a batch's |sum increment| may
  /// be at most its observation count times this. Finite and > 0.
  double max_abs_observation = 1e6;
  /// Gauges: the values a client may report, both finite and min_value <= max_value.
  double min_value = -1e9;
  double max_value = 1e9;
};

/// Options of NewClientMetrics (fields in this order, for designated initializers).
struct ClientMetricsOpts {
  std::vector<ClientMetricDecl> metrics = {};
  /// Clients tracked at once (for exactly-once and gauges). A batch from a new client beyond this is
  /// rejected (reason too_many_clients) until others expire.
  std::size_t max_clients = 10000;
  /// A client's state is forgotten this long after its last batch. Clients must not resend a batch
  /// older than this (the shippers of this library give up on a batch after half of the default).
  std::chrono::seconds client_ttl{600};
  /// A client's gauge values count (kSumLive, kMaxLive, kMinLive) while it sent a batch this recently.
  /// (Both durations: positive, at most a year.)
  std::chrono::seconds live_timeout{60};
  /// Longest label value accepted, in bytes.
  std::size_t max_label_value_length = 128;
  /// Per client id: a token bucket of `rate_burst` batches refilled at `rate_per_second` (0: no limit).
  double rate_per_second = 5;
  double rate_burst = 20;
  /// Structural limits of the decoder (DecodeLimits::max_bytes is also the largest batch accepted).
  DecodeLimits decode_limits = {.max_bytes = 64 * 1024};
};

/// Why a batch was not applied; also the `reason` label of golivekit_client_ingest_rejections_total.
/// The transport-level reasons are counted by transports through ClientMetrics::CountRejection.
enum class RejectReason {
  kNone = 0,
  kMalformed,            ///< not a well-formed batch (DecodeBatch failed)
  kUnsupportedVersion,   ///< a format version this server does not read
  kInvalidDeclarations,  ///< the engine's own declarations are invalid (status()): it accepts nothing
  kInvalidValue,         ///< NaN/Inf, a negative counter increment, a native count unlike the classic one…
  kInvalidLabelValue,    ///< a label value that is not UTF-8, or longer than max_label_value_length
  kDuplicateSeries,      ///< the same family, or the same series, twice in one batch
  kTotalOutOfRange,      ///< would make a counter total or histogram sum non-finite, or a count pass 2^53
  kValueOutOfRange,      ///< beyond what the declaration lets one batch contribute (max_increment, …)
  kStaleSequence,        ///< more than 64 sequences behind the client's newest: never applied
  kTooManyClients,       ///< max_clients reached
  kRateLimited,          ///< the client's token bucket is empty
  // Transport level (HTTP: native/ingest.h)
  kBodyTooLarge,          ///< 413
  kIncompleteBody,        ///< the connection ended before the body its Content-Length announced
  kBodyTimeout,           ///< 408: the body did not arrive within the transport's deadline
  kUnsupportedMediaType,  ///< 415
  kUnauthorized,          ///< 401: no token
  kForbidden,             ///< 403: wrong token
  kOriginNotAllowed,      ///< 403: browser origin not in the CORS allowlist
  kMethodNotAllowed,      ///< 405
  kShuttingDown,          ///< 503: the server is draining before it stops (IngestEndpoint::Close)
};
inline constexpr int kRejectReasonCount = static_cast<int>(RejectReason::kShuttingDown) + 1;

/// snake_case name of a reason: "malformed", "invalid_declarations", …, "shutting_down"; "" for kNone.
std::string_view RejectReasonName(RejectReason reason) noexcept;

/// Why one family of an applied batch was left out; the `reason` label of
/// golivekit_client_ingest_skipped_families_total.
enum class SkipReason {
  kUndeclaredMetric,       ///< a family the server did not declare
  kTypeMismatch,           ///< declared with another type
  kLabelMismatch,          ///< other label names than declared
  kBucketMismatch,         ///< classic bounds that are neither the declared ones nor a superset of them
  kMissingClassicBuckets,  ///< declared with classic buckets, sent without
  kMissingNativeBuckets,   ///< declared with native buckets, sent without
  kZeroThresholdTooLarge,  ///< a native zero threshold above native_max_zero_threshold
};
inline constexpr int kSkipReasonCount = static_cast<int>(SkipReason::kZeroThresholdTooLarge) + 1;

/// snake_case name of a reason: "undeclared_metric", …, "zero_threshold_too_large".
std::string_view SkipReasonName(SkipReason reason) noexcept;

/// A family of an applied batch that was left out. Clients stop sending it (the shippers of this
/// library add it to BatchEncoder::skip()).
struct SkippedFamily {
  std::string metric = {};
  SkipReason reason = SkipReason::kUndeclaredMetric;
  std::string message = {};  ///< e.g. "app_total: not a client metric this server accepts"
};

/// The outcome of Apply.
struct ApplyResult {
  enum class Outcome {
    kApplied,    ///< merged
    kDuplicate,  ///< this (client, sequence) was applied before: nothing done, the client may move on
    kRejected,   ///< nothing merged; see reason
  };
  Outcome outcome = Outcome::kRejected;
  RejectReason reason = RejectReason::kNone;
  /// For a rejection: what was wrong, naming the metric and value, e.g.
  /// "golivekit_client_events_total: label names [page] differ from the declared [event]".
  std::string message = {};
  /// For kRateLimited and kTooManyClients: when to try again.
  std::chrono::milliseconds retry_after{0};
  /// For kApplied and kDuplicate: the client and sequence.
  ClientId client = {};
  std::uint64_t sequence = 0;
  /// For kApplied: the families left out, in batch order.
  std::vector<SkippedFamily> skipped = {};

  [[nodiscard]] bool accepted() const noexcept { return outcome != Outcome::kRejected; }
};

/// What ClientMetrics::Reconfigure did to each metric, by name, in declaration order of the old
/// (removed, reset, kept) or new (added) declarations.
struct ReconfigureReport {
  std::vector<std::string> added = {};    ///< newly declared: start from zero
  std::vector<std::string> removed = {};  ///< no longer declared: their series are gone
  /// Declared again with another type, label names, classic bounds or native resolution: their series
  /// start from zero (Prometheus sees a counter reset, which rate() and increase() take in their stride).
  std::vector<std::string> reset = {};
  /// Declared again with the same shape: their series keep their totals (new help, gauge policy and
  /// limits apply from the next batch on; a lower max_series keeps the series there are).
  std::vector<std::string> kept = {};
};

class ClientMetrics final : public Collector {
 public:
  using Clock = std::chrono::steady_clock;

  explicit ClientMetrics(ClientMetricsOpts opts);
  ~ClientMetrics() override;

  /// OK, or why the declarations or options are invalid (a bad name, duplicate names, bad buckets, …).
  /// An invalid ClientMetrics rejects every batch and is refused by Registry::Register.
  [[nodiscard]] Status status() const override { return status_; }

  /// Decodes, validates and merges one batch, all or nothing. `now` is the server's clock (tests pass
  /// their own). Never throws natively, except std::bad_alloc.
  ApplyResult Apply(std::string_view batch, Clock::time_point now = Clock::now());
  /// The same for a batch decoded already (by a transport that decodes itself); `received_bytes` is
  /// counted in golivekit_client_ingest_received_bytes_total.
  ApplyResult Apply(const Batch& batch, std::size_t received_bytes, Clock::time_point now = Clock::now());

  /// Replaces the declarations and options while the engine serves, keeping what can be kept (a
  /// gateway's configuration reload): see ReconfigureReport for what happens to each metric. Clients keep
  /// their state (exactly-once windows, rate buckets, the gauges of kept metrics), so a batch applied
  /// before is still a duplicate after. New options apply from the next batch; a lower max_clients
  /// forgets no client (new ones wait until enough expire).
  ///
  /// Errors, with nothing changed: the error status() would have for these options. The families this
  /// collector describes change with the declarations: in a registry, call it through
  /// Registry::Redescribe, which checks the new families and swaps them in one step.
  Status Reconfigure(ClientMetricsOpts opts, ReconfigureReport* report = nullptr);

  /// Counts a batch a transport refused before Apply (413, 415, 401, …) in the self-metrics.
  void CountRejection(RejectReason reason, std::size_t received_bytes = 0);

  /// Clients currently tracked, and of those the live ones (`now` as for Apply).
  [[nodiscard]] std::size_t tracked_clients() const;
  [[nodiscard]] std::size_t live_clients(Clock::time_point now = Clock::now()) const;
  /// Series currently kept for a declared metric (0 for an unknown name).
  [[nodiscard]] std::size_t series_count(std::string_view metric) const;
  /// The options (not to be read while Reconfigure runs on another thread).
  [[nodiscard]] const ClientMetricsOpts& opts() const noexcept { return opts_; }

  /// The declared families and the self-metrics:
  /// golivekit_client_ingest_batches_total{result="applied|duplicate|rejected"},
  /// golivekit_client_ingest_rejections_total{reason},
  /// golivekit_client_ingest_skipped_families_total{reason}, golivekit_client_ingest_received_bytes_total,
  /// golivekit_client_ingest_clients{state="live|tracked"}, golivekit_client_ingest_series{metric},
  /// golivekit_client_ingest_overflow_series_total{metric} (series that went to the overflow series),
  /// golivekit_client_ingest_client_dropped_batches_total (drops the clients report).
  [[nodiscard]] std::vector<Descriptor> Describe() const override;
  Status Collect(std::vector<FamilySnapshot>& out) const override;
  /// Collect as of `now` (which clients are live): for tests.
  Status CollectAt(std::vector<FamilySnapshot>& out, Clock::time_point now) const;

 private:
  struct State;
  ClientMetricsOpts opts_;
  Status status_;
  mutable std::mutex mu_;
  std::unique_ptr<State> state_;
};

/// Creates the merge engine for these declarations (check status() or Register's result).
std::shared_ptr<ClientMetrics> NewClientMetrics(ClientMetricsOpts opts);

}  // namespace golivekit::observability
