#include "golivekit/observability/buckets.h"

#include <cmath>

namespace golivekit::observability {

std::vector<double> LinearBuckets(double start, double width, int count) {
  if (count < 1 || !(width > 0) || !std::isfinite(start) || !std::isfinite(width)) return {};
  std::vector<double> b(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    b[static_cast<std::size_t>(i)] = start;
    start += width;
  }
  return b;
}

std::vector<double> ExponentialBuckets(double start, double factor, int count) {
  if (count < 1 || !(start > 0) || !(factor > 1) || !std::isfinite(start) || !std::isfinite(factor))
    return {};
  std::vector<double> b(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    b[static_cast<std::size_t>(i)] = start;
    start *= factor;
  }
  if (!std::isfinite(b.back())) return {};
  return b;
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
