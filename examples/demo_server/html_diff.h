#pragma once
// A minimal LiveView-style diff between two renders of one component: the bytes both share at the
// front and at the back are kept, the middle is replaced. Applying it on the client:
//   next = prev.slice(0, keep_prefix) + insert + prev.slice(prev.length - keep_suffix)
// Renders are ASCII (see live_app.cc: HtmlEscape), so byte offsets equal JS string offsets.
#include <cstddef>
#include <string>
#include <string_view>

namespace demo {

struct HtmlDiff {
  std::size_t prev_size = 0;    // size of the previous render
  std::size_t keep_prefix = 0;  // bytes of the previous render kept at the front
  std::size_t keep_suffix = 0;  // bytes of the previous render kept at the back
  std::string insert;           // what replaces the middle
  /// True when the two renders are identical (nothing to send).
  [[nodiscard]] bool empty() const noexcept {
    return insert.empty() && keep_prefix + keep_suffix == prev_size;
  }
};

HtmlDiff ComputeDiff(std::string_view prev, std::string_view next);

}  // namespace demo
