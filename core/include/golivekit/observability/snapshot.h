#pragma once
/// \file
/// \brief Immutable snapshots: what `Registry::Gather()` returns and every encoder reads.
///
/// A snapshot is plain data, detached from the live metrics: it can be kept, copied, moved to another
/// thread, encoded in any format or merged, while the metrics go on changing. The invariants below are
/// established by `Registry::Gather()`; encoders rely on them.
///
/// - `Snapshot::families` are sorted by `name`, names are unique.
/// - `FamilySnapshot::label_names` are sorted, unique, valid label names (for histograms, never `le`).
/// - `FamilySnapshot::series` are sorted by `label_values` (lexicographically, in `label_names` order),
///   each series has exactly `label_names.size()` values, and no two series have the same values.
/// - Histogram series have `bucket_counts.size() == bucket_bounds.size()`, cumulative and non-decreasing,
///   every one `<= count`; `count` is the implicit `+Inf` bucket.
/// - A histogram family with `native` set has native buckets in every series: `native.schema` in
///   -4..8, `native.zero_threshold > 0`, spans in ascending bucket order that never overlap, as many
///   counts as the spans cover, and `count >= native.zero_count + every native count` (NaN
///   observations are counted in `count` only). Its `bucket_bounds` may be empty: a native-only
///   histogram, whose classic exposition is `_count`, `_sum` and the `+Inf` bucket.
///
/// Transforms that keep these invariants: `FilterFamilies` (a client_golang `name[]` selection).
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace golivekit::observability {

/// The type of a metric family.
enum class MetricType {
  kCounter,
  kGauge,
  kHistogram,
  kUnknown,  ///< "untyped" in text 0.0.4, "unknown" in OpenMetrics
};

/// "counter", "gauge", "histogram" or "unknown".
std::string_view MetricTypeName(MetricType type) noexcept;

/// A run of consecutive native buckets: starts `offset` buckets after the end of the previous span (for
/// the first span: at bucket index `offset`), `length` buckets long. Prometheus' `BucketSpan`.
struct NativeSpan {
  std::int32_t offset = 0;
  std::uint32_t length = 0;
  friend bool operator==(const NativeSpan&, const NativeSpan&) = default;
};

/// The native (sparse exponential) buckets of one histogram series. Bucket `i` of schema `s` holds the
/// observations `v` with `2^((i-1)/2^s) < |v| <= 2^(i/2^s)`; positive and negative values have their own
/// buckets, values with `|v| <= zero_threshold` are counted in the zero bucket.
struct NativeBuckets {
  std::int32_t schema = 0;    ///< resolution: each bucket is 2^(2^-schema) times wider than the one before
  double zero_threshold = 0;  ///< > 0 in every snapshot (Prometheus 2.42 recognises a native histogram by it)
  std::uint64_t zero_count = 0;
  std::vector<NativeSpan> positive_spans = {};
  std::vector<std::uint64_t> positive_counts = {};  ///< one absolute count per bucket the spans cover
  std::vector<NativeSpan> negative_spans = {};
  std::vector<std::uint64_t> negative_counts = {};
  friend bool operator==(const NativeBuckets&, const NativeBuckets&) = default;
};

/// One labelled series of a family.
struct SeriesSnapshot {
  /// Label values, in the order of `FamilySnapshot::label_names`.
  std::vector<std::string> label_values = {};
  /// Counter or gauge value (unused for histograms).
  double value = 0;
  /// Histogram: cumulative counts, one per finite bound of `FamilySnapshot::bucket_bounds`.
  std::vector<std::uint64_t> bucket_counts = {};
  /// Histogram: sum of all observations.
  double sum = 0;
  /// Histogram: number of observations; equal to the `+Inf` bucket.
  std::uint64_t count = 0;
  /// Histogram with native buckets (`FamilySnapshot::native`): the native buckets.
  NativeBuckets native = {};
  /// Counter or histogram: when the series was created (its start), in milliseconds since the Unix
  /// epoch; 0 when unknown or not wanted (RegistryOpts::created_timestamps). The OpenMetrics encoder
  /// writes it as `_created`, the protobuf one as `created_timestamp`; the text format has no place for it.
  std::int64_t created_ms = 0;
};

/// One metric family: name, metadata and all its series.
struct FamilySnapshot {
  std::string name = {};  ///< full name, namespace included (for counters, `_total` included)
  std::string help = {};
  MetricType type = MetricType::kUnknown;
  std::vector<std::string> label_names = {};  ///< sorted
  std::vector<double> bucket_bounds = {};     ///< histograms: finite upper bounds, strictly increasing
  bool native = false;                        ///< histograms: every series has native buckets
  std::vector<SeriesSnapshot> series = {};    ///< sorted by label values
};

/// Everything a registry holds at one moment.
struct Snapshot {
  std::vector<FamilySnapshot> families = {};  ///< sorted by name
};

/// The OpenMetrics family name of a counter named `counter_name`: the name without its `_total` suffix
/// (`http_requests_total` → `http_requests`). Empty when the name does not end in `_total` or is `_total`
/// itself: such a counter has no OpenMetrics counter family (the encoder exposes it as `unknown`).
constexpr std::string_view OpenMetricsFamilyName(std::string_view counter_name) noexcept {
  // The suffix compared and cut in place (no ends_with or substr, each a bounds check and a copy of
  // the view in the browser module, compiled for size).
  constexpr std::string_view kTotal = "_total";
  const std::size_t stem = counter_name.size() - kTotal.size();
  if (counter_name.size() <= kTotal.size() ||
      std::char_traits<char>::compare(counter_name.data() + stem, kTotal.data(), kTotal.size()) != 0) {
    return {};
  }
  return {counter_name.data(), stem};
}

/// Keeps only the families of `snapshot` named in `names`. A counter family matches its full name
/// (`x_total`) and its OpenMetrics family name (`x`). Order and the other invariants are preserved.
void FilterFamilies(Snapshot& snapshot, std::span<const std::string> names);

/// The same selection as a new snapshot: copies only the families that match (a shared snapshot stays
/// as it is).
[[nodiscard]] Snapshot FilterFamilies(const Snapshot& snapshot, std::span<const std::string> names);

}  // namespace golivekit::observability
