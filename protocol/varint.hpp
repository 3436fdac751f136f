#pragma once
#include <cstdint>

#include "protocol/bytes.hpp"

namespace rd {

// LEB128 unsigned varints and zigzag-coded signed ones.
inline void put_varint(Bytes& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}
inline void put_svarint(Bytes& out, std::int64_t v) {
  put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

inline std::uint64_t get_varint(ByteReader& r, const char* what) {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    std::uint8_t b = r.u8(what);
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  throw DecodeError(std::string("varint too long: ") + what);
}
inline std::int64_t get_svarint(ByteReader& r, const char* what) {
  std::uint64_t u = get_varint(r, what);
  return static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
}

}  // namespace rd
