// Name and UTF-8 validation (names.h, docs/exposition.md, "Names").
#include "golivekit/observability/names.h"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace obs = golivekit::observability;
using namespace std::string_view_literals;

TEST_SUITE("core") {
  TEST_CASE("names: valid metric names") {
    for (std::string_view n :
         {"a"sv, "A"sv, "_"sv, ":"sv, "abc_def"sv, "http_requests_total"sv, "a1"sv, "job:rate5m:sum"sv,
          ":leading_colon"sv, "_leading_underscore"sv, "__double"sv, "Z9_:x"sv}) {
      CAPTURE(n);
      CHECK(obs::CheckMetricName(n).ok());
    }
  }

  TEST_CASE("names: invalid metric names") {
    for (std::string_view n : {""sv, "1abc"sv, "9"sv, "a-b"sv, "a b"sv, "a.b"sv, "a/b"sv, "Björn"sv,
                               "\xe4\xbd\x96"sv, "abc\n"sv, " abc"sv, "abc{"sv, "a\"b"sv, "a\0b"sv}) {
      CAPTURE(n);
      obs::Status s = obs::CheckMetricName(n);
      CHECK_FALSE(s.ok());
      CHECK(s.code() == obs::StatusCode::kInvalidArgument);
    }
  }

  TEST_CASE("names: valid label names") {
    for (std::string_view n :
         {"a"sv, "A"sv, "method"sv, "status_code"sv, "a1"sv, "le"sv, "quantile"sv, "Z_9"sv}) {
      CAPTURE(n);
      CHECK(obs::CheckLabelName(n).ok());
    }
  }

  TEST_CASE("names: invalid label names") {
    for (std::string_view n : {""sv, "1a"sv, "a:b"sv, ":"sv, "a-b"sv, "a.b"sv, "a b"sv, "Björn"sv}) {
      CAPTURE(n);
      obs::Status s = obs::CheckLabelName(n);
      CHECK_FALSE(s.ok());
      CHECK(s.code() == obs::StatusCode::kInvalidArgument);
    }
  }

  TEST_CASE("names: label names with reserved underscore prefixes are rejected") {
    // `__` is reserved by Prometheus; OpenMetrics reserves every name beginning with `_`.
    for (std::string_view n : {"__name__"sv, "__"sv, "__x"sv, "_"sv, "_a"sv, "_le"sv}) {
      CAPTURE(n);
      CHECK_FALSE(obs::CheckLabelName(n).ok());
    }
  }

  TEST_CASE("names: error message names the offending input") {
    obs::Status s = obs::CheckMetricName("bad-name");
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find("bad-name") != std::string::npos);
    obs::Status l = obs::CheckLabelName("__reserved");
    REQUIRE_FALSE(l.ok());
    CHECK(l.message().find("__reserved") != std::string::npos);
  }

  TEST_CASE("names: well-formed UTF-8 is accepted") {
    for (std::string_view t : {
             ""sv,
             "plain ascii"sv,
             "Björn"sv,
             "佖佥"sv,
             "\x00\x01\x7f"sv,      // control characters are valid UTF-8
             "\xc2\x80"sv,          // U+0080, smallest 2-byte
             "\xdf\xbf"sv,          // U+07FF
             "\xe0\xa0\x80"sv,      // U+0800, smallest 3-byte
             "\xed\x9f\xbf"sv,      // U+D7FF, just below the surrogates
             "\xee\x80\x80"sv,      // U+E000, just above the surrogates
             "\xef\xbf\xbf"sv,      // U+FFFF
             "\xf0\x90\x80\x80"sv,  // U+10000, smallest 4-byte
             "\xf0\x9f\x98\x80"sv,  // U+1F600 emoji
             "\xf4\x8f\xbf\xbf"sv,  // U+10FFFF, the largest code point
             "mixed: \xc3\xa9t\xc3\xa9 \xe2\x82\xac 100"sv,
         }) {
      CAPTURE(t);
      CHECK(obs::IsValidUtf8(t));
    }
  }

  TEST_CASE("names: malformed UTF-8 is rejected") {
    for (std::string_view t : {
             "\x80"sv,                      // lone continuation byte
             "\xbf"sv,                      // lone continuation byte
             "a\x80z"sv,                    // stray continuation in the middle
             "\xc0\x80"sv,                  // overlong NUL
             "\xc1\xbf"sv,                  // overlong 2-byte
             "\xe0\x80\x80"sv,              // overlong 3-byte
             "\xe0\x9f\xbf"sv,              // overlong 3-byte (U+07FF)
             "\xf0\x80\x80\x80"sv,          // overlong 4-byte
             "\xf0\x8f\xbf\xbf"sv,          // overlong 4-byte (U+FFFF)
             "\xed\xa0\x80"sv,              // U+D800, high surrogate
             "\xed\xbf\xbf"sv,              // U+DFFF, low surrogate
             "\xed\xa0\xbd\xed\xb8\x80"sv,  // CESU-8 surrogate pair
             "\xf4\x90\x80\x80"sv,          // U+110000, above the maximum
             "\xf5\x80\x80\x80"sv,          // lead byte F5 is never valid
             "\xf7\xbf\xbf\xbf"sv,          // would be U+1FFFFF
             "\xf8\x88\x80\x80\x80"sv,      // 5-byte form
             "\xfc\x84\x80\x80\x80\x80"sv,  // 6-byte form
             "\xfe"sv,
             "\xff"sv,
             "\xc3"sv,          // truncated 2-byte
             "Bj\xc3"sv,        // truncated at the end of a string
             "\xe4\xbd"sv,      // truncated 3-byte
             "\xf0\x9f\x98"sv,  // truncated 4-byte
             "\xe4\xbd"
             "a"sv,             // truncated 3-byte followed by ASCII
             "\xc3\xc3\xa9"sv,  // lead byte followed by another lead byte
         }) {
      CAPTURE(t);
      CHECK_FALSE(obs::IsValidUtf8(t));
    }
  }
}
