#pragma once
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rd {

// Thrown by every decoder of wire data: the input was truncated, oversized or malformed.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Appends little-endian fields to a byte vector.
class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}
  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { put(v, 2); }
  void u32(std::uint32_t v) { put(v, 4); }
  void u64(std::uint64_t v) { put(v, 8); }
  void i16(std::int16_t v) { u16(static_cast<std::uint16_t>(v)); }
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void bytes(ByteView b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void raw(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  // A string as u16 length + UTF-8 bytes; longer strings are cut at 65535 bytes.
  void str16(std::string_view s) {
    if (s.size() > 0xFFFF) s = s.substr(0, 0xFFFF);
    u16(static_cast<std::uint16_t>(s.size()));
    raw(s);
  }
  std::size_t size() const { return out_.size(); }

 private:
  void put(std::uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  Bytes& out_;
};

// Reads little-endian fields from a byte span; every read is bounds-checked and a short
// input throws DecodeError naming what was being read.
class ByteReader {
 public:
  explicit ByteReader(ByteView in) : in_(in) {}
  std::uint8_t u8(const char* what) { return static_cast<std::uint8_t>(get(1, what)); }
  std::uint16_t u16(const char* what) { return static_cast<std::uint16_t>(get(2, what)); }
  std::uint32_t u32(const char* what) { return static_cast<std::uint32_t>(get(4, what)); }
  std::uint64_t u64(const char* what) { return get(8, what); }
  std::int16_t i16(const char* what) { return static_cast<std::int16_t>(u16(what)); }
  std::int32_t i32(const char* what) { return static_cast<std::int32_t>(u32(what)); }
  ByteView bytes(std::size_t n, const char* what) {
    need(n, what);
    ByteView v = in_.subspan(pos_, n);
    pos_ += n;
    return v;
  }
  std::string str16(const char* what) {
    std::size_t n = u16(what);
    ByteView v = bytes(n, what);
    return std::string(v.begin(), v.end());
  }
  ByteView rest() {
    ByteView v = in_.subspan(pos_);
    pos_ = in_.size();
    return v;
  }
  std::size_t remaining() const { return in_.size() - pos_; }

 private:
  void need(std::size_t n, const char* what) const {
    if (in_.size() - pos_ < n)
      throw DecodeError(std::string("truncated message: ") + what + " needs " + std::to_string(n) +
                        " bytes, " + std::to_string(in_.size() - pos_) + " left");
  }
  std::uint64_t get(int n, const char* what) {
    need(static_cast<std::size_t>(n), what);
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= static_cast<std::uint64_t>(in_[pos_ + i]) << (8 * i);
    pos_ += static_cast<std::size_t>(n);
    return v;
  }
  ByteView in_;
  std::size_t pos_ = 0;
};

}  // namespace rd
