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
/// Thread-safety: every member may be called from any thread; `Observe` through a handle takes no lock
/// and allocates nothing (one atomic add for the bucket, one compare-and-swap for the sum).
#include <array>
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

/// Options of `NewHistogram` (fields in this order, for designated initializers).
struct HistogramOpts {
  std::string name = {};
  std::string help = {};
  std::vector<std::string> labels = {};  ///< may not contain "le"
  /// Finite upper bounds, strictly increasing (no NaN, no -Inf); `+Inf` is implied (a trailing +Inf is
  /// dropped).
  /// Defaults to `DefaultBuckets`; an empty layout is an error.
  std::vector<double> buckets = DefaultBuckets;
};

/// A handle to one series of a histogram; same lifetime rules as `CounterChild`.
class HistogramChild : public detail::Handle<detail::HistogramCell> {
 public:
  HistogramChild() = default;

  /// Records one observation. NaN counts in the +Inf bucket and makes the sum NaN (as in client_golang).
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

  /// The validated finite bucket bounds.
  const std::vector<double>& buckets() const noexcept { return *bounds_; }

  Status Collect(std::vector<FamilySnapshot>& out) const override;

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
};

/// Creates a histogram (not yet registered); invalid options give an inert histogram (see status.h).
std::shared_ptr<Histogram> NewHistogram(HistogramOpts opts);

}  // namespace golivekit::observability
