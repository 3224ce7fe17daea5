#include "snapshot/native_spans.h"

#include <cmath>

#include "golivekit/observability/detail/native_cells.h"

namespace golivekit::observability::detail {

SpanWriter::SpanWriter(std::vector<NativeSpan>& spans, std::vector<std::uint64_t>& counts)
    : spans_(spans), counts_(counts) {}

bool SpanWriter::Add(std::int32_t index, std::uint64_t count) {
  constexpr std::int32_t kMaxFilledGap = 2;
  if (!spans_.empty() && index == next_ - 1) {
    counts_.back() += count;
    return false;
  }
  std::int32_t fill = index - next_;
  // Two pushes, not one of a chosen offset: push_back is then a function of its own, which gzip takes
  // mostly as a copy of vector<uint64_t>'s, instead of its growth path inlined here.
  if (spans_.empty()) {
    spans_.push_back({index, 0});
    fill = 0;
  } else if (fill > kMaxFilledGap) {
    spans_.push_back({fill, 0});
    fill = 0;
  }
  // push_back, not resize: the growth path the native reads use too.
  for (std::int32_t k = 0; k < fill; ++k) counts_.push_back(0);
  counts_.push_back(std::uint64_t{count});
  spans_.back().length += static_cast<std::uint32_t>(fill) + 1;
  next_ = index + 1;
  return true;
}

void LowerBuckets(BucketList& list, std::int32_t by) {
  if (by <= 0 || list.empty()) return;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::int32_t index = LowerNativeIndex(list[i].index, by);
    if (kept > 0 && list[kept - 1].index == index) {
      list[kept - 1].count += list[i].count;
    } else {
      list[kept++] = {index, list[i].count};
    }
  }
  list.resize(kept);
}

double NativeUpperBound(std::int32_t index, std::int32_t schema) noexcept {
  if (schema <= 0) return std::ldexp(1.0, index * (1 << -schema));
  const std::int32_t per_octave = 1 << schema;
  const std::int32_t octave = index >= 0 ? index / per_octave : -((-index + per_octave - 1) / per_octave);
  const std::int32_t within = index - octave * per_octave;
  return std::ldexp(NativeFractions()[within << (kNativeSchemaMax - schema)], octave + 1);
}

void WriteSpans(const BucketList& list, std::vector<NativeSpan>& spans, std::vector<std::uint64_t>& counts) {
  spans.clear();
  counts.clear();
  SpanWriter writer(spans, counts);
  for (const IndexedCount& b : list) writer.Add(b.index, b.count);
}

}  // namespace golivekit::observability::detail
