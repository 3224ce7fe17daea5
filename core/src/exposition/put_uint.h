#pragma once
// Decimal digits of an unsigned integer and literal text, for the encoders of exposition/ (sample counts,
// float mantissas, the fixed parts of a line).

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace golivekit::observability::detail {

// Writes the digits of `v` at `out` (at most 20 chars) and returns the end. No allocation, no locale.
inline char* PutUint(char* out, std::uint64_t v) {
  char buf[20];
  char* p = buf + sizeof buf;
  do {
    *--p = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  while (p < buf + sizeof buf) *out++ = *p++;
  return out;
}

// Copies the NUL-terminated `s` and returns the end: a literal's length is never taken (at -Oz, each
// string_view made from a literal is an out-of-line strlen call). For the rare literals (NaN, Inf, 0).
inline char* PutCString(char* out, const char* s) {
  while (*s != '\0') *out++ = *s++;
  return out;
}

// Copies the literal `s` (its terminator left out): a copy of a size known at compile time, for the fixed
// parts of every sample line.
template <std::size_t N>
inline char* PutLiteral(char* out, const char (&s)[N]) {
  std::memcpy(out, s, N - 1);
  return out + (N - 1);
}

}  // namespace golivekit::observability::detail
