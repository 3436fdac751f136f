// Fuzz target: a byte stream as either end reads it from the socket: framed into
// messages (bounded length), each body decoded by the decoder of its type, both
// directions, with CacheAnnounce and Clipboard limits.
#include <cstdint>

#include "protocol/framing.hpp"
#include "protocol/handshake.hpp"
#include "protocol/messages.hpp"

namespace {

void decode_body(std::uint8_t type, rd::ByteView b) {
  using rd::MsgType;
  switch (static_cast<MsgType>(type)) {
    case MsgType::FrameBegin: rd::decode_frame_begin(b); break;
    case MsgType::TileUpdate: rd::decode_tile_update(b); rd::decode_tile_update_view(b); break;
    case MsgType::FrameEnd: rd::decode_frame_end(b); break;
    case MsgType::Cursor: rd::decode_cursor(b); break;
    case MsgType::Resize: rd::decode_resize(b); break;
    case MsgType::Ping: rd::decode_ping(b); break;
    case MsgType::CopyRect: rd::decode_copy_rect(b); break;
    case MsgType::CacheRef: rd::decode_cache_ref(b); break;
    case MsgType::Key: rd::decode_key(b); break;
    case MsgType::Pointer: rd::decode_pointer(b); break;
    case MsgType::Wheel: rd::decode_wheel(b); break;
    case MsgType::FrameAck: rd::decode_frame_ack(b); break;
    case MsgType::RefreshRequest: rd::decode_refresh_request(b); break;
    case MsgType::Pong: rd::decode_pong(b); break;
    case MsgType::ResizeRequest: rd::decode_resize_request(b); break;
    case MsgType::CacheAnnounce: rd::decode_cache_announce(b); break;
    case MsgType::Error: rd::decode_error(b); break;
    case MsgType::Bye: rd::decode_bye(b); break;
    case MsgType::Clipboard: rd::decode_clipboard(b); break;
    case MsgType::AuthChallenge: rd::decode_auth_challenge(b); break;
    case MsgType::AuthResponse: rd::decode_auth_response(b); break;
    default: break;  // OpsBatch has a target of its own; unknown types are skipped
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rd::MessageParser parser(1 << 20);
  // Fed in two pieces, as a socket may deliver them.
  std::size_t half = size / 2;
  try {
    parser.feed(rd::ByteView(data, half));
    while (auto m = parser.next()) {
      try {
        decode_body(m->type, m->body);
      } catch (const rd::DecodeError&) {
      }
    }
    parser.feed(rd::ByteView(data + half, size - half));
    while (auto m = parser.next()) {
      try {
        decode_body(m->type, m->body);
      } catch (const rd::DecodeError&) {
      }
    }
  } catch (const rd::DecodeError&) {  // an oversize length: the stream is over
  }
  return 0;
}
