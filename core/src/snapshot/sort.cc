#include "snapshot/sort.h"

#include <numeric>
#include <utility>

namespace golivekit::observability::detail {

// Heapsort: in place and O(n log n) at worst, in a few hundred bytes of WebAssembly where the
// instantiation of std::sort's introsort took 2 KB. Every ordering of the core is by unique keys (so
// stability does not matter) and off the hot paths.
void SortIndices(IndexArray& idx, FunctionRef<bool(std::uint32_t, std::uint32_t)> less) {
  // Moves idx[i] down the max-heap idx[0, end) until no child is greater.
  const auto sift_down = [&](std::size_t i, std::size_t end) {
    for (std::size_t child; (child = 2 * i + 1) < end; i = child) {
      if (child + 1 < end && less(idx[child], idx[child + 1])) ++child;
      if (!less(idx[i], idx[child])) return;
      std::swap(idx[i], idx[child]);
    }
  };
  const std::size_t n = idx.size();
  for (std::size_t i = n / 2; i-- > 0;) sift_down(i, n);
  for (std::size_t end = n; end > 1; --end) {
    std::swap(idx[0], idx[end - 1]);
    sift_down(0, end - 1);
  }
}

IndexArray SortedOrder(std::size_t n, FunctionRef<bool(std::uint32_t, std::uint32_t)> less_at) {
  IndexArray idx(n);
  std::iota(idx.begin(), idx.end(), std::uint32_t{0});
  SortIndices(idx, less_at);
  return idx;
}

}  // namespace golivekit::observability::detail
