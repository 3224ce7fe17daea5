#pragma once
/// \file
/// \brief The client-batch format (versions 1 and 2): how a client — the browser through the npm package,
/// or a native process — ships its metrics to a server. Specified byte by byte in docs/wire-format.md.
///
/// A batch carries, for one client (a random 128-bit id) and one sequence number, the *changes* since
/// the client's previous batch: counter increments, histogram bucket increments (classic and native), and
/// the current value of every gauge. The server (client_metrics.h) applies each (client, sequence) at most
/// once, so a client may resend a batch as often as it likes until the server has confirmed it.
///
/// \code
/// obs::BatchEncoder encoder(obs::NewClientId());
/// // every few seconds:
/// for (std::string& batch : encoder.Encode(registry->Gather())) send(batch);  // each <= 60 KiB
/// \endcode
///
/// Thread-safety: `DecodeBatch`, `EncodeBatch` and `NewClientId` are safe from any thread. A
/// `BatchEncoder` is not: one thread (or one caller holding a lock) at a time.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "golivekit/observability/snapshot.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability {

/// The media type of a batch on HTTP (any parameters after it are ignored).
inline constexpr std::string_view kBatchContentType = "application/vnd.golivekit.metrics-batch";
/// The query parameter both shippers (native and JS) add to every ingest URL, with the client id as
/// ClientIdHex writes it (`?glk_client=<32 hex digits>`): a key a load balancer can route on, so that a
/// client's retries and final batch reach the instance that holds its exactly-once state
/// (docs/shipping.md#affinity). A routing key only: the server does not read it.
inline constexpr std::string_view kClientIdParam = "glk_client";
/// The newest format version this library writes and reads: version 2 carries native histogram buckets.
inline constexpr std::uint8_t kBatchVersion = 2;
/// The oldest version this library reads. Writers use the lowest version that carries the batch: 1
/// unless a family has native buckets, so that a server not yet updated keeps taking the rest.
inline constexpr std::uint8_t kMinBatchVersion = 1;
/// Whether this library reads batches of format `version`.
constexpr bool ReadsBatchVersion(std::uint8_t version) noexcept {
  return version >= kMinBatchVersion && version <= kBatchVersion;
}

/// A client's identity: 16 random bytes, fixed for the client's lifetime (a page load, a process).
using ClientId = std::array<std::uint8_t, 16>;

/// A new random client id from std::random_device (the OS's entropy). The browser build draws the
/// words from Web Crypto in JS instead and uses ClientIdFromWords.
ClientId NewClientId();
/// The id made of four random 32-bit words, each little-endian.
ClientId ClientIdFromWords(const std::array<std::uint32_t, 4>& words);
/// The id as 32 lowercase hex digits.
std::string ClientIdHex(const ClientId& id);

/// One series of a batch family. Which fields are used depends on the family's type.
struct BatchSeries {
  /// In the order of `BatchFamily::label_names`.
  std::vector<std::string> label_values = {};
  /// Counter: the increment since the previous batch (finite, >= 0). Gauge: the current value (finite).
  double value = 0;
  /// Histogram: per-bucket increments, *not* cumulative, one per finite bound and a last one for +Inf.
  /// The count increment is their sum.
  std::vector<std::uint64_t> bucket_deltas = {};
  /// Histogram: the increment of the sum of observations (finite).
  double sum_delta = 0;
  /// Histogram with native buckets (`BatchFamily::native`): the client's schema and zero threshold, and
  /// the *increments* of the zero bucket and of each bucket the spans cover since the previous batch.
  /// The count increment is the zero increment plus every bucket increment.
  NativeBuckets native = {};
};

/// One family of a batch.
struct BatchFamily {
  std::string name = {};  ///< full name, as the client's registry exposes it (counters end in `_total`)
  MetricType type = MetricType::kCounter;     ///< counter, gauge or histogram (never unknown)
  std::vector<std::string> label_names = {};  ///< strictly ascending
  std::vector<double> bucket_bounds = {};     ///< histograms: finite upper bounds, strictly increasing
  /// Histograms: the series carry native buckets (version 2). A histogram has classic buckets unless it
  /// is native with no bounds (native-only).
  bool native = false;
  std::vector<BatchSeries> series = {};

  /// Whether the series carry classic bucket increments.
  [[nodiscard]] bool classic() const noexcept { return !native || !bucket_bounds.empty(); }
};

/// A decoded batch.
struct Batch {
  ClientId client = {};
  std::uint64_t sequence = 0;  ///< >= 1, one more for each batch the client makes
  /// Batches this client has dropped since it started (buffer full, given up): a running total.
  std::uint64_t dropped_batches = 0;
  /// The client's last batch: it is going away (page closed, shipper stopped).
  bool final = false;
  std::vector<BatchFamily> families = {};
};

/// Structural limits the decoder enforces before allocating anything. The server's own, usually
/// tighter, limits (label-value length, series per metric, …) are checked by ClientMetrics::Apply.
struct DecodeLimits {
  std::size_t max_bytes = 1 << 20;  ///< whole batch
  std::size_t max_families = 1024;
  std::size_t max_series_per_family = 65536;
  std::size_t max_labels = 32;            ///< label names per family
  std::size_t max_buckets = 256;          ///< finite bounds per histogram
  std::size_t max_native_buckets = 4096;  ///< native buckets per series, both signs together
  std::size_t max_string_bytes = 4096;    ///< any name or label value
};

