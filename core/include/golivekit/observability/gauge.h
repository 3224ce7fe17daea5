#pragma once
/// \file
/// \brief Gauge: a value that goes up and down (connections open, queue length, temperature).
///
/// \code
/// auto active = obs::NewGauge({.name = "golivekit_active_connections",
///                              .help = "Number of active WebSocket connections"});
/// active->Set(100);
/// active->Inc();
/// active->Sub(5);
/// \endcode
///
/// Thread-safety: every member may be called from any thread; updates through a handle take no lock and
/// allocate nothing (`Add`/`Sub`/`Inc`/`Dec` are a compare-and-swap loop, `Set` a store).
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

/// Options of `NewGauge` (fields in this order, for designated initializers).
struct GaugeOpts {
  std::string name = {};
  std::string help = {};
  std::vector<std::string> labels = {};  /// The most series (label sets) kept, the overflow series included;
                                         /// 0: no limit. With max_series - 1
  /// others, a new label set goes to the one overflow series, whose label values are all `__overflow__`
  /// (counted in a registry's golivekit_registry_overflow_samples_total{metric}).
  std::size_t max_series = 0;
  /// A series not updated for this long goes at the next gather (counted in whole seconds, rounded
  /// up; see docs/api-cpp.md, "Series limits and lifetimes"); 0: series never expire.
  std::chrono::milliseconds series_ttl{0};
};

/// Seconds since the Unix epoch, as `SetToCurrentTime` records it.
double UnixSeconds() noexcept;

/// A handle to one series of a gauge; same lifetime rules as `CounterChild`.
class GaugeChild : public detail::Handle<detail::GaugeCell> {
 public:
  GaugeChild() = default;

  void Set(double v) const noexcept {
    if (cell_) cell_->Set(v);
  }
  void Inc() const noexcept { Add(1); }
  void Dec() const noexcept { Add(-1); }
  void Add(double delta) const noexcept {
    if (cell_) cell_->Add(delta);
  }
  void Sub(double delta) const noexcept { Add(-delta); }
  /// Sets the gauge to the current Unix time in seconds.
  void SetToCurrentTime() const noexcept { Set(UnixSeconds()); }
  [[nodiscard]] double Value() const noexcept { return cell_ ? cell_->Value() : 0; }

 private:
  friend class Gauge;
  GaugeChild(detail::CellBase* adopted, Status status) : Handle(adopted, std::move(status)) {}
};

/// A gauge family. Create with `NewGauge`, register with `Registry::Register`.
class Gauge final : public detail::MetricVec {
 public:
  explicit Gauge(GaugeOpts opts);

  /// See `Counter::WithLabels`.
  template <class... V>
  requires(std::is_convertible_v<const V&, std::string_view>&&...) GaugeChild WithLabels(const V&... values) {
    const std::array<std::string_view, sizeof...(V)> a{std::string_view(values)...};
    return WithLabelValues(a);
  }
  GaugeChild WithLabelValues(std::span<const std::string_view> values);
  GaugeChild WithLabelValues(const std::vector<std::string>& values);

  /// For a gauge without labels (on a gauge with labels these do nothing: use WithLabels).
  void Set(double v) const noexcept {
    if (auto* c = cell()) c->Set(v);
  }
  void Inc() const noexcept { Add(1); }
  void Dec() const noexcept { Add(-1); }
  void Add(double delta) const noexcept {
    if (auto* c = cell()) c->Add(delta);
  }
  void Sub(double delta) const noexcept { Add(-delta); }
  void SetToCurrentTime() const noexcept { Set(UnixSeconds()); }
  [[nodiscard]] double Value() const noexcept { return cell() ? cell()->Value() : 0; }

  Status Collect(std::vector<FamilySnapshot>& out) const override;
  /// Overwrites `f` with this metric's family, keeping the capacity of its vectors and strings (what
  /// `Registry::Gather(Snapshot&)` calls; not virtual, so a module that never refills does not carry it).
  void Refill(FamilySnapshot& f) const;

 private:
  detail::GaugeCell* cell() const noexcept { return static_cast<detail::GaugeCell*>(default_cell()); }
};

/// Creates a gauge (not yet registered); invalid options give an inert gauge (see status.h).
std::shared_ptr<Gauge> NewGauge(GaugeOpts opts);

}  // namespace golivekit::observability
