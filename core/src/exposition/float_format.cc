// Go's strconv.FormatFloat(v, 'g', -1, 64), as client_golang's expfmt writes every sample value.
//
// {fmt} supplies the shortest round-trip digits on every toolchain we build with (em++ 3.1.6's libc++
// has no floating-point to_chars); we only re-render those digits in Go's notation, because no C/C++
// formatter picks Go's switch to exponent form (decimal exponent < -4 or >= 6 for shortest output).
//
// A build may take the digits from its embedder instead (detail/float_hook.h): the npm module gets them
// from the JS engine, which keeps {fmt}'s code and tables out of the module.
#include "golivekit/observability/detail/float_hook.h"
#if !defined(GLK_OBS_HOST_SHORTEST_DIGITS)
// FMT_COMPILE formats without {fmt}'s run-time format-string parser, and the static thousands separator
// keeps std::locale out.
#define FMT_HEADER_ONLY
#define FMT_STATIC_THOUSANDS_SEPARATOR ','
#include <fmt/compile.h>
#include <fmt/format.h>
#endif

#include <cmath>
#include <cstdint>

#include "exposition/put_uint.h"
#include "golivekit/observability/encode.h"

namespace golivekit::observability {

using detail::PutCString;

char* FormatFloatTo(char* out, double v, Format format) {
  const bool om = format == Format::kOpenMetrics;
  if (std::isnan(v)) {
    return PutCString(out, "NaN");
  }
  if (std::isinf(v)) {
    return PutCString(out, v > 0 ? "+Inf" : "-Inf");
  }
  if (v == 0) {  // also -0, which client_golang writes as 0
    return PutCString(out, om ? "0.0" : "0");
  }
  // Integers below 1e6 print as plain digits in both notations: the common case for counters.
  if (v > -1e6 && v < 1e6 && v == std::trunc(v)) {
    if (v < 0) *out++ = '-';
    out = detail::PutUint(out, static_cast<std::uint64_t>(std::fabs(v)));
    return om ? PutCString(out, ".0") : out;
  }

  char buf[64];
#if defined(GLK_OBS_HOST_SHORTEST_DIGITS)
  char* const end = buf + glk_obs_host_shortest(v, buf);
#else
  char* const end = fmt::format_to_n(buf, sizeof buf - 1, FMT_COMPILE("{}"), v).out;
#endif
  const char* p = buf;
  if (*p == '-') *out++ = *p++;

  // The significant digits, written over buf's front (never past the character being read), and dp:
  // where the decimal point sits relative to them (value = 0.d1d2... * 10^dp). Leading zeros after the
  // point move it left.
  char* const digits = buf;
  int nd = 0;
  int dp = 0;
  bool seen_point = false;
  for (; p < end && *p != 'e' && *p != 'E'; ++p) {
    const char c = *p;
    if (c == '.') {
      seen_point = true;
    } else if (nd == 0 && c == '0') {
      dp -= seen_point;
    } else {
      digits[nd++] = c;
      dp += !seen_point;
    }
  }
  // The exponent, read here rather than by std::atoi (a sign, then digits: nothing else can follow).
  int exp = 0;
  bool exp_negative = false;
  while (++p < end) {
    if (*p == '-') {
      exp_negative = true;
    } else if (*p != '+') {
      exp = 10 * exp + (*p - '0');
    }
  }
  while (nd > 1 && digits[nd - 1] == '0') --nd;
  dp += exp_negative ? -exp : exp;
  const int x = dp - 1;  // decimal exponent of the first digit

  // Exponent form writes its mantissa as fixed notation with the point after the first digit.
  const bool exponent_form = x < -4 || x >= 6;
  if (exponent_form) dp = 1;
  // Fixed notation: the exponent is in [-4, 5], so at most 4 leading zeros (from position dp - 1, the 0
  // before the point, when dp <= 0). Only a value that is not an integer gets here (integers below 1e6
  // took the shortcut above, larger ones have x >= 6), so its digits always reach past the point: the
  // OpenMetrics ".0" is never needed.
  for (int i = dp > 0 ? 0 : dp - 1; i < nd || i < dp; ++i) {
    if (i == dp) *out++ = '.';
    *out++ = i >= 0 && i < nd ? digits[i] : '0';
  }
  if (!exponent_form) return out;
  *out++ = 'e';
  *out++ = x < 0 ? '-' : '+';
  const int ax = x < 0 ? -x : x;
  if (ax < 10) *out++ = '0';
  return detail::PutUint(out, static_cast<std::uint64_t>(ax));
}

void AppendFloat(std::string& out, double v, Format format) {
  char buf[kMaxFloatChars];
  out.append(buf, static_cast<std::size_t>(FormatFloatTo(buf, v, format) - buf));
}

std::string FormatFloat(double value, Format format) {
  std::string s;
  AppendFloat(s, value, format);
  return s;
}

}  // namespace golivekit::observability
