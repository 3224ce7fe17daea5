// libFuzzer target: the header parsers of the ingest endpoint and the shipper (native/src/http_parse.h)
// on arbitrary bytes: Content-Type, Origin, X-Forwarded-For, Authorization, Content-Length,
// Retry-After (both directions).
//
// Properties: never crashes or reads out of bounds (ASan, UBSan: no signed overflow), and each result
// agrees with a plain restatement of what the function promises.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "fuzz_util.h"
#include "golivekit/observability/client_batch.h"
#include "http_parse.h"

namespace obs = golivekit::observability;
namespace detail = golivekit::observability::detail;

namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// `part` is a view into `whole`.
bool Within(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

bool Trimmed(std::string_view s) { return s.empty() || (!IsBlank(s.front()) && !IsBlank(s.back())); }

std::string Lowered(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Content-Type.
  {
    const std::string_view media = detail::TrimSpaces(input.substr(0, input.find(';')));
    GLK_FUZZ_CHECK(Trimmed(media));
    GLK_FUZZ_CHECK(detail::IsBatchMediaType(input) == (Lowered(media) == obs::kBatchContentType));
  }

  // Origin.
  if (detail::ValidOrigin(input)) {
    const std::size_t sep = input.find("://");
    GLK_FUZZ_CHECK(sep != std::string_view::npos && sep > 0 && sep + 3 < input.size());
    GLK_FUZZ_CHECK(input.find_first_of("/?#@ ", sep + 3) == std::string_view::npos);
  }

  // X-Forwarded-For.
  {
    const std::string_view first = detail::FirstForwardedAddress(input);
    GLK_FUZZ_CHECK(Within(first, input));
    GLK_FUZZ_CHECK(Trimmed(first));
    GLK_FUZZ_CHECK(first.find(',') == std::string_view::npos);
  }

  // Authorization.
  if (const auto token = detail::BearerCredentials(input)) {
    GLK_FUZZ_CHECK(Within(*token, input));
    GLK_FUZZ_CHECK(Trimmed(*token));
    GLK_FUZZ_CHECK(Lowered(detail::TrimSpaces(input)).rfind("bearer ", 0) == 0);
  }

  // The bearer-token comparison: the input split in two.
  {
    const std::string_view given = input.substr(0, input.size() / 2);
    const std::string_view expected = input.substr(input.size() / 2);
    GLK_FUZZ_CHECK(detail::ConstantTimeEquals(given, expected) == (given == expected));
    GLK_FUZZ_CHECK(detail::ConstantTimeEquals(given, given));
    GLK_FUZZ_CHECK(detail::EqualsIgnoreCase(given, expected) == detail::EqualsIgnoreCase(expected, given));
  }

  // Content-Length: digits only, and then exactly their value.
  if (const auto length = detail::ParseContentLength(input)) {
    GLK_FUZZ_CHECK(!input.empty() && input.find_first_not_of("0123456789") == std::string_view::npos);
    const std::size_t digits = input.find_first_not_of('0');
    const std::string_view canonical =
        digits == std::string_view::npos ? std::string_view("0") : input.substr(digits);
    GLK_FUZZ_CHECK(std::to_string(*length) == canonical);
  }

  // Content-Encoding: identity and gzip only from exactly those words (any case, trimmed).
  {
    const detail::ContentCoding coding = detail::ParseContentEncoding(input);
    const std::string lowered = Lowered(detail::TrimSpaces(input));
    if (coding == detail::ContentCoding::kGzip) GLK_FUZZ_CHECK(lowered == "gzip" || lowered == "x-gzip");
    if (coding == detail::ContentCoding::kIdentity) GLK_FUZZ_CHECK(lowered.empty() || lowered == "identity");
  }

  // Retry-After, read by the shipper.
  {
    const std::chrono::milliseconds wait = detail::ParseRetryAfter(input);
    GLK_FUZZ_CHECK(wait.count() >= 0 && wait.count() <= 999'999'999'000);
    GLK_FUZZ_CHECK(wait.count() % 1000 == 0);
    // With HTTP-dates too: never negative, and delta-seconds read alike.
    const std::chrono::milliseconds dated =
        detail::ParseRetryAfter(input, std::chrono::system_clock::time_point{});
    GLK_FUZZ_CHECK(dated.count() >= 0);
    if (wait.count() > 0) GLK_FUZZ_CHECK(dated == wait);
  }

  // Retry-After, written by the endpoint, from any duration (the first 8 bytes).
  if (size >= 8) {
    std::int64_t ms = 0;
    std::memcpy(&ms, data, sizeof ms);
    const std::string seconds = detail::RetryAfterSeconds(std::chrono::milliseconds(ms));
    GLK_FUZZ_CHECK(!seconds.empty() && seconds.front() != '0');
    GLK_FUZZ_CHECK(seconds.find_first_not_of("0123456789") == std::string::npos);
    GLK_FUZZ_CHECK(detail::ParseRetryAfter(seconds).count() >= 0);
  }
  return 0;
}
