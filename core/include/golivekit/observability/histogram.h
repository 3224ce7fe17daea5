#pragma once
/// \file
/// \brief Histogram: counts observations (latencies, sizes) in configurable buckets.
///
/// \code
/// auto latency = obs::NewHistogram({
///     .name = "golivekit_event_latency_seconds",
///     .help = "Event handling latency in seconds",
///     .labels = {"event_type"},
///     .buckets = {.001, .005, .01, .025, .05, .1, .25, .5, 1},
/// });
/// latency->WithLabels("click").Observe(0.012);
/// \endcode
///
/// A snapshot of a histogram is never torn: `_count` is computed from the bucket counts read in the
/// same pass, so it always equals the `+Inf` bucket and buckets are cumulative, even while other threads
/// observe. `_sum` is read in that pass too and may not yet include observations still in flight on
/// other threads at that instant (at most one per observing thread); the next scrape includes them.
///
/// Native buckets (`native_bucket_factor`) are counted in the same pass: `count` is then the zero bucket
/// plus every native bucket plus the NaN observations, read together, and is never below the classic
/// buckets of the same snapshot.
///
/// Thread-safety: every member may be called from any thread; `Observe` through a handle takes no lock
/// and allocates nothing (one atomic add for the bucket, one compare-and-swap for the sum; with native
/// buckets one more atomic add). The first observation in a native bucket range a series has not seen
/// may allocate a bigger table (at most a few times in a series' life, bounded by native_max_buckets).
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "golivekit/observability/buckets.h"
#include "golivekit/observability/detail/cells.h"
#include "golivekit/observability/detail/handle.h"
#include "golivekit/observability/detail/metric_vec.h"

namespace golivekit::observability {

/// 2^-128, client_golang's DefNativeHistogramZeroThreshold.
inline constexpr double kDefaultNativeZeroThreshold = 2.938735877055719e-39;

/// Options of `NewHistogram` (fields in this order, for designated initializers).
struct HistogramOpts {
  std::string name = {};
  std::string help = {};
  std::vector<std::string> labels = {};  ///< may not contain "le"
  /// Finite upper bounds, strictly increasing (no NaN, no -Inf); `+Inf` is implied (a trailing +Inf is
  /// dropped).
  /// Defaults to `DefaultBuckets`. Empty: no classic buckets, which is only valid with native buckets (a
  /// native-only histogram).
  std::vector<double> buckets = DefaultBuckets;
  /// Native (sparse exponential) buckets: 0 = none; > 1 = the largest growth from one bucket's upper
  /// bound to the next, as client_golang's NativeHistogramBucketFactor. The resolution (schema) is the
  /// coarsest one that meets it, within -4..8: 1.1 gives schema 3 (growth 1.0905), 2 gives schema 0.
  double native_bucket_factor = 0;
  /// Observations with |v| at or below it count in the zero bucket. Finite and > 0 (Prometheus 2.42
  /// recognises a native histogram by it); the default 2^-128 is a bucket boundary at every schema.
  double native_zero_threshold = kDefaultNativeZeroThreshold;
  /// The most native buckets (positive and negative, not the zero bucket) a series keeps. A series
  /// about to exceed it halves its resolution (schema - 1: each pair of neighbouring buckets becomes one,
  /// counts added, nothing lost), as client_golang and Prometheus do, as often as needed down to schema -4,
  /// where every possible bucket fits. Between 1 and 32768.
  std::uint32_t native_max_buckets = 160;  /// The most series (label sets) kept, the overflow series
                                           /// included; 0: no limit. With max_series - 1
  /// others, a new label set goes to the one overflow series, whose label values are all `__overflow__`
  /// (counted in a registry's golivekit_registry_overflow_samples_total{metric}).
  std::size_t max_series = 0;
  /// A series not updated for this long goes at the next gather (counted in whole seconds, rounded
  /// up; see docs/api-cpp.md, "Series limits and lifetimes"); 0: series never expire.
  std::chrono::milliseconds series_ttl{0};
};

/// A handle to one series of a histogram; same lifetime rules as `CounterChild`.
class HistogramChild : public detail::Handle<detail::HistogramCell> {
 public:
  HistogramChild() = default;

  /// Records one observation. NaN counts in the classic +Inf bucket, in no native bucket, and makes the sum
  /// NaN (as in client_golang). Zero and negative values are valid: natively they count in the zero
  /// bucket and in negative buckets.
  void Observe(double v) const noexcept {
    if (cell_) cell_->Observe(v);
  }
  /// Number of observations and their sum so far (0 for an inert handle).
  [[nodiscard]] std::uint64_t Count() const noexcept;
  [[nodiscard]] double Sum() const noexcept;

 private:
  friend class Histogram;
  HistogramChild(detail::CellBase* adopted, Status status) : Handle(adopted, std::move(status)) {}
};

/// A histogram family. Create with `NewHistogram`, register with `Registry::Register`.
class Histogram final : public detail::MetricVec {
 public:
  explicit Histogram(HistogramOpts opts);
  ~Histogram() override;

  /// See `Counter::WithLabels`.
  template <class... V>
  requires(std::is_convertible_v<const V&, std::string_view>&&...) HistogramChild
      WithLabels(const V&... values) {
    const std::array<std::string_view, sizeof...(V)> a{std::string_view(values)...};
    return WithLabelValues(a);
  }
  HistogramChild WithLabelValues(std::span<const std::string_view> values);
  HistogramChild WithLabelValues(const std::vector<std::string>& values);

  /// For a histogram without labels (on one with labels this does nothing: use WithLabels).
  void Observe(double v) const noexcept {
    if (auto* c = default_cell()) static_cast<detail::HistogramCell*>(c)->Observe(v);
  }

  /// The validated finite bucket bounds (empty for a native-only histogram).
  const std::vector<double>& buckets() const noexcept { return layout_->bounds; }
  /// Whether series have native buckets, and the initial schema picked from `native_bucket_factor`.
  bool native() const noexcept { return layout_->native; }
  std::int32_t native_schema() const noexcept { return layout_->native_config.schema; }

  Status Collect(std::vector<FamilySnapshot>& out) const override;
  /// See `Counter::Refill`.
  void Refill(FamilySnapshot& f) const;
};

/// Creates a histogram (not yet registered); invalid options give an inert histogram (see status.h).
std::shared_ptr<Histogram> NewHistogram(HistogramOpts opts);

}  // namespace golivekit::observability
