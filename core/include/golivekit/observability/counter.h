#pragma once
/// \file
/// \brief Counter: a value that only goes up (requests served, errors seen).
///
/// \code
/// auto connections = obs::NewCounter({
///     .name = "golivekit_websocket_connections_total",
///     .help = "Total number of WebSocket connections",
///     .labels = {"status"},
/// });
/// connections->WithLabels("success").Inc();
/// auto errors = connections->WithLabels("error");  // keep the handle: later updates do no lookup
/// errors.Inc();
/// \endcode
///
/// Thread-safety: every member may be called from any thread. `Inc`/`Add` through a handle take no lock
/// and allocate nothing (a series that two threads update at once allocates its per-thread stripe once);
/// `WithLabels` takes a shared lock for the lookup and an exclusive one only to create a series.
#include <array>
#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "golivekit/observability/detail/cells.h"
#include "golivekit/observability/detail/handle.h"
#include "golivekit/observability/detail/metric_vec.h"

namespace golivekit::observability {

/// Options of `NewCounter` (fields in this order, for designated initializers).
struct CounterOpts {
  std::string name = {};  ///< e.g. "myapp_page_views_total"; see CheckMetricName
  std::string help = {};  ///< HELP text, any UTF-8
  std::vector<std::string> labels =
      {};  ///< label names, e.g. {"method", "code"}; see CheckLabelName  /// The most series (label sets)
           ///< kept, the overflow series included; 0: no limit. With max_series - 1
  /// others, a new label set goes to the one overflow series, whose label values are all `__overflow__`
  /// (counted in a registry's golivekit_registry_overflow_samples_total{metric}).
  std::size_t max_series = 0;
  /// A series not updated for this long goes at the next gather (counted in whole seconds, rounded
  /// up; see docs/api-cpp.md, "Series limits and lifetimes"); 0: series never expire.
  std::chrono::milliseconds series_ttl{0};
};

/// A handle to one series of a counter, returned by `Counter::WithLabels`. Cheap to copy; keep it to
/// update without a lookup. A kept handle stays valid after `Counter::Delete`/`Reset` and even after the
/// counter itself is gone: its series is then *detached* — updates are accepted but no longer exported
/// (call `WithLabels` again to get the live series).
class CounterChild : public detail::Handle<detail::CounterCell> {
 public:
  CounterChild() = default;

  /// Adds 1.
  void Inc() const noexcept {
    if (cell_) cell_->Inc();
  }
  /// Adds `delta`. A negative or NaN delta is rejected (InvalidArgument) and changes nothing.
  Status Add(double delta) const;
  /// The current value (0 for an inert handle).
  [[nodiscard]] double Value() const noexcept { return cell_ ? cell_->Value() : 0; }

 private:
  friend class Counter;
  CounterChild(detail::CellBase* adopted, Status status) : Handle(adopted, std::move(status)) {}
};

/// A counter family. Create with `NewCounter`, register with `Registry::Register`.
class Counter final : public detail::MetricVec {
 public:
  explicit Counter(CounterOpts opts);

  /// The series for these label values (one per label name, in the order of `CounterOpts::labels`).
  /// A wrong count or invalid UTF-8 gives an inert handle whose status() says why.
  template <class... V>
  requires(std::is_convertible_v<const V&, std::string_view>&&...) CounterChild
      WithLabels(const V&... values) {
    const std::array<std::string_view, sizeof...(V)> a{std::string_view(values)...};
    return WithLabelValues(a);
  }
  CounterChild WithLabelValues(std::span<const std::string_view> values);
  CounterChild WithLabelValues(const std::vector<std::string>& values);

  /// For a counter without labels: `Inc`, `Add`, `Value` of its one series. On a counter with labels
  /// these do nothing (Add returns FailedPrecondition, Value returns 0): use WithLabels.
  void Inc() const noexcept {
    if (auto* c = default_cell()) static_cast<detail::CounterCell*>(c)->Inc();
  }
  Status Add(double delta) const;
  [[nodiscard]] double Value() const noexcept;

  Status Collect(std::vector<FamilySnapshot>& out) const override;
  /// Overwrites `f` with this metric's family, keeping the capacity of its vectors and strings (what
  /// `Registry::Gather(Snapshot&)` calls; not virtual, so a module that never refills does not carry it).
  void Refill(FamilySnapshot& f) const;
};

/// Creates a counter (not yet registered). Invalid options give an inert counter whose status() says
/// why; `Registry::Register` refuses it with that error.
std::shared_ptr<Counter> NewCounter(CounterOpts opts);

}  // namespace golivekit::observability
