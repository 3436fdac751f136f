#pragma once
#include <cstdint>
#include <optional>

#include "protocol/bytes.hpp"

namespace rd {

// Every native message: u8 type, u8 flags, u16 reserved, u32 length (little-endian),
// then `length` bytes of body.
constexpr std::size_t kHeaderSize = 8;
// Largest body either side accepts unless the hello says otherwise: a 4096-wide raw
// tile row (4096 x 64 x 4 bytes) fits with room to spare.
constexpr std::uint32_t kDefaultMaxMessage = 16u << 20;
// Largest body a server accepts from a viewer: input, acks and later clipboard text.
constexpr std::uint32_t kDefaultMaxViewerMessage = 1u << 20;

// Header flag: a receiver that does not know this message type skips it by its length.
// An unknown type without this flag is a protocol error.
constexpr std::uint8_t kFlagOptional = 0x01;

struct Header {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  std::uint32_t length = 0;
};

// Parses the 8 header bytes; throws DecodeError when `length` exceeds max_length.
Header decode_header(ByteView eight_bytes, std::uint32_t max_length);
void encode_header(Bytes& out, std::uint8_t type, std::uint32_t length, std::uint8_t flags = 0);

// Builds a whole message: `body(writer)` writes the body, the header's length is
// filled in afterwards.
template <class F>
Bytes build_message(std::uint8_t type, F&& body) {
  Bytes out;
  encode_header(out, type, 0);
  ByteWriter w(out);
  body(w);
  auto len = static_cast<std::uint32_t>(out.size() - kHeaderSize);
  for (int i = 0; i < 4; ++i) out[4 + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(len >> (8 * i));
  return out;
}

// One complete message: its type and its body bytes.
struct RawMessage {
  std::uint8_t type = 0;
  std::uint8_t flags = 0;
  Bytes body;
};

// Splits a byte stream into messages, whatever sizes the stream arrives in.
class MessageParser {
 public:
  explicit MessageParser(std::uint32_t max_length) : max_length_(max_length) {}
  void feed(ByteView data);
  // The next complete message, or nullopt until more bytes arrive. Throws DecodeError
  // on an oversize length; the stream cannot be resynchronised after that.
  std::optional<RawMessage> next();
  std::size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::uint32_t max_length_;
  Bytes buf_;
  std::size_t pos_ = 0;
};

}  // namespace rd
