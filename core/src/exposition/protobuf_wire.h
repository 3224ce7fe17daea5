#pragma once
// The protobuf wire format, as much of it as the protobuf exposition needs (exposition/protobuf.cc): varints,
// zigzag, field tags, little-endian doubles and length-delimited fields. Writers take a raw pointer with
// room reserved by the caller and return the end; `MessageWriter` grows a std::string and fills in the
// lengths of submessages whose size is known only after they are written.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "exposition/buffer_writer.h"

namespace golivekit::observability::detail::pb {

enum class WireType : std::uint32_t { kVarint = 0, kFixed64 = 1, kLen = 2 };

inline constexpr std::size_t kMaxVarint = 10;
inline constexpr std::size_t kMaxTag = 2;                             // every field number here is < 2048
inline constexpr std::size_t kMaxDoubleField = kMaxTag + 8;           // tag + fixed64
inline constexpr std::size_t kMaxVarintField = kMaxTag + kMaxVarint;  // tag + varint

constexpr std::size_t VarintSize(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

constexpr std::uint64_t ZigZag64(std::int64_t v) noexcept {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
constexpr std::uint32_t ZigZag32(std::int32_t v) noexcept {
  return (static_cast<std::uint32_t>(v) << 1) ^ static_cast<std::uint32_t>(v >> 31);
}

inline char* PutVarint(char* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

inline char* PutTag(char* p, std::uint32_t field, WireType type) noexcept {
  return PutVarint(p, (field << 3) | static_cast<std::uint32_t>(type));
}

inline char* PutVarintField(char* p, std::uint32_t field, std::uint64_t v) noexcept {
  return PutVarint(PutTag(p, field, WireType::kVarint), v);
}

// A double is its IEEE bits, little-endian, whatever the host's byte order.
inline char* PutDoubleField(char* p, std::uint32_t field, double v) noexcept {
  p = PutTag(p, field, WireType::kFixed64);
  std::uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(static_cast<std::uint8_t>(bits >> (8 * i)));
  return p;
}

// Room a string field needs: tag, length, bytes.
constexpr std::size_t StringFieldRoom(std::string_view s) noexcept { return kMaxTag + kMaxVarint + s.size(); }

inline char* PutStringField(char* p, std::uint32_t field, std::string_view s) noexcept {
  p = PutVarint(PutTag(p, field, WireType::kLen), s.size());
  if (!s.empty()) std::memcpy(p, s.data(), s.size());  // an empty view may have a null data()
  return p + s.size();
}

// The exact size of a string field, for the length of a message made of such fields.
constexpr std::size_t StringFieldSize(std::uint32_t field, std::string_view s) noexcept {
  return VarintSize(field << 3) + VarintSize(s.size()) + s.size();
}

// A BufferWriter that also writes length-delimited submessages in one pass: `Open` leaves room for the
// length, `Close` writes it and, when the length needs more or fewer varint bytes than were left, moves the
// submessage once. Callers leave as many bytes as the length usually needs, so the move is rare. Offsets, not
// pointers, survive a growth.
class MessageWriter : public BufferWriter {
 public:
  using BufferWriter::BufferWriter;

  // A submessage being written: where its length goes and how many bytes were left for it.
  struct Open {
    std::size_t at;
    std::size_t room;
  };

  // Writes the field's tag (or nothing when `field` is 0: a top-level delimited message) and leaves
  // `room` bytes for the length.
  Open OpenMessage(std::uint32_t field, std::size_t room) {
    char* p = Reserve(kMaxTag + room);
    if (field != 0) p = PutTag(p, field, WireType::kLen);
    Commit(p + room);
    return {static_cast<std::size_t>(p - s_.data()), room};
  }

  void CloseMessage(Open open) {
    const std::size_t body_at = open.at + open.room;
    const std::size_t length = used_ - body_at;
    const std::size_t need = VarintSize(length);
    if (need > open.room) Reserve(need - open.room);
    if (need != open.room) {
      char* base = s_.data();
      std::memmove(base + open.at + need, base + body_at, length);
      used_ = used_ + need - open.room;
    }
    PutVarint(s_.data() + open.at, length);
  }
};

}  // namespace golivekit::observability::detail::pb
