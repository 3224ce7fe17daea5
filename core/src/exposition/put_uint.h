#pragma once
// Decimal digits of an unsigned integer, for the encoders of exposition/ (sample counts, float mantissas).

#include <cstdint>

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

}  // namespace golivekit::observability::detail
