// The pure header parsers of native/src/http_parse.h (internal to the native library), which the
// ingest endpoint and the shipper use and tests/fuzz/fuzz_http_headers.cc fuzzes.
#include "http_parse.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace detail = golivekit::observability::detail;
using namespace std::chrono_literals;

TEST_SUITE("native") {
  TEST_CASE("http_parse: the batch media type, with parameters, any case, surrounding spaces") {
    CHECK(detail::IsBatchMediaType("application/vnd.golivekit.metrics-batch"));
    CHECK(detail::IsBatchMediaType(" Application/VND.golivekit.Metrics-Batch\t; charset=binary"));
    CHECK_FALSE(detail::IsBatchMediaType(""));
    CHECK_FALSE(detail::IsBatchMediaType("application/json"));
    CHECK_FALSE(detail::IsBatchMediaType("application/vnd.golivekit.metrics-batchx"));
  }

  TEST_CASE("http_parse: Content-Encoding: identity or a single gzip, any case, surrounding spaces") {
    using detail::ContentCoding;
    for (const std::string_view identity : {"", " ", "identity", "IDENTITY", "\tidentity "}) {
      CAPTURE(identity);
      CHECK(detail::ParseContentEncoding(identity) == ContentCoding::kIdentity);
    }
    for (const std::string_view gzip : {"gzip", "GZIP", " gzip\t", "x-gzip", "X-Gzip"}) {
      CAPTURE(gzip);
      CHECK(detail::ParseContentEncoding(gzip) == ContentCoding::kGzip);
    }
    for (const std::string_view other : {"compress", "x-unknown", "deflate", "br", "gzip, gzip",
                                         "gzip,identity", "identity, gzip", "gzip;q=1", "gzipx", ","}) {
      CAPTURE(other);
      CHECK(detail::ParseContentEncoding(other) == ContentCoding::kUnsupported);
    }
  }

  TEST_CASE("http_parse: origins are scheme://host[:port] and nothing more") {
    CHECK(detail::ValidOrigin("https://app.example.com"));
    CHECK(detail::ValidOrigin("http://127.0.0.1:3000"));
    CHECK_FALSE(detail::ValidOrigin("null"));
    CHECK_FALSE(detail::ValidOrigin("://x"));
    CHECK_FALSE(detail::ValidOrigin("https://"));
    CHECK_FALSE(detail::ValidOrigin("https://a.example/"));
    CHECK_FALSE(detail::ValidOrigin("https://user@a.example"));
    CHECK_FALSE(detail::ValidOrigin("1http://a.example"));
  }

  TEST_CASE("http_parse: first forwarded address, bearer credentials, constant-time comparison") {
    CHECK(detail::FirstForwardedAddress(" 203.0.113.7 , 10.0.0.1") == "203.0.113.7");
    CHECK(detail::FirstForwardedAddress(", 10.0.0.1").empty());
    CHECK(detail::FirstForwardedAddress("").empty());
    CHECK(detail::BearerCredentials("bearer  s3cret\t") == std::optional<std::string_view>("s3cret"));
    CHECK(detail::BearerCredentials("Bearer  \t x") == std::optional<std::string_view>("x"));
    CHECK_FALSE(detail::BearerCredentials("Bearer ").has_value());  // trimmed first: no credentials
    CHECK_FALSE(detail::BearerCredentials("Bearer").has_value());
    CHECK_FALSE(detail::BearerCredentials("Basic dXNlcg==").has_value());
    CHECK(detail::ConstantTimeEquals("s3cret", "s3cret"));
    CHECK_FALSE(detail::ConstantTimeEquals("s3cre", "s3cret"));
    CHECK_FALSE(detail::ConstantTimeEquals("", "s3cret"));
    CHECK(detail::ConstantTimeEquals("", ""));
  }

  TEST_CASE("http_parse: Content-Length is digits within 64 bits") {
    CHECK(detail::ParseContentLength("0") == 0U);
    CHECK(detail::ParseContentLength("00120") == 120U);
    CHECK(detail::ParseContentLength("18446744073709551615") == std::numeric_limits<std::uint64_t>::max());
    CHECK_FALSE(detail::ParseContentLength("18446744073709551616").has_value());
    CHECK_FALSE(detail::ParseContentLength("").has_value());
    CHECK_FALSE(detail::ParseContentLength("+1").has_value());
    CHECK_FALSE(detail::ParseContentLength(" 1").has_value());
    CHECK_FALSE(detail::ParseContentLength("1 ").has_value());
  }

  TEST_CASE("http_parse: Retry-After in both directions, for any duration") {
    CHECK(detail::ParseRetryAfter("120") == 120s);
    CHECK(detail::ParseRetryAfter("999999999") == 999999999s);
    CHECK(detail::ParseRetryAfter("1000000000") == 0s);  // more than 9 digits
    CHECK(detail::ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT") == 0s);
    CHECK(detail::ParseRetryAfter("-1") == 0s);
    CHECK(detail::RetryAfterSeconds(0ms) == "1");
    CHECK(detail::RetryAfterSeconds(1001ms) == "2");
    CHECK(detail::RetryAfterSeconds(-5ms) == "1");
    // The rounding used to add 999 first: signed overflow (UBSan) for the largest durations.
    CHECK(detail::RetryAfterSeconds(std::chrono::milliseconds::max()) == "9223372036854776");
  }

  TEST_CASE("http_parse: HTTP-dates in the three forms, and Retry-After as a date") {
    using std::chrono::system_clock;
    const system_clock::time_point expected = std::chrono::sys_days{std::chrono::year{1994} / 11 / 6} +
                                              std::chrono::hours{8} + std::chrono::minutes{49} + 37s;
    CHECK(detail::ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT") == expected);   // IMF-fixdate
    CHECK(detail::ParseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT") == expected);  // RFC 850
    CHECK(detail::ParseHttpDate("Sun Nov  6 08:49:37 1994") == expected);        // asctime
    for (const char* bad : {"", "soon", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC",
                            "Sun, 31 Feb 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT",
                            "Sun, 06 Nov 1994 08:49:37 GMT ", "Sun, 6 Nov 1994 08:49:37 GMT", "2026-01-01"}) {
      CAPTURE(bad);
      CHECK_FALSE(detail::ParseHttpDate(bad).has_value());
    }
    const system_clock::time_point now = expected - 90s;
    CHECK(detail::ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now) == 90s);
    CHECK(detail::ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", expected + 1s) == 0s);  // past
    CHECK(detail::ParseRetryAfter("7", now) == 7s);
    CHECK(detail::ParseRetryAfter("soon", now) == 0s);
    CHECK(detail::ParseRetryAfter("", now) == 0s);
    // Years outside system_clock's nanosecond range (1677 to 2262) are the latest or earliest instant
    // rather than an overflow (found by fuzz_http_headers).
    CHECK(detail::ParseHttpDate("Wed, 21 Oct 2415 07:28:00 GMT") == system_clock::time_point::max());
    CHECK(detail::ParseHttpDate("Sat, 01 Jan 0000 00:00:00 GMT") == system_clock::time_point::min());
    CHECK(detail::ParseRetryAfter("Wed, 21 Oct 2415 07:28:00 GMT", now) > std::chrono::hours{24 * 365 * 200});
    CHECK(detail::ParseRetryAfter("Sat, 01 Jan 0000 00:00:00 GMT", now) == 0s);
  }
}
