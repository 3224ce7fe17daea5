#pragma once
/// \file
/// \brief Timer: measures a duration into a histogram.
///
/// \code
/// auto timer = obs::NewTimer(duration);
/// do_work();
/// double seconds = timer.ObserveDuration();
/// \endcode
///
/// Go's `defer timer.ObserveDuration()` has no direct C++ spelling; call ObserveDuration() where the
/// work ends, or use `ScopedTimer`, which observes when it goes out of scope.
///
/// Thread-safety: a Timer is a value; use one per measurement. The histogram may be shared.
#include <chrono>
#include <memory>

#include "golivekit/observability/histogram.h"

namespace golivekit::observability {

class Timer {
 public:
  /// Starts timing now (monotonic clock).
  explicit Timer(HistogramChild target) noexcept;

  /// Observes the seconds elapsed since the start into the histogram and returns them. Each call
  /// observes once more (the time since the start, not since the previous call).
  double ObserveDuration() const noexcept;

  /// Seconds elapsed since the start, without observing.
  [[nodiscard]] double Elapsed() const noexcept;

 private:
  HistogramChild target_;
  std::chrono::steady_clock::time_point start_;
};

/// A timer on a histogram without labels, or on one series of a labelled histogram.
Timer NewTimer(const std::shared_ptr<Histogram>& histogram);
Timer NewTimer(HistogramChild series);

/// Observes the elapsed time when destroyed (the C++ counterpart of `defer timer.ObserveDuration()`).
class ScopedTimer {
 public:
  explicit ScopedTimer(Timer timer) noexcept : timer_(std::move(timer)) {}
  ScopedTimer(const ScopedTimer&) = delete;
  ScopedTimer& operator=(const ScopedTimer&) = delete;
  ~ScopedTimer() { timer_.ObserveDuration(); }

 private:
  Timer timer_;
};

}  // namespace golivekit::observability
