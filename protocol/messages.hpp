#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/bytes.hpp"
#include "protocol/framing.hpp"
#include "protocol/geometry.hpp"

namespace rd {

// Message type numbers of protocol v1 (docs/protocol.md). Unknown types are skipped by length.
enum class MsgType : std::uint8_t {
  ClientHello = 0x01,
  ServerHello = 0x02,
  AuthChallenge = 0x03,  // server -> viewer, instead of ServerHello when a password is needed
  AuthResponse = 0x04,   // viewer -> server
  // server -> viewer
  FrameBegin = 0x10,
  TileUpdate = 0x11,
  FrameEnd = 0x12,
  Cursor = 0x13,
  Resize = 0x14,
  Ping = 0x15,
  OpsBatch = 0x16,
  CopyRect = 0x17,
  CacheRef = 0x18,
  // viewer -> server
  Key = 0x40,
  Pointer = 0x41,
  Wheel = 0x42,
  FrameAck = 0x43,
  RefreshRequest = 0x44,
  Pong = 0x45,
  ResizeRequest = 0x46,
  CacheAnnounce = 0x47,
  // either direction
  Error = 0x70,
  Bye = 0x71,
  Clipboard = 0x72,
};

const char* msg_type_name(std::uint8_t type);

template <class F>
Bytes build_message(MsgType type, F&& body) {
  return build_message(static_cast<std::uint8_t>(type), std::forward<F>(body));
}

// Tile codec ids, as carried by TileUpdate and announced in the hello's codec mask.
enum class TileCodec : std::uint8_t { Raw = 0, Solid = 1, Zstd = 2, Jpeg = 3, Palette = 4, JpegAbbrev = 5,
                                      JpegArith = 6 };
constexpr int kTileCodecCount = 7;
const char* tile_codec_name(TileCodec c);
constexpr std::uint32_t codec_bit(TileCodec c) { return 1u << static_cast<unsigned>(c); }
// What the viewer holds after such a tile is only close to what the server has.
constexpr bool is_lossy_codec(TileCodec c) {
  return c == TileCodec::Jpeg || c == TileCodec::JpegAbbrev || c == TileCodec::JpegArith;
}

enum class ErrorCode : std::uint16_t {
  Malformed = 1,        // a message could not be decoded
  Version = 2,          // no common protocol version
  TooLarge = 3,         // a length over the negotiated maximum
  Unexpected = 4,       // a message that is not valid in this state
  AuthFailed = 5,
  ShuttingDown = 6,
  Internal = 7,
  HandshakeTimeout = 8,
  Busy = 9,  // the server takes no more viewers (or handshakes) now
  TlsRequired = 10,  // the server speaks only TLS; sent in plain text to a plain viewer
};

// ---- server -> viewer ----
struct FrameBegin {
  std::uint32_t seq = 0;
  std::uint64_t server_time_us = 0;
};

// One rectangle of pixels in one codec; the payload's format is the codec's (codecs/).
struct TileUpdate {
  Rect rect;
  TileCodec codec = TileCodec::Raw;
  Bytes payload;
  bool store = false;  // flag bit 0: the viewer keeps the rectangle's grid tiles in its tile cache
};
constexpr std::uint8_t kTileFlagStore = 0x01;

struct FrameEnd {
  std::uint32_t seq = 0;
  std::vector<std::uint32_t> input_ids;  // input events whose effect this frame shows
};

// Pointer shape for the viewer to draw locally: straight-alpha BGRA rows of w*4 bytes.
struct CursorShape {
  std::int16_t hot_x = 0, hot_y = 0;
  std::uint16_t w = 0, h = 0;
  Bytes bgra;
};

struct Resize {
  std::uint16_t w = 0, h = 0;
};

// Inside a frame, before its tiles: the viewer copies its own pixels of the rectangle
// at (src_x, src_y) to `dst` (same size), as if through a temporary.
// A tile the viewer's tile cache holds, drawn at `rect` (capability kCapTileCache).
struct CacheRefMsg {
  Rect rect;
  std::uint64_t key = 0;
};

// The viewer's tile cache at connect time, least recently used first.
struct CacheEntry {
  std::uint64_t key = 0;
  std::uint16_t w = 0, h = 0;
};
struct CacheAnnounce {
  std::vector<CacheEntry> tiles;
};
constexpr std::size_t kMaxAnnouncedTiles = 65536;
constexpr int kMaxCachedTileSide = 64;  // cached tiles are grid tiles (codecs/tile_grid.hpp)

struct CopyRectMsg {
  Rect dst;
  std::uint16_t src_x = 0, src_y = 0;
  Rect src() const { return {src_x, src_y, dst.w, dst.h}; }
  bool operator==(const CopyRectMsg&) const = default;
};

struct Ping {
  std::uint32_t id = 0;
  std::uint64_t time_us = 0;
};

// ---- viewer -> server ----
// An input event's latency stamp: the viewer numbers its input (id > 0) and notes when it
// sent it (its own clock); the server lists the id in the FrameEnd of the first frame that
// shows the input's effect. Optional trailing fields: id 0 is "not stamped".
struct InputStamp {
  std::uint32_t id = 0;
  std::uint64_t time_us = 0;
};

struct KeyEvent {
  std::uint32_t keysym = 0;  // X11 keysym
  bool down = false;
  InputStamp stamp;
};

// Buttons: bit 0 left, bit 1 middle, bit 2 right (as RFB).
struct PointerEvent {
  std::uint16_t x = 0, y = 0;
  std::uint32_t buttons = 0;
  InputStamp stamp;
};

// Wheel clicks at a position: dy > 0 scrolls up (away from the user), dx > 0 right.
struct WheelEvent {
  std::uint16_t x = 0, y = 0;
  std::int16_t dx = 0, dy = 0;
  InputStamp stamp;
};

struct FrameAck {
  std::uint32_t seq = 0;
  std::uint32_t decode_us = 0;
};

// Asks the server to resend the given rectangle (empty: the whole screen) in full.
struct RefreshRequest {
  Rect rect;
};

// Asks for another screen size (a source that cannot change it ignores the request).
struct ResizeRequestMsg {
  std::uint16_t w = 0, h = 0;
};

struct Pong {
  std::uint32_t id = 0;
  std::uint64_t time_us = 0;  // echoed from the Ping
};

// ---- either direction ----
struct ErrorMsg {
  ErrorCode code = ErrorCode::Malformed;
  std::string text;
};

struct Bye {
  std::string reason;
};

// Clipboard text, UTF-8, in either direction (capability kCapClipboard).
struct ClipboardText {
  std::string utf8;
};
constexpr std::size_t kMaxClipboard = 1u << 20;  // bytes

// Each encode() returns a whole message: header and body.
Bytes encode(const FrameBegin&);
Bytes encode(const TileUpdate&);
Bytes encode(const FrameEnd&);
Bytes encode(const CursorShape&);
Bytes encode(const Resize&);
Bytes encode(const CopyRectMsg&);
Bytes encode(const CacheRefMsg&);
Bytes encode(const CacheAnnounce&);
Bytes encode(const Ping&);
Bytes encode(const KeyEvent&);
Bytes encode(const PointerEvent&);
Bytes encode(const WheelEvent&);
Bytes encode(const FrameAck&);
Bytes encode(const RefreshRequest&);
Bytes encode(const Pong&);
Bytes encode(const ResizeRequestMsg&);
Bytes encode(const ErrorMsg&);
Bytes encode(const Bye&);
Bytes encode(const ClipboardText&);

// Writes an OpsBatch message around a batch body (codecs/op_batch).
void append_ops_batch(Bytes& out, ByteView body);

// Writes a TileUpdate whose payload already sits in a buffer, without copying it twice.
void append_tile_update(Bytes& out, const Rect& rect, TileCodec codec, ByteView payload, bool store = false);

// Each decoder takes a message body and throws DecodeError on malformed input. Bodies
// longer than the fields a decoder knows are accepted: later minor versions append fields.
FrameBegin decode_frame_begin(ByteView body);
TileUpdate decode_tile_update(ByteView body);
// Like decode_tile_update, but the payload stays a view into the body.
struct TileUpdateView {
  Rect rect;
  TileCodec codec = TileCodec::Raw;
  ByteView payload;
  bool store = false;
};
TileUpdateView decode_tile_update_view(ByteView body);
FrameEnd decode_frame_end(ByteView body);
CursorShape decode_cursor(ByteView body);
Resize decode_resize(ByteView body);
CopyRectMsg decode_copy_rect(ByteView body);
CacheRefMsg decode_cache_ref(ByteView body);
CacheAnnounce decode_cache_announce(ByteView body);
Ping decode_ping(ByteView body);
KeyEvent decode_key(ByteView body);
PointerEvent decode_pointer(ByteView body);
WheelEvent decode_wheel(ByteView body);
FrameAck decode_frame_ack(ByteView body);
RefreshRequest decode_refresh_request(ByteView body);
Pong decode_pong(ByteView body);
ResizeRequestMsg decode_resize_request(ByteView body);
ErrorMsg decode_error(ByteView body);
Bye decode_bye(ByteView body);
ClipboardText decode_clipboard(ByteView body);

}  // namespace rd
