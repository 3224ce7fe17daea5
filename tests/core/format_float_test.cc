// FormatFloat (encode.h): Go's strconv.FormatFloat(v, 'g', -1, 64) as client_golang writes it, and the
// OpenMetrics variant (docs/exposition.md, "Float formatting").
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>

#include "golivekit/observability/encode.h"
#include "test_util.h"

namespace obs = golivekit::observability;

namespace {

using glk_obs_test::SplitMix64;

double FromBits(std::uint64_t b) {
  double d;
  std::memcpy(&d, &b, sizeof d);
  return d;
}

// An independent reference for Go's 'g' / -1 formatting: the shortest "%.*e" that round-trips gives
// the shortest correctly rounded digits; then Go's notation rule (exponent < -4 or >= 6).
std::string ReferenceGo(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == 0) return "0";
  char buf[64];
  int prec = 0;
  for (; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*e", prec, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string s = buf;
  std::string sign;
  if (s[0] == '-') {
    sign = "-";
    s.erase(0, 1);
  }
  const auto e = s.find('e');
  std::string mant = s.substr(0, e);
  const int exp = std::atoi(s.c_str() + e + 1);
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  std::string out = sign;
  if (exp < -4 || exp >= 6) {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += eb;
  } else if (exp >= 0) {
    std::string intpart = digits.substr(0, std::min<std::size_t>(digits.size(), exp + 1));
    while (intpart.size() < static_cast<std::size_t>(exp + 1)) intpart += '0';
    out += intpart;
    if (digits.size() > static_cast<std::size_t>(exp + 1)) out += "." + digits.substr(exp + 1);
  } else {
    out += "0." + std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
  }
  return out;
}

}  // namespace

TEST_SUITE("core") {
  TEST_CASE("format_float: Go strings for text 0.0.4") {
    struct Case {
      double v;
      const char* want;
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const Case cases[] = {
        {1, "1"},
        {0, "0"},
        {-1, "-1"},
        {nan, "NaN"},
        {inf, "+Inf"},
        {-inf, "-Inf"},
        {100000, "100000"},
        {1e6, "1e+06"},
        {1.5e6, "1.5e+06"},
        {1.7560473e+06, "1.7560473e+06"},
        {123456, "123456"},
        {0.0001, "0.0001"},
        {1e-05, "1e-05"},
        {0.1 + 0.2, "0.30000000000000004"},
        {3.14e+42, "3.14e+42"},
        {5e-324, "5e-324"},
        {1.458255915e+09, "1.458255915e+09"},
        {-0.5, "-0.5"},
        {1.7976931348623157e+308, "1.7976931348623157e+308"},
        {0.1, "0.1"},
        {1e+21, "1e+21"},
        {123456789, "1.23456789e+08"},
        {999999, "999999"},
        {1000000.5, "1.0000005e+06"},
        {0.00012345, "0.00012345"},
        {0.000012345, "1.2345e-05"},
        {2.5, "2.5"},
        {0.005, "0.005"},
        {7.203, "7.203"},
        {-1.5e-07, "-1.5e-07"},
        {1e100, "1e+100"},
        {2.2250738585072014e-308, "2.2250738585072014e-308"},
        {9007199254740993.0, "9.007199254740992e+15"},
        {42, "42"},
        {-42.25, "-42.25"},
        {0.23, "0.23"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.want);
      CHECK(obs::FormatFloat(c.v) == c.want);
      CHECK(obs::FormatFloat(c.v, obs::Format::kText) == c.want);
    }
  }

  TEST_CASE("format_float: negative zero is written 0 as client_golang does") {
    // client_golang's writeFloat tests `f == 0` before formatting, so -0 becomes "0" (and "0.0").
    CHECK(obs::FormatFloat(-0.0) == "0");
    CHECK(obs::FormatFloat(-0.0, obs::Format::kOpenMetrics) == "0.0");
  }

  TEST_CASE("format_float: OpenMetrics appends .0 to integral spellings") {
    struct Case {
      double v;
      const char* want;
    };
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    const Case cases[] = {
        {42, "42.0"},         {0, "0.0"},       {1, "1.0"},
        {-1, "-1.0"},         {17, "17.0"},     {1e6, "1e+06"},
        {0.005, "0.005"},     {10, "10.0"},     {1e-10, "1e-10"},
        {1e-09, "1e-09"},     {1e-05, "1e-05"}, {0.0001, "0.0001"},
        {100000, "100000.0"}, {1e10, "1e+10"},  {0.001, "0.001"},
        {0.9, "0.9"},         {0.95, "0.95"},   {0.999, "0.999"},
        {1.7, "1.7"},         {172.8, "172.8"}, {1.7560473e+06, "1.7560473e+06"},
        {12345.6, "12345.6"}, {nan, "NaN"},     {inf, "+Inf"},
        {-inf, "-Inf"},       {-3, "-3.0"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.want);
      CHECK(obs::FormatFloat(c.v, obs::Format::kOpenMetrics) == c.want);
    }
  }

  TEST_CASE("format_float: AppendFloat appends the same spelling") {
    std::string out = "x ";
    obs::AppendFloat(out, 1.5e6);
    CHECK(out == "x 1.5e+06");
    obs::AppendFloat(out, 42, obs::Format::kOpenMetrics);
    CHECK(out == "x 1.5e+0642.0");
    std::string nan;
    obs::AppendFloat(nan, std::numeric_limits<double>::quiet_NaN());
    CHECK(nan == "NaN");
  }

  TEST_CASE("format_float: pseudo-random doubles round-trip and match the Go reference") {
    std::uint64_t state = 0x5eed;
    int checked = 0;
    for (int i = 0; i < 20000; ++i) {
      double v;
      switch (i % 4) {
        case 0:  // any bit pattern (all magnitudes, subnormals included)
          v = FromBits(SplitMix64(state));
          break;
        case 1:  // "human" decimals with few digits
          v = static_cast<double>(static_cast<std::int64_t>(SplitMix64(state) % 2000001) - 1000000) /
              std::pow(10.0, static_cast<int>(SplitMix64(state) % 12));
          break;
        case 2:  // integers around the notation switch (1e5 .. 1e7)
          v = static_cast<double>(SplitMix64(state) % 10000000);
          break;
        default:  // small values around 1e-4 .. 1e-5
          v = static_cast<double>(SplitMix64(state) >> 11) / 9007199254740992.0 * 0.001;
          break;
      }
      if (!std::isfinite(v)) continue;
      const std::string text = obs::FormatFloat(v);
      char* end = nullptr;
      const double back = std::strtod(text.c_str(), &end);
      CAPTURE(text);
      REQUIRE(end == text.c_str() + text.size());
      CHECK(back == v);
      if (v != 0 && v != 1 && v != -1) {
        CHECK(text == ReferenceGo(v));
      }
      const std::string om = obs::FormatFloat(v, obs::Format::kOpenMetrics);
      const bool has_point = om.find_first_of(".e") != std::string::npos;
      CHECK(has_point);
      CHECK(std::strtod(om.c_str(), nullptr) == v);
      ++checked;
    }
    CHECK(checked > 19000);
  }
}
