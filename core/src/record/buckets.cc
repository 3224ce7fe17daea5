#include "golivekit/observability/buckets.h"

#include <cmath>

namespace golivekit::observability {

namespace {

// `count` bounds from `start`, each the one before plus `step` (linear) or times `step` (exponential):
// one path for both generators, their checks included. Exponential bounds start above 0, grow by a factor
// above 1 and must end finite; linear ones grow by a width above 0.
std::vector<double> Series(double start, double step, int count, bool times) {
  if (count < 1 || !(step > (times ? 1 : 0)) || (times && !(start > 0)) || !std::isfinite(start) ||
      !std::isfinite(step))
    return {};
  std::vector<double> b(static_cast<std::size_t>(count));
  for (double& bound : b) {
    bound = start;
    start = times ? start * step : start + step;
  }
  if (times && !std::isfinite(b.back())) return {};
  return b;
}

}  // namespace

std::vector<double> LinearBuckets(double start, double width, int count) {
  return Series(start, width, count, false);
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  return Series(start, factor, count, true);
}

std::vector<double> ExponentialBucketsRange(double min, double max, int count) {
  if (count < 1 || !(min > 0) || !std::isfinite(min)) return {};
  if (count == 1) return {min};
  if (!(max > min) || !std::isfinite(max)) return {};
  // As client_golang: factor = (max/min)^(1/(count-1)), so the last bucket is max (up to rounding).
  const double factor = std::pow(max / min, 1.0 / (count - 1));
  std::vector<double> b = ExponentialBuckets(min, factor, count);
  if (!b.empty()) b.back() = max;
  return b;
}

}  // namespace golivekit::observability
