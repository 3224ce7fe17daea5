#pragma once
// Pure parsers of HTTP header values used by the ingest endpoint (ingest.cc) and the shipper
// (shipper.cc). Internal: not installed. Every function accepts any bytes (empty, binary, huge) without
// reading out of bounds or throwing; tests/fuzz/fuzz_http_headers.cc fuzzes them all.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace golivekit::observability::detail {

// ASCII case-insensitive equality.
bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept;

// `s` without leading and trailing spaces and tabs.
std::string_view TrimSpaces(std::string_view s) noexcept;

// True if a Content-Type value names the client-batch media type (kBatchContentType), with any
// parameters after a ';', ignoring case and surrounding spaces.
bool IsBatchMediaType(std::string_view content_type) noexcept;

// "scheme://host[:port]" with no path, query, fragment, user info or trailing '/': what a browser sends
// in an Origin header (and what an allowlist entry must look like).
bool ValidOrigin(std::string_view origin) noexcept;

// The first address of an X-Forwarded-For-style list ("client, proxy1, proxy2"), trimmed; empty when
// the first element is empty.
std::string_view FirstForwardedAddress(std::string_view value) noexcept;

// The credentials of an `Authorization: Bearer <token>` value (scheme case-insensitive, token trimmed;
// possibly empty); nullopt when the value is not of the Bearer scheme.
std::optional<std::string_view> BearerCredentials(std::string_view authorization) noexcept;

// Equal, in a time that depends only on the length of `expected` (the secret), not on where `given`
// first differs.
bool ConstantTimeEquals(std::string_view given, std::string_view expected) noexcept;

// The content codings of a request body the ingest endpoint undoes.
enum class ContentCoding {
  kIdentity,     // no Content-Encoding, an empty one, or "identity"
  kGzip,         // exactly one "gzip" or "x-gzip"
  kUnsupported,  // any other coding, or a list of several ("gzip, gzip")
};

// A Content-Encoding value, ignoring case and surrounding spaces and tabs.
ContentCoding ParseContentEncoding(std::string_view value) noexcept;

// A Content-Length value: decimal digits only (no sign, no spaces), within 64 bits; nullopt otherwise.
std::optional<std::uint64_t> ParseContentLength(std::string_view value) noexcept;

// The delta-seconds of a Retry-After value (at most 9 digits, nothing else); 0 for anything else (an
// HTTP-date included: see the overload below).
std::chrono::milliseconds ParseRetryAfter(std::string_view value) noexcept;

// An HTTP-date (RFC 9110 5.6.7): IMF-fixdate, or the obsolete RFC 850 and asctime forms recipients
// must still accept; nullopt for anything else.
std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view value) noexcept;

// A Retry-After value as a wait from `now`: delta-seconds, or an HTTP-date minus `now`; 0 when absent,
// unreadable or in the past (the caller's own backoff applies). docs/shipping.md.
std::chrono::milliseconds ParseRetryAfter(std::string_view value,
                                          std::chrono::system_clock::time_point now) noexcept;

// Whole seconds for a Retry-After header, rounded up, at least 1.
std::string RetryAfterSeconds(std::chrono::milliseconds wait);

}  // namespace golivekit::observability::detail
