#pragma once
// Native buckets as spans (snapshot.h's NativeBuckets) and as sorted lists of (index, count): the form
// in which a scrape folds them, a client diffs two snapshots and the server merges clients.
#include <cstdint>
#include <vector>

#include "golivekit/observability/detail/native_cells.h"
#include "golivekit/observability/snapshot.h"

namespace golivekit::observability::detail {

/// One native bucket: its index at some schema, and its count.
struct IndexedCount {
  std::int32_t index;
  std::uint64_t count;
  friend bool operator==(const IndexedCount&, const IndexedCount&) = default;
};
/// The buckets of one sign, indexes strictly ascending.
using BucketList = std::vector<IndexedCount>;

/// Appends buckets (ascending indexes) to spans and counts, filling gaps of one or two buckets with zeros,
/// which costs less than a new span.
class SpanWriter {
 public:
  SpanWriter(std::vector<NativeSpan>& spans, std::vector<std::uint64_t>& counts);
  /// Adds `count` to the bucket `index`: a new one past the last, or the last one again. Returns whether
  /// it was new.
  bool Add(std::int32_t index, std::uint64_t count);

 private:
  std::vector<NativeSpan>& spans_;
  std::vector<std::uint64_t>& counts_;
  std::int32_t next_ = 0;  // the index after the last bucket
};

/// Reads the non-empty buckets that spans and counts cover, in index order, lowered `by` schemas
/// (neighbours that become one bucket are added up). The spans must be well formed (offsets after the
/// first >= 0, as gather and DecodeBatch check).
class BucketCursor {
 public:
  BucketCursor(const std::vector<NativeSpan>& spans, const std::vector<std::uint64_t>& counts,
               std::int32_t by)
      : spans_(spans), counts_(counts), by_(by) {}
  /// The next bucket; false at the end. Inline: the server's merge and the client's diff call it per bucket.
  bool Next(IndexedCount& out) {
    if (!pending_ && !NextUnlowered(next_)) return false;
    pending_ = false;
    out = {LowerNativeIndex(next_.index, by_), next_.count};
    while (NextUnlowered(next_)) {
      if (LowerNativeIndex(next_.index, by_) != out.index) {
        pending_ = true;
        break;
      }
      out.count += next_.count;
    }
    return true;
  }

 private:
  bool NextUnlowered(IndexedCount& out) {
    while (span_ < spans_.size()) {
      if (!entered_) {
        index_ = (span_ == 0 ? 0 : index_) + spans_[span_].offset;
        entered_ = true;
      }
      if (in_span_ < spans_[span_].length && at_ < counts_.size()) {
        ++in_span_;
        out = {index_++, counts_[at_++]};
        if (out.count != 0) return true;
        continue;
      }
      ++span_;
      in_span_ = 0;
      entered_ = false;
    }
    return false;
  }

  const std::vector<NativeSpan>& spans_;
  const std::vector<std::uint64_t>& counts_;
  std::int32_t by_;
  std::size_t span_ = 0;
  std::uint32_t in_span_ = 0;
  bool entered_ = false;  // index_ is at the current span's start (or within it)
  std::size_t at_ = 0;
  std::int32_t index_ = 0;
  bool pending_ = false;  // next_ was read ahead
  IndexedCount next_{0, 0};
};

/// Lowers the buckets `by` schemas (each 2^by neighbours become one, counts added); they stay sorted.
void LowerBuckets(BucketList& list, std::int32_t by);

/// The upper bound of bucket `index` at `schema`, `2^(index/2^schema)`, as the recording side's bounds
/// (NativeBucketIndex): a value `v > 0` is in bucket `i` exactly when `UpperBound(i-1) < v <= UpperBound(i)`.
double NativeUpperBound(std::int32_t index, std::int32_t schema) noexcept;

/// Replaces spans and counts with those of `list`.
void WriteSpans(const BucketList& list, std::vector<NativeSpan>& spans, std::vector<std::uint64_t>& counts);

}  // namespace golivekit::observability::detail
