#include "golivekit/observability/names.h"

#include <string>

namespace golivekit::observability {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string Quote(std::string_view s) {
  std::string q = "\"";
  q.append(s.substr(0, 64));
  if (s.size() > 64) q += "...";
  q += '"';
  return q;
}

}  // namespace

Status CheckMetricName(std::string_view name) {
  if (name.empty()) return InvalidArgument("metric name is empty");
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c))) continue;
    return InvalidArgument("invalid metric name " + Quote(name) + ": must match [a-zA-Z_:][a-zA-Z0-9_:]*");
  }
  return {};
}

Status CheckLabelName(std::string_view name) {
  if (name.empty()) return InvalidArgument("label name is empty");
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (IsAlpha(c) || c == '_' || (i > 0 && IsDigit(c))) continue;
    return InvalidArgument("invalid label name " + Quote(name) + ": must match [a-zA-Z_][a-zA-Z0-9_]*");
  }
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_') {
    return InvalidArgument("label name " + Quote(name) +
                           " is reserved: names beginning with \"__\" are for Prometheus");
  }
  if (name[0] == '_') {
    return InvalidArgument("label name " + Quote(name) +
                           " is reserved: OpenMetrics reserves label names beginning with \"_\"");
  }
  return {};
}

bool IsValidUtf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07u;
    } else {
      return false;  // continuation byte first, overlong 2-byte lead (C0, C1), or beyond U+10FFFF
    }
    if (static_cast<std::size_t>(end - p) < len) return false;
    for (std::size_t i = 1; i < len; ++i) {
      if ((p[i] & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
    if (cp >= 0xD800 && cp <= 0xDFFF) return false;                            // surrogate
    if (cp > 0x10FFFF) return false;
    p += len;
  }
  return true;
}

}  // namespace golivekit::observability
