#pragma once
// The append buffer both exposition encoders write through (text in encode.cc, protobuf in
// protobuf_wire.h). Internal.
#include <algorithm>
#include <cstddef>
#include <string>

namespace golivekit::observability::detail {

// Appends to a std::string through raw pointers: a caller reserves an upper bound for what it is about
// to write (a line, a field), writes without per-byte capacity checks, and commits the end. The string is
// trimmed to what was written when the writer goes away.
class BufferWriter {
 public:
  explicit BufferWriter(std::string& s) : s_(s), used_(s.size()) {}
  ~BufferWriter() { s_.resize(used_); }
  BufferWriter(const BufferWriter&) = delete;
  BufferWriter& operator=(const BufferWriter&) = delete;

  // Makes room for `n` more bytes and returns where to write them.
  char* Reserve(std::size_t n) {
    // A comparison rather than std::max, which the WebAssembly module calls out of line with its operands
    // in memory.
    if (s_.size() - used_ < n) {
      const std::size_t twice = s_.size() * 2, needed = used_ + n + 4096;
      s_.resize(twice > needed ? twice : needed);
    }
    return s_.data() + used_;
  }
  void Commit(char* p) noexcept { used_ = static_cast<std::size_t>(p - s_.data()); }

 protected:
  std::string& s_;
  std::size_t used_;
};

}  // namespace golivekit::observability::detail
