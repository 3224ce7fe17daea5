// Pure parsers of HTTP header values (http_parse.h).
#include "http_parse.h"

#include <chrono>
#include <cstddef>
#include <optional>

#include "golivekit/observability/client_batch.h"

namespace golivekit::observability::detail {
namespace {

constexpr char Lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

constexpr bool IsDigit(char c) noexcept { return c >= '0' && c <= '9'; }

// A cursor over an HTTP-date: each step consumes its part or fails (and the date with it).
class DateReader {
 public:
  explicit DateReader(std::string_view text) noexcept : text_(text) {}
  bool Literal(std::string_view literal) noexcept {
    if (text_.substr(pos_, literal.size()) != literal) return false;
    pos_ += literal.size();
    return true;
  }
  bool Number(std::size_t digits, int& out) noexcept {
    if (pos_ + digits > text_.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < digits; ++i) {
      const char c = text_[pos_ + i];
      if (!IsDigit(c)) return false;
      out = out * 10 + (c - '0');
    }
    pos_ += digits;
    return true;
  }
  bool Month(unsigned& out) noexcept {
    static constexpr std::string_view kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (unsigned i = 0; i < 12; ++i) {
      if (Literal(kMonths[i])) {
        out = i + 1;
        return true;
      }
    }
    return false;
  }
  bool Time(int& h, int& m, int& s) noexcept {
    return Number(2, h) && Literal(":") && Number(2, m) && Literal(":") && Number(2, s);
  }
  // Past the day name: "Sun" (IMF-fixdate, asctime) or "Sunday" (RFC 850).
  void SkipDayName() noexcept {
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != ' ') ++pos_;
  }
  [[nodiscard]] bool AtEnd() const noexcept { return pos_ == text_.size(); }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

std::optional<std::chrono::system_clock::time_point> DateFromFields(int year, unsigned month, int day,
                                                                    int hour, int minute,
                                                                    int second) noexcept {
  using namespace std::chrono;
  const year_month_day date{std::chrono::year{year}, std::chrono::month{month},
                            std::chrono::day{static_cast<unsigned>(day)}};
  if (!date.ok() || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  // In seconds first: a 4-digit year can lie outside system_clock's nanosecond range (1677 to 2262),
  // where the conversion would overflow. Such a date means "as early" or "as late as can be".
  const sys_seconds at = sys_days{date} + hours{hour} + minutes{minute} + seconds{second};
  constexpr sys_seconds kLatest = floor<seconds>(system_clock::time_point::max());
  constexpr sys_seconds kEarliest = ceil<seconds>(system_clock::time_point::min());
  if (at >= kLatest) return system_clock::time_point::max();
  if (at <= kEarliest) return system_clock::time_point::min();
  return system_clock::time_point(at);
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (Lower(a[i]) != Lower(b[i])) return false;
  }
  return true;
}

std::string_view TrimSpaces(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool IsBatchMediaType(std::string_view content_type) noexcept {
  return EqualsIgnoreCase(TrimSpaces(content_type.substr(0, content_type.find(';'))), kBatchContentType);
}

bool ValidOrigin(std::string_view origin) noexcept {
  const std::size_t sep = origin.find("://");
  if (sep == std::string_view::npos || sep == 0) return false;
  for (std::size_t i = 0; i < sep; ++i) {
    const char c = origin[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (!alpha && !(i > 0 && (IsDigit(c) || c == '+' || c == '-' || c == '.'))) return false;
  }
  const std::string_view rest = origin.substr(sep + 3);
  if (rest.empty()) return false;
  for (const char c : rest) {
    if (c == '/' || c == '?' || c == '#' || c == '@' || c == ' ' || static_cast<unsigned char>(c) < 0x20) {
      return false;
    }
  }
  return true;
}

std::string_view FirstForwardedAddress(std::string_view value) noexcept {
  return TrimSpaces(value.substr(0, value.find(',')));
}

std::optional<std::string_view> BearerCredentials(std::string_view authorization) noexcept {
  const std::string_view auth = TrimSpaces(authorization);
  const std::size_t space = auth.find(' ');
  if (space == std::string_view::npos || !EqualsIgnoreCase(auth.substr(0, space), "Bearer"))
    return std::nullopt;
  return TrimSpaces(auth.substr(space + 1));
}

bool ConstantTimeEquals(std::string_view given, std::string_view expected) noexcept {
  if (given.empty()) return expected.empty();
  unsigned diff = given.size() == expected.size() ? 0U : 1U;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    diff |= static_cast<unsigned char>(given[i % given.size()]) ^ static_cast<unsigned char>(expected[i]);
  }
  return diff == 0;
}

ContentCoding ParseContentEncoding(std::string_view value) noexcept {
  const std::string_view coding = TrimSpaces(value);
  if (coding.empty() || EqualsIgnoreCase(coding, "identity")) return ContentCoding::kIdentity;
  // A list ("gzip, gzip") would have to be undone step by step, each step under the size cap: one
  // gzip is all a client of this library sends, so anything else is refused rather than half undone.
  if (EqualsIgnoreCase(coding, "gzip") || EqualsIgnoreCase(coding, "x-gzip")) return ContentCoding::kGzip;
  return ContentCoding::kUnsupported;
}

std::optional<std::uint64_t> ParseContentLength(std::string_view value) noexcept {
  if (value.empty()) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : value) {
    if (!IsDigit(c)) return std::nullopt;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return std::nullopt;
    v = v * 10 + digit;
  }
  return v;
}

std::chrono::milliseconds ParseRetryAfter(std::string_view value) noexcept {
  if (value.empty() || value.size() > 9) return std::chrono::milliseconds(0);
  std::int64_t seconds = 0;
  for (const char c : value) {
    if (!IsDigit(c)) return std::chrono::milliseconds(0);
    seconds = seconds * 10 + (c - '0');
  }
  return std::chrono::milliseconds(seconds * 1000);
}

std::optional<std::chrono::system_clock::time_point> ParseHttpDate(std::string_view value) noexcept {
  DateReader r(value);
  r.SkipDayName();
  int day = 0;
  unsigned month = 0;
  int year = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  bool ok = false;
  if (value.size() > 3 && value[3] == ',') {  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
    ok = r.Literal(", ") && r.Number(2, day) && r.Literal(" ") && r.Month(month) && r.Literal(" ") &&
         r.Number(4, year) && r.Literal(" ") && r.Time(hour, minute, second) && r.Literal(" GMT");
  } else if (r.Literal(", ")) {  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
    ok = r.Number(2, day) && r.Literal("-") && r.Month(month) && r.Literal("-") && r.Number(2, year) &&
         r.Literal(" ") && r.Time(hour, minute, second) && r.Literal(" GMT");
    year += year < 70 ? 2000 : 1900;
  } else {  // asctime: Sun Nov  6 08:49:37 1994
    ok = r.Literal(" ") && r.Month(month) && r.Literal(" ") &&
         (r.Literal(" ") ? r.Number(1, day) : r.Number(2, day)) && r.Literal(" ") &&
         r.Time(hour, minute, second) && r.Literal(" ") && r.Number(4, year);
  }
  if (!ok || !r.AtEnd()) return std::nullopt;
  return DateFromFields(year, month, day, hour, minute, second);
}

std::chrono::milliseconds ParseRetryAfter(std::string_view value,
                                          std::chrono::system_clock::time_point now) noexcept {
  if (const std::chrono::milliseconds delta = ParseRetryAfter(value); delta.count() > 0) return delta;
  const auto date = ParseHttpDate(value);
  if (!date || *date <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(*date - now);
}

std::string RetryAfterSeconds(std::chrono::milliseconds wait) {
  const auto ms = wait.count() < 0 ? 0 : wait.count();
  const auto seconds = ms / 1000 + (ms % 1000 != 0 ? 1 : 0);  // rounded up, without overflow
  return std::to_string(seconds < 1 ? 1 : seconds);
}

}  // namespace golivekit::observability::detail