/// Decodes `bytes` into `out` (replacing its contents). Safe on any input: never reads out of bounds,
/// never allocates more than a small multiple of `bytes.size()`, never throws. Errors are
/// InvalidArgument with the byte offset and what was wrong, e.g. "batch: offset 23: truncated string";
/// an input shorter than the 22-byte fixed header names the field it cuts off: "batch: truncated
/// header: 10 bytes, the fixed header is 22 (the client id at offset 6 is cut off at offset 10)".
/// Structure only: the meaning of names, label values and numbers is checked by the server.
Status DecodeBatch(std::string_view bytes, Batch& out, const DecodeLimits& limits = {});

/// The identity of a batch, as its header states it.
struct BatchHeader {
  ClientId client = {};
  std::uint64_t sequence = 0;
};

/// The client id and sequence of a batch, read from its header alone (the families are not looked at):
/// enough to recognise a batch already applied, which clients resend byte for byte. nullopt unless the
/// input starts with the magic and a version this library reads, and holds the whole fixed header and a
/// sequence >= 1.
std::optional<BatchHeader> PeekBatchHeader(std::string_view bytes);

/// The format version of an input that starts like a batch (the magic and a version byte), else nullopt.
std::optional<std::uint8_t> PeekBatchVersion(std::string_view bytes);

/// The version EncodeBatch writes for `batch`: 2 if a family has native buckets, else 1.
std::uint8_t BatchVersionFor(const Batch& batch) noexcept;

/// Appends the encoding of `batch` to `out`, in BatchVersionFor(batch). Encodes what it is given
/// (DecodeBatch(EncodeBatch(b)) == b for any batch within DecodeLimits whose native spans are in the
/// canonical form DecodeBatch checks); BatchEncoder builds valid batches from snapshots.
void EncodeBatch(const Batch& batch, std::string& out);

/// Options of `BatchEncoder::Encode`.
struct EncodeOpts {
  /// Mark the batch(es) as the client's last.
  bool final = false;
  /// The client's running total of dropped batches, copied into every batch.
  std::uint64_t dropped_batches = 0;
};

/// Turns successive snapshots of a client's registry into batches of changes.
///
/// Each `Encode` compares the snapshot with the one of the previous call: counters and histograms
/// contribute the series that changed (as increments), gauges contribute every series (their current
/// value, so that the server knows the client is alive and what it holds). Histograms ship every kind of
/// bucket they have (native buckets as increments per bucket at the series' current schema). Untyped
/// families, and families named in `skip`, are not shipped. A counter or histogram that went backwards
/// (it was reset, or deleted and recreated) contributes what it holds now: its history restarts from
/// zero.
///
/// The snapshots must keep the invariants `Registry::Gather()` establishes (snapshot.h): the encoder
/// finds a series' previous state by walking both snapshots in their order.
///
/// Batches are at most `max_batch_bytes`; when the changes need more, they are split over several
/// batches, each with its own sequence number and each applicable on its own. A single series larger
/// than the limit (a histogram with thousands of buckets and long labels) is still sent, alone.
class BatchEncoder {
 public:
  /// 60 KiB: under the 64 KiB a browser's keepalive request may carry, with room for headers.
  static constexpr std::size_t kDefaultMaxBatchBytes = 60 * 1024;

  explicit BatchEncoder(ClientId id, std::size_t max_batch_bytes = kDefaultMaxBatchBytes);

  [[nodiscard]] const ClientId& client() const noexcept { return client_; }
  /// The sequence number the next batch will get (the first is 1).
  [[nodiscard]] std::uint64_t next_sequence() const noexcept { return next_sequence_; }
  /// Never ships the family `name` from now on (a registry's own runtime metrics, say, or a family the
  /// server refused); false if it was skipped already.
  bool Skip(std::string_view name);
  /// Whether the family `name` is skipped.
  [[nodiscard]] bool skips(std::string_view name) const noexcept;

  /// The batches carrying what changed since the previous call (none if nothing changed and there is
  /// no gauge; with `opts.final`, always at least one, possibly empty). The encoder's idea of what the
  /// server has is advanced at once: resend these exact bytes until they are confirmed.
  std::vector<std::string> Encode(const Snapshot& snapshot, const EncodeOpts& opts = {});
  /// The same with a snapshot the caller gives away (`Encode(registry.Gather())`): the encoder keeps its
  /// families instead of copying them.
  std::vector<std::string> Encode(Snapshot&& snapshot, const EncodeOpts& opts = {});

 private:
  ClientId client_;
  std::size_t max_batch_bytes_;
  std::uint64_t next_sequence_ = 1;
  std::vector<std::string> skip_;  // a handful of names: searched in order
  // What the server has: the previous snapshot as it was, in snapshot order (by name, series by label
  // values), so that each Encode walks it beside the new snapshot.
  std::vector<FamilySnapshot> last_;
};

}  // namespace golivekit::observability
