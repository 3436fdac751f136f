#include "protocol/framing.hpp"

#include <string>

namespace rd {

Header decode_header(ByteView eight_bytes, std::uint32_t max_length) {
  ByteReader r(eight_bytes);
  Header h;
  h.type = r.u8("header type");
  h.flags = r.u8("header flags");
  r.u16("header reserved");
  h.length = r.u32("header length");
  if (h.length > max_length)
    throw DecodeError("message length " + std::to_string(h.length) + " exceeds the maximum " +
                      std::to_string(max_length));
  return h;
}

void encode_header(Bytes& out, std::uint8_t type, std::uint32_t length, std::uint8_t flags) {
  ByteWriter w(out);
  w.u8(type);
  w.u8(flags);
  w.u16(0);
  w.u32(length);
}

void MessageParser::feed(ByteView data) {
  if (pos_ > 0 && pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  } else if (pos_ > (1u << 20) && pos_ * 2 > buf_.size()) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
  buf_.insert(buf_.end(), data.begin(), data.end());
}

std::optional<RawMessage> MessageParser::next() {
  if (buffered() < kHeaderSize) return std::nullopt;
  ByteView avail(buf_.data() + pos_, buffered());
  Header h = decode_header(avail.first(kHeaderSize), max_length_);
  if (avail.size() - kHeaderSize < h.length) return std::nullopt;
  RawMessage m;
  m.type = h.type;
  m.flags = h.flags;
  auto body = avail.subspan(kHeaderSize, h.length);
  m.body.assign(body.begin(), body.end());
  pos_ += kHeaderSize + h.length;
  return m;
}

}  // namespace rd
