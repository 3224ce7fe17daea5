// Go's strconv.FormatFloat(v, 'g', -1, 64), as client_golang's expfmt writes every sample value.
//
// {fmt} supplies the shortest round-trip digits on every toolchain we build with (em++ 3.1.6's libc++
// has no floating-point to_chars); we only re-render those digits in Go's notation, because no C/C++
// formatter picks Go's switch to exponent form (decimal exponent < -4 or >= 6 for shortest output).
#define FMT_HEADER_ONLY
#include <fmt/format.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>

#include "golivekit/observability/encode.h"

namespace golivekit::observability {
namespace {

void AppendInt(std::string& out, std::uint64_t v) {
  char buf[20];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

}  // namespace

void AppendFloat(std::string& out, double v, Format format) {
  const bool om = format == Format::kOpenMetrics;
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
    return;
  }
  if (v == 0) {  // also -0, which client_golang writes as 0
    out += om ? "0.0" : "0";
    return;
  }
  // Integers below 1e6 print as plain digits in both notations: the common case for counters.
  if (v > -1e6 && v < 1e6 && v == std::trunc(v)) {
    if (v < 0) out += '-';
    AppendInt(out, static_cast<std::uint64_t>(std::fabs(v)));
    if (om) out += ".0";
    return;
  }

  char buf[64];
  const auto res = fmt::format_to_n(buf, sizeof buf - 1, FMT_STRING("{}"), v);
  *res.out = '\0';  // std::atoi below reads the exponent up to the terminator
  const char* p = buf;
  const char* end = res.out;
  const bool neg = *p == '-';
  if (neg) ++p;

  // Significant digits of the mantissa, and dp: where the decimal point sits relative to them
  // (value = 0.d1d2... * 10^dp). Leading zeros after the point move it left.
  char digits[32];
  int nd = 0;
  int dp = 0;
  int exp = 0;
  bool seen_point = false;
  for (; p < end; ++p) {
    const char c = *p;
    if (c == '.') {
      seen_point = true;
    } else if (c == 'e' || c == 'E') {
      exp = std::atoi(p + 1);
      break;
    } else if (nd == 0 && c == '0') {
      if (seen_point) --dp;
    } else {
      if (nd < static_cast<int>(sizeof digits)) digits[nd++] = c;
      if (!seen_point) ++dp;
    }
  }
  while (nd > 1 && digits[nd - 1] == '0') --nd;
  dp += exp;
  const int x = dp - 1;  // decimal exponent of the first digit

  if (neg) out += '-';
  if (x < -4 || x >= 6) {
    out += digits[0];
    if (nd > 1) {
      out += '.';
      out.append(digits + 1, static_cast<std::size_t>(nd - 1));
    }
    out += 'e';
    out += x < 0 ? '-' : '+';
    const int ax = x < 0 ? -x : x;
    if (ax < 10) out += '0';
    AppendInt(out, static_cast<std::uint64_t>(ax));
    return;
  }
  bool has_point = false;
  if (dp <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-dp), '0');
    out.append(digits, static_cast<std::size_t>(nd));
    has_point = true;
  } else if (dp >= nd) {
    out.append(digits, static_cast<std::size_t>(nd));
    out.append(static_cast<std::size_t>(dp - nd), '0');
  } else {
    out.append(digits, static_cast<std::size_t>(dp));
    out += '.';
    out.append(digits + dp, static_cast<std::size_t>(nd - dp));
    has_point = true;
  }
  if (om && !has_point) out += ".0";
}

std::string FormatFloat(double value, Format format) {
  std::string s;
  AppendFloat(s, value, format);
  return s;
}

}  // namespace golivekit::observability
