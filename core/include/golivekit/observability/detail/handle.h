#pragma once
// The common part of CounterChild, GaugeChild and HistogramChild. Not part of the public API.
#include <utility>

#include "golivekit/observability/detail/metric_vec.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability::detail {

template <class Cell>
class Handle {
 public:
  /// An inert handle: every update does nothing.
  Handle() : status_(FailedPrecondition("empty metric handle")) {}

  /// True if updates through this handle are recorded.
  [[nodiscard]] bool ok() const noexcept { return static_cast<bool>(cell_); }
  /// OK, or why the handle is inert (wrong label count, invalid label value, inert metric).
  [[nodiscard]] const Status& status() const noexcept { return status_; }

  /// The cell behind a handle (null if inert), found by argument-dependent lookup: for an embedder that
  /// updates cells in place (the npm module, wasm/hot_paths.cc). Alive as long as the handle is.
  friend Cell* CellOf(const Handle& h) noexcept { return h.cell_.get(); }

 protected:
  /// Adopts one counted reference to `adopted` (null for an inert handle, with `status` saying why).
  Handle(CellBase* adopted, Status status) : cell_(static_cast<Cell*>(adopted)), status_(std::move(status)) {}

  CellRef<Cell> cell_;
  Status status_;
};

}  // namespace golivekit::observability::detail
