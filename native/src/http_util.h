#pragma once
// Helpers shared by the native HTTP endpoints (exporter.cc, ingest.cc). Internal.
#include <string>
#include <string_view>

namespace golivekit::observability::detail {

// `text` as a std::regex matching exactly that string: cpp-httplib's route patterns are regexes, and
// an endpoint's path is literal.
inline std::string RegexEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 2);
  for (const char c : text) {
    if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace golivekit::observability::detail
