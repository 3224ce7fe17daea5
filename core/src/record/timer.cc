#include "golivekit/observability/timer.h"

namespace golivekit::observability {

Timer::Timer(HistogramChild target) noexcept
    : target_(std::move(target)), start_(std::chrono::steady_clock::now()) {}

double Timer::Elapsed() const noexcept {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

double Timer::ObserveDuration() const noexcept {
  const double s = Elapsed();
  target_.Observe(s);
  return s;
}

Timer NewTimer(const std::shared_ptr<Histogram>& histogram) {
  return Timer(histogram ? histogram->WithLabels() : HistogramChild());
}

Timer NewTimer(HistogramChild series) { return Timer(std::move(series)); }

}  // namespace golivekit::observability
