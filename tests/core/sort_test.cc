// The core's one sort (snapshot/sort.h, an internal header): SortIndices and the helpers over it.
#include "snapshot/sort.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace detail = golivekit::observability::detail;

TEST_SUITE("core") {
  TEST_CASE("sort: SortIndices orders every size and shape of input") {
    std::mt19937 rng(7);
    for (std::uint32_t n : {0u, 1u, 2u, 3u, 4u, 5u, 7u, 8u, 16u, 17u, 100u, 1000u, 4099u}) {
      for (int shape = 0; shape < 4; ++shape) {
        // Random keys, few distinct keys (duplicates), ascending and descending.
        std::vector<int> keys(n);
        for (std::uint32_t i = 0; i < n; ++i) {
          keys[i] = shape == 0   ? static_cast<int>(rng())
                    : shape == 1 ? static_cast<int>(rng() % 3)
                    : shape == 2 ? static_cast<int>(i)
                                 : -static_cast<int>(i);
        }
        detail::IndexArray idx(n);
        for (std::uint32_t i = 0; i < n; ++i) idx[i] = i;
        detail::SortIndices(idx, [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; });
        CAPTURE(n);
        CAPTURE(shape);
        CHECK(std::is_sorted(idx.begin(), idx.end(),
                             [&](std::uint32_t a, std::uint32_t b) { return keys[a] < keys[b]; }));
        std::vector<std::uint32_t> seen(idx.begin(), idx.end());
        std::sort(seen.begin(), seen.end());
        for (std::uint32_t i = 0; i < n; ++i) CHECK(seen[i] == i);  // a permutation
      }
    }
  }

  TEST_CASE("sort: SortBy and SortTail move elements into order") {
    const auto less = [](const std::string& a, const std::string& b) { return a < b; };
    std::vector<std::string> v = {"m", "b", "z", "a", "k"};
    detail::SortBy(v, less);
    CHECK(v == std::vector<std::string>{"a", "b", "k", "m", "z"});
    // A sorted head and an unsorted tail, as the series order after new series.
    std::vector<std::string> w = {"b", "d", "f", "g", "a", "e", "c"};
    detail::SortTail(w, 3, less);
    CHECK(w == std::vector<std::string>{"a", "b", "c", "d", "e", "f", "g"});
    std::vector<std::string> all_new = {"c", "a", "b"};
    detail::SortTail(all_new, 0, less);
    CHECK(all_new == std::vector<std::string>{"a", "b", "c"});
    std::vector<std::string> none_new = {"a", "b"};
    detail::SortTail(none_new, 2, less);
    CHECK(none_new == std::vector<std::string>{"a", "b"});
  }
}
