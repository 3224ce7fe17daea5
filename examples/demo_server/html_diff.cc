#include "html_diff.h"

#include <algorithm>

namespace demo {

HtmlDiff ComputeDiff(std::string_view prev, std::string_view next) {
  HtmlDiff d;
  d.prev_size = prev.size();
  const std::size_t max_common = std::min(prev.size(), next.size());
  std::size_t p = 0;
  while (p < max_common && prev[p] == next[p]) ++p;
  std::size_t s = 0;
  while (s < max_common - p && prev[prev.size() - 1 - s] == next[next.size() - 1 - s]) ++s;
  d.keep_prefix = p;
  d.keep_suffix = s;
  d.insert.assign(next.substr(p, next.size() - p - s));
  return d;
}

}  // namespace demo
