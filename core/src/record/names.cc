#include "golivekit/observability/names.h"

#include <string>

#include "message.h"

namespace golivekit::observability {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A name as messages quote it: at most its first 64 bytes, and "..." when it is longer.
std::string_view Head(std::string_view s) { return s.substr(0, 64); }
const char* Ellipsis(std::string_view s) { return s.size() > 64 ? "..." : ""; }

using detail::Fail;

}  // namespace

Status CheckMetricName(std::string_view name) {
  if (name.empty()) return Fail(StatusCode::kInvalidArgument, "metric name is empty", {});
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c))) continue;
    return Fail(StatusCode::kInvalidArgument,
                "invalid metric name \"{}{}\": must match [a-zA-Z_:][a-zA-Z0-9_:]*",
                {Head(name), Ellipsis(name)});
  }
  return {};
}

Status CheckLabelName(std::string_view name) {
  if (name.empty()) return Fail(StatusCode::kInvalidArgument, "label name is empty", {});
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (IsAlpha(c) || c == '_' || (i > 0 && IsDigit(c))) continue;
    return Fail(StatusCode::kInvalidArgument,
                "invalid label name \"{}{}\": must match [a-zA-Z_][a-zA-Z0-9_]*",
                {Head(name), Ellipsis(name)});
  }
  if (name[0] == '_') {
    const char* why = name.size() >= 2 && name[1] == '_'
                          ? "names beginning with \"__\" are for Prometheus"
                          : "OpenMetrics reserves label names beginning with \"_\"";
    return Fail(StatusCode::kInvalidArgument, "label name \"{}{}\" is reserved: {}",
                {Head(name), Ellipsis(name), why});
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
