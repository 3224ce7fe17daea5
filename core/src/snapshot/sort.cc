#include "snapshot/sort.h"

#include <algorithm>

namespace golivekit::observability::detail {

void SortIndices(std::vector<std::uint32_t>& idx, FunctionRef<bool(std::uint32_t, std::uint32_t)> less) {
  std::sort(idx.begin(), idx.end(), [&](std::uint32_t a, std::uint32_t b) { return less(a, b); });
}

}  // namespace golivekit::observability::detail
