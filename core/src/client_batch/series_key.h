#pragma once
// The key of a series by its label values, for lookups (BatchEncoder's last values, the merge engine's
// series index). Internal.
#include <string>
#include <vector>

namespace golivekit::observability::detail {

// The values, each followed by '\xff': that byte is never part of valid UTF-8, so no two value lists
// share a key.
inline std::string SeriesKey(const std::vector<std::string>& values) {
  std::string key;
  for (const std::string& v : values) {
    key += v;
    key += '\xff';
  }
  return key;
}

}  // namespace golivekit::observability::detail
