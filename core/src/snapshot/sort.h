#pragma once
// Sorting for the core's orderings (label names, series, families). Internal.
//
// Every ordering goes through one out-of-line sort over 32-bit indices (a heapsort, sort.cc). std::sort
// instantiated per comparator and element type cost several KB of WebAssembly each (a fifth of the npm
// module before); the orderings here are off the hot paths (registration, the first scrape after new
// series), where an indirect comparison call does not matter.
#include <cstddef>
#include <cstdint>
#include <numeric>
#include <utility>
#include <vector>

#include "golivekit/observability/detail/metric_vec.h"

namespace golivekit::observability::detail {

/// Sorts `idx` (not stable) so that `less(idx[i + 1], idx[i])` is false for every i.
void SortIndices(IndexArray& idx, FunctionRef<bool(std::uint32_t, std::uint32_t)> less);

/// The order of `n` items by `less_at(a, b)` over their indices: idx[k] is the index of the k-th item.
template <class LessAt>
IndexArray SortedOrder(std::size_t n, LessAt less_at) {
  IndexArray idx(n);
  std::iota(idx.begin(), idx.end(), std::uint32_t{0});
  SortIndices(idx, less_at);
  return idx;
}

/// v[0, first) is sorted by `less`: sorts v[first, end) and merges the two (stable), moving each element
/// once, into a new vector that then takes v's place.
template <class T, class Less>
void SortTail(std::vector<T>& v, std::size_t first, Less less) {
  const std::size_t n = v.size() - first;
  if (n == 0) return;
  const IndexArray idx =
      SortedOrder(n, [&](std::uint32_t a, std::uint32_t b) { return less(v[first + a], v[first + b]); });
  std::vector<T> out;
  out.reserve(v.size());
  std::size_t i = 0;
  for (const std::uint32_t k : idx) {
    T& next = v[first + k];
    while (i < first && !less(next, v[i])) out.push_back(std::move(v[i++]));
    out.push_back(std::move(next));
  }
  while (i < first) out.push_back(std::move(v[i++]));
  v.swap(out);
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
