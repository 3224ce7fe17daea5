#pragma once
// Reading native buckets for a snapshot (native_buckets.cc).
#include <cstdint>
#include <vector>

#include "golivekit/observability/detail/native_cells.h"
#include "golivekit/observability/snapshot.h"

namespace golivekit::observability::detail {

/// client_golang's rule: the coarsest schema whose bucket growth is at most `factor` (> 1), within -4..8.
std::int32_t PickNativeSchema(double factor) noexcept;

/// One word of a bucket read (two per bucket: key, count); plain words share the vector code of the
/// classic buckets.
using NativeBucketRead = std::uint64_t;

/// Reads `cell` into `out` (spans ascending; gaps of one or two empty buckets are filled with zeros, which
/// costs less than a new span) and returns the observation count from the same reads: zero bucket, every
/// bucket and the NaN observations. Lowers the resolution further if the buckets read exceed
/// `max_buckets` (tables filled concurrently can overshoot by a few keys).
/// `scratch` is working memory the caller keeps between series.
std::uint64_t ReadNativeBuckets(const NativeBucketsCell& cell, NativeBuckets& out,
                                std::vector<NativeBucketRead>& scratch);

/// The observation count alone.
std::uint64_t NativeObservationCount(const NativeBucketsCell& cell) noexcept;

}  // namespace golivekit::observability::detail
