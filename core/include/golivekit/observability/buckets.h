#pragma once
/// \file
/// \brief Histogram bucket layouts: the spec's defaults and the usual generators.
///
/// Every generator returns finite upper bounds in strictly increasing order; the `+Inf` bucket is always
/// implied and never listed. Invalid arguments (the ones client_golang panics on) give an empty vector,
/// which `NewHistogram` rejects with a clear error, so a mistake cannot silently become another layout.
#include <vector>

namespace golivekit::observability {

/// The spec's default latency buckets, in seconds: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
inline const std::vector<double> DefaultBuckets = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

/// `count` buckets `start, start+width, …`. Empty unless `count >= 1` and `width > 0`.
/// Example: `LinearBuckets(0, 100, 10)` → 0, 100, …, 900.
std::vector<double> LinearBuckets(double start, double width, int count);

/// `count` buckets `start, start*factor, …`. Empty unless `count >= 1`, `start > 0`, `factor > 1`.
/// Example: `ExponentialBuckets(1, 2, 10)` → 1, 2, 4, …, 512.
std::vector<double> ExponentialBuckets(double start, double factor, int count);

/// `count` exponentially spaced buckets from `min` to `max`, both included.
/// Empty unless `count >= 1` (`count == 1` gives {min}), `0 < min < max` when count > 1.
std::vector<double> ExponentialBucketsRange(double min, double max, int count);

}  // namespace golivekit::observability
