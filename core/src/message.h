#pragma once
// Error messages built from one pattern and its arguments: `Fail(code, "histogram {}: bucket bound {} is
// {}", {name, i, bound})`, out of line, so that a place that refuses something costs a pattern and a few
// stores instead of a chain of string concatenations with their temporaries (which, across what the
// WebAssembly module links, weighed kilobytes). The refusals of declaration, registration and recording
// are built this way, those without arguments too (`{}`: the same call, 46 B of module less than the
// shorthands of status.h, whose argument is a std::string built in place). The batch decoder and
// the server's merge (never in the module) still concatenate: some of their messages spell doubles as
// std::to_string does, which a MessageArg does not. Internal.
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "golivekit/observability/status.h"

namespace golivekit::observability::detail {

/// One argument of a message: text, an integer, or a float spelled as the text exposition spells it.
/// Holds a reference to text it is given: use it within the full expression that builds the message.
class MessageArg {
 public:
  MessageArg(const std::string& s) noexcept
      : kind_(kString), string_(&s) {}                                 // NOLINT(google-explicit-constructor)
  MessageArg(std::string_view s) noexcept : kind_(kView), view_(s) {}  // NOLINT(google-explicit-constructor)
  MessageArg(const char* s) noexcept : kind_(kView), view_(s) {}       // NOLINT(google-explicit-constructor)
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) MessageArg(T v)
  noexcept  // NOLINT(google-explicit-constructor)
      : kind_(std::is_signed_v<T> ? kSigned : kUnsigned), integer_(static_cast<std::uint64_t>(v)) {}
  MessageArg(double v) noexcept : kind_(kFloat), float_(v) {}  // NOLINT(google-explicit-constructor)

  void AppendTo(std::string& out) const;

 private:
  enum Kind : unsigned char { kString, kView, kUnsigned, kSigned, kFloat };
  Kind kind_;
  union {
    const std::string* string_;
    std::string_view view_;
    std::uint64_t integer_;
    double float_;
  };
};

/// Appends `pattern` with each "{}" replaced by the next argument, in order.
void Substitute(std::string& out, const char* pattern, std::initializer_list<MessageArg> args);

/// Names as a message lists them: "{a, b}".
std::string JoinNames(const std::vector<std::string>& names);

/// A Status of `code` (an error: never kOk) with the message Substitute writes, written into the Status
/// itself.
Status Fail(StatusCode code, const char* pattern, std::initializer_list<MessageArg> args);

}  // namespace golivekit::observability::detail
