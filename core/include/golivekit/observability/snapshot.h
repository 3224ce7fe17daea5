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
};

/// One metric family: name, metadata and all its series.
struct FamilySnapshot {
  std::string name = {};  ///< full name, namespace included (for counters, `_total` included)
  std::string help = {};
  MetricType type = MetricType::kUnknown;
  std::vector<std::string> label_names = {};  ///< sorted
  std::vector<double> bucket_bounds = {};     ///< histograms: finite upper bounds, strictly increasing
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
  constexpr std::string_view kTotal = "_total";
  if (counter_name.size() <= kTotal.size() || !counter_name.ends_with(kTotal)) return {};
  return counter_name.substr(0, counter_name.size() - kTotal.size());
}

/// Keeps only the families of `snapshot` named in `names`. A counter family matches its full name
/// (`x_total`) and its OpenMetrics family name (`x`). Order and the other invariants are preserved.
void FilterFamilies(Snapshot& snapshot, std::span<const std::string> names);

/// The same selection as a new snapshot: copies only the families that match (a shared snapshot stays
/// as it is).
[[nodiscard]] Snapshot FilterFamilies(const Snapshot& snapshot, std::span<const std::string> names);

}  // namespace golivekit::observability
