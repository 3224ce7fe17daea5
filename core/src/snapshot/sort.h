#pragma once
// Sorting for the core's orderings (label names, series, families). Internal.
//
// Every ordering goes through one out-of-line sort over 32-bit indices (a heapsort, sort.cc). std::sort
// instantiated per comparator and element type cost several KB of WebAssembly each (a fifth of the npm
// module before); the orderings here are off the hot paths (registration, the first scrape after new
// series), where an indirect comparison call does not matter.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <numeric>
#include <utility>
#include <vector>

#include "golivekit/observability/detail/metric_vec.h"

namespace golivekit::observability::detail {

/// Sorts `idx` (not stable) so that `less(idx[i + 1], idx[i])` is false for every i.
void SortIndices(IndexArray& idx, FunctionRef<bool(std::uint32_t, std::uint32_t)> less);

/// The order of `n` items by `less_at(a, b)` over their indices: idx[k] is the index of the k-th item.
/// Out of line (sort.cc): every sort of the core shares its allocation, numbering and call.
IndexArray SortedOrder(std::size_t n, FunctionRef<bool(std::uint32_t, std::uint32_t)> less_at);

/// v[0, first) is sorted by `less`: sorts v[first, end) and merges the two (stable) in place. The tail is
/// moved out in its sorted order (an array of the tail's size, usually far smaller than v), and the
/// merge fills v from the back, into the room the tail left. No vector reserve and growth: the
/// WebAssembly module is 94 B smaller than with a merge into a new vector, and a scrape after new series
/// allocates and moves only what the tail needs.
template <class T, class Less>
void SortTail(std::vector<T>& v, std::size_t first, Less less) {
  const std::size_t n = v.size() - first;
  if (n == 0) return;
  const IndexArray idx =
      SortedOrder(n, [&](std::uint32_t a, std::uint32_t b) { return less(v[first + a], v[first + b]); });
  const std::unique_ptr<T[]> tail(new T[n]);
  for (std::size_t k = 0; k < n; ++k) tail[k] = std::move(v[first + idx[k]]);
  // From the back: the greater of the two runs' last elements, the prefix's only if strictly greater (a
  // tie keeps the prefix's element first).
  for (std::size_t i = first, j = n, w = v.size(); j > 0;) {
    v[--w] = i > 0 && less(tail[j - 1], v[i - 1]) ? std::move(v[--i]) : std::move(tail[--j]);
  }
}

/// Sorts v by `less`, moving each element once (into a new vector, which then takes v's place).
/// SortTail with nothing sorted before, written out: as a call of SortTail, each element type it sorts
/// would carry the merge loop too (measured: +0.2 KB of the npm module).
template <class T, class Less>
void SortBy(std::vector<T>& v, Less less) {
  const std::size_t n = v.size();
  if (n < 2) return;
  const IndexArray idx = SortedOrder(n, [&](std::uint32_t a, std::uint32_t b) { return less(v[a], v[b]); });
  std::vector<T> sorted;
  sorted.reserve(n);
  for (const std::uint32_t i : idx) sorted.push_back(std::move(v[i]));
  v.swap(sorted);
}

}  // namespace golivekit::observability::detail
