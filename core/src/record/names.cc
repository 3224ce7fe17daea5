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

// Each check picks its refusal's pattern; one call then quotes the name (and a reason) into it.
Status Refuse(const char* pattern, std::string_view name, const char* why = "") {
  if (pattern == nullptr) return {};
  return Fail(StatusCode::kInvalidArgument, pattern, {Head(name), Ellipsis(name), why});
}

}  // namespace

Status CheckMetricName(std::string_view name) {
  const char* pattern = name.empty() ? "metric name is empty" : nullptr;
  for (std::size_t i = 0; i < name.size() && pattern == nullptr; ++i) {
    const char c = name[i];
    if (!(IsAlpha(c) || c == '_' || c == ':' || (i > 0 && IsDigit(c))))
      pattern = "invalid metric name \"{}{}\": must match [a-zA-Z_:][a-zA-Z0-9_:]*";
  }
  return Refuse(pattern, name);
}

Status CheckLabelName(std::string_view name) {
  const char* pattern = name.empty() ? "label name is empty" : nullptr;
  for (std::size_t i = 0; i < name.size() && pattern == nullptr; ++i) {
    const char c = name[i];
    if (!(IsAlpha(c) || c == '_' || (i > 0 && IsDigit(c))))
      pattern = "invalid label name \"{}{}\": must match [a-zA-Z_][a-zA-Z0-9_]*";
  }
  const char* why = "";
  if (pattern == nullptr && name[0] == '_') {
    pattern = "label name \"{}{}\" is reserved: {}";
    why = name.size() >= 2 && name[1] == '_' ? "names beginning with \"__\" are for Prometheus"
                                             : "OpenMetrics reserves label names beginning with \"_\"";
  }
  return Refuse(pattern, name, why);
}

// One loop for every sequence length: the lead byte gives the number of continuation bytes and the
// least code point that length may encode (a smaller one is an overlong form).
bool IsValidUtf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    std::uint32_t cp = *p++;
    if (cp < 0x80) continue;
    // C0 and C1 would be overlong two-byte leads, F5 and above beyond U+10FFFF; 80..BF continue only.
    if (cp < 0xC2 || cp > 0xF4) return false;
    const int more = cp < 0xE0 ? 1 : cp < 0xF0 ? 2 : 3;
    const std::uint32_t least = more == 1 ? 0x80 : more == 2 ? 0x800 : 0x10000;
    if (end - p < more) return false;
    cp &= 0x3Fu >> more;
    for (int i = 0; i < more; ++i, ++p) {
      if ((*p & 0xC0u) != 0x80u) return false;
      cp = (cp << 6) | (*p & 0x3Fu);
    }
    if (cp < least || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
  }
  return true;
}

}  // namespace golivekit::observability
