#include "protocol/messages.hpp"

#include <string>

#include "protocol/handshake.hpp"

namespace rd {

namespace {


void write_rect16(ByteWriter& w, const Rect& r) {
  w.u16(static_cast<std::uint16_t>(r.x));
  w.u16(static_cast<std::uint16_t>(r.y));
  w.u16(static_cast<std::uint16_t>(r.w));
  w.u16(static_cast<std::uint16_t>(r.h));
}

Rect read_rect16(ByteReader& r) {
  Rect rc;
  rc.x = r.u16("rect x");
  rc.y = r.u16("rect y");
  rc.w = r.u16("rect w");
  rc.h = r.u16("rect h");
  return rc;
}

constexpr std::uint16_t kMaxCursorSide = 256;
constexpr std::size_t kMaxInputIds = 4096;

}  // namespace

const char* msg_type_name(std::uint8_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::ClientHello: return "ClientHello";
    case MsgType::ServerHello: return "ServerHello";
    case MsgType::AuthChallenge: return "AuthChallenge";
    case MsgType::AuthResponse: return "AuthResponse";
    case MsgType::FrameBegin: return "FrameBegin";
    case MsgType::TileUpdate: return "TileUpdate";
    case MsgType::FrameEnd: return "FrameEnd";
    case MsgType::Cursor: return "Cursor";
    case MsgType::Resize: return "Resize";
    case MsgType::CopyRect: return "CopyRect";
    case MsgType::CacheRef: return "CacheRef";
    case MsgType::CacheAnnounce: return "CacheAnnounce";
    case MsgType::Ping: return "Ping";
    case MsgType::OpsBatch: return "OpsBatch";
    case MsgType::Key: return "Key";
    case MsgType::Pointer: return "Pointer";
    case MsgType::Wheel: return "Wheel";
    case MsgType::FrameAck: return "FrameAck";
    case MsgType::RefreshRequest: return "RefreshRequest";
    case MsgType::Pong: return "Pong";
    case MsgType::ResizeRequest: return "ResizeRequest";
    case MsgType::Error: return "Error";
    case MsgType::Bye: return "Bye";
    case MsgType::Clipboard: return "Clipboard";
  }
  return "unknown";
}

const char* tile_codec_name(TileCodec c) {
  switch (c) {
    case TileCodec::Raw: return "raw";
    case TileCodec::Solid: return "solid";
    case TileCodec::Zstd: return "zstd";
    case TileCodec::Jpeg: return "jpeg";
    case TileCodec::Palette: return "palette";
    case TileCodec::JpegAbbrev: return "jpeg-abbrev";
    case TileCodec::JpegArith: return "jpeg-arith";
  }
  return "unknown";
}

Bytes encode(const FrameBegin& m) {
  return build_message(MsgType::FrameBegin, [&](ByteWriter& w) {
    w.u32(m.seq);
    w.u64(m.server_time_us);
  });
}

void append_tile_update(Bytes& out, const Rect& rect, TileCodec codec, ByteView payload, bool store) {
  encode_header(out, static_cast<std::uint8_t>(MsgType::TileUpdate), static_cast<std::uint32_t>(10 + payload.size()));
  ByteWriter w(out);
  write_rect16(w, rect);
  w.u8(static_cast<std::uint8_t>(codec));
  w.u8(store ? kTileFlagStore : 0);
  w.bytes(payload);
}

void append_ops_batch(Bytes& out, ByteView body) {
  encode_header(out, static_cast<std::uint8_t>(MsgType::OpsBatch), static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
}

Bytes encode(const TileUpdate& m) {
  Bytes out;
  append_tile_update(out, m.rect, m.codec, m.payload, m.store);
  return out;
}

Bytes encode(const FrameEnd& m) {
  return build_message(MsgType::FrameEnd, [&](ByteWriter& w) {
    w.u32(m.seq);
    w.u16(static_cast<std::uint16_t>(m.input_ids.size()));
    for (auto id : m.input_ids) w.u32(id);
  });
}

Bytes encode(const CursorShape& m) {
  return build_message(MsgType::Cursor, [&](ByteWriter& w) {
    w.i16(m.hot_x);
    w.i16(m.hot_y);
    w.u16(m.w);
    w.u16(m.h);
    w.bytes(m.bgra);
  });
}

Bytes encode(const Resize& m) {
  return build_message(MsgType::Resize, [&](ByteWriter& w) {
    w.u16(m.w);
    w.u16(m.h);
  });
}

Bytes encode(const CopyRectMsg& m) {
  return build_message(MsgType::CopyRect, [&](ByteWriter& w) {
    write_rect16(w, m.dst);
    w.u16(m.src_x);
    w.u16(m.src_y);
  });
}

Bytes encode(const CacheRefMsg& m) {
  return build_message(MsgType::CacheRef, [&](ByteWriter& w) {
    write_rect16(w, m.rect);
    w.u64(m.key);
  });
}

Bytes encode(const CacheAnnounce& m) {
  return build_message(MsgType::CacheAnnounce, [&](ByteWriter& w) {
    w.u32(static_cast<std::uint32_t>(m.tiles.size()));
    for (const CacheEntry& e : m.tiles) {
      w.u64(e.key);
      w.u16(e.w);
      w.u16(e.h);
    }
  });
}

Bytes encode(const Ping& m) {
  return build_message(MsgType::Ping, [&](ByteWriter& w) {
    w.u32(m.id);
    w.u64(m.time_us);
  });
}

namespace {
// Unstamped input keeps the 1.0 layout, byte for byte.
void put_stamp(ByteWriter& w, const InputStamp& s) {
  if (s.id == 0) return;
  w.u32(s.id);
  w.u64(s.time_us);
}
InputStamp get_stamp(ByteReader& r, const char* what) {
  InputStamp s;
  if (r.remaining() == 0) return s;
  s.id = r.u32(what);
  s.time_us = r.u64(what);
  return s;
}
}  // namespace

Bytes encode(const KeyEvent& m) {
  return build_message(MsgType::Key, [&](ByteWriter& w) {
    w.u32(m.keysym);
    w.u8(m.down ? 1 : 0);
    put_stamp(w, m.stamp);
  });
}

Bytes encode(const PointerEvent& m) {
  return build_message(MsgType::Pointer, [&](ByteWriter& w) {
    w.u16(m.x);
    w.u16(m.y);
    w.u32(m.buttons);
    put_stamp(w, m.stamp);
  });
}

Bytes encode(const WheelEvent& m) {
  return build_message(MsgType::Wheel, [&](ByteWriter& w) {
    w.u16(m.x);
    w.u16(m.y);
    w.i16(m.dx);
    w.i16(m.dy);
    put_stamp(w, m.stamp);
  });
}

Bytes encode(const FrameAck& m) {
  return build_message(MsgType::FrameAck, [&](ByteWriter& w) {
    w.u32(m.seq);
    w.u32(m.decode_us);
  });
}

Bytes encode(const RefreshRequest& m) {
  return build_message(MsgType::RefreshRequest, [&](ByteWriter& w) { write_rect16(w, m.rect); });
}

Bytes encode(const Pong& m) {
  return build_message(MsgType::Pong, [&](ByteWriter& w) {
    w.u32(m.id);
    w.u64(m.time_us);
  });
}

Bytes encode(const ResizeRequestMsg& m) {
  return build_message(MsgType::ResizeRequest, [&](ByteWriter& w) {
    w.u16(m.w);
    w.u16(m.h);
  });
}

Bytes encode(const ErrorMsg& m) {
  return build_message(MsgType::Error, [&](ByteWriter& w) {
    w.u16(static_cast<std::uint16_t>(m.code));
    w.str16(m.text);
  });
}

Bytes encode(const Bye& m) {
  return build_message(MsgType::Bye, [&](ByteWriter& w) { w.str16(m.reason); });
}

Bytes encode(const ClipboardText& m) {
  return build_message(MsgType::Clipboard, [&](ByteWriter& w) {
    std::string_view t = m.utf8;
    if (t.size() > kMaxClipboard) t = t.substr(0, kMaxClipboard);
    w.u32(static_cast<std::uint32_t>(t.size()));
    w.raw(t);
  });
}

FrameBegin decode_frame_begin(ByteView body) {
  ByteReader r(body);
  FrameBegin m;
  m.seq = r.u32("FrameBegin seq");
  m.server_time_us = r.u64("FrameBegin time");
  return m;
}

TileUpdateView decode_tile_update_view(ByteView body) {
  ByteReader r(body);
  TileUpdateView m;
  m.rect = read_rect16(r);
  std::uint8_t codec = r.u8("TileUpdate codec");
  m.store = (r.u8("TileUpdate flags") & kTileFlagStore) != 0;
  if (m.rect.empty()) throw DecodeError("TileUpdate with an empty rectangle");
  if (codec >= kTileCodecCount) throw DecodeError("TileUpdate with unknown codec " + std::to_string(codec));
  m.codec = static_cast<TileCodec>(codec);
  m.payload = r.rest();
  return m;
}

TileUpdate decode_tile_update(ByteView body) {
  TileUpdateView v = decode_tile_update_view(body);
  return TileUpdate{v.rect, v.codec, Bytes(v.payload.begin(), v.payload.end()), v.store};
}

FrameEnd decode_frame_end(ByteView body) {
  ByteReader r(body);
  FrameEnd m;
  m.seq = r.u32("FrameEnd seq");
  std::size_t n = r.u16("FrameEnd input count");
  if (n > kMaxInputIds) throw DecodeError("FrameEnd lists too many input ids");
  m.input_ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) m.input_ids.push_back(r.u32("FrameEnd input id"));
  return m;
}

CursorShape decode_cursor(ByteView body) {
  ByteReader r(body);
  CursorShape m;
  m.hot_x = r.i16("Cursor hot x");
  m.hot_y = r.i16("Cursor hot y");
  m.w = r.u16("Cursor width");
  m.h = r.u16("Cursor height");
  if (m.w > kMaxCursorSide || m.h > kMaxCursorSide)
    throw DecodeError("Cursor larger than " + std::to_string(kMaxCursorSide) + " pixels a side");
  auto px = r.bytes(static_cast<std::size_t>(m.w) * m.h * 4, "Cursor pixels");
  m.bgra.assign(px.begin(), px.end());
  return m;
}

Resize decode_resize(ByteView body) {
  ByteReader r(body);
  Resize m;
  m.w = r.u16("Resize width");
  m.h = r.u16("Resize height");
  if (m.w == 0 || m.h == 0) throw DecodeError("Resize to an empty screen");
  if (m.w > kMaxScreenSide || m.h > kMaxScreenSide)
    throw DecodeError("Resize to over " + std::to_string(kMaxScreenSide) + " pixels a side");
  return m;
}

CacheRefMsg decode_cache_ref(ByteView body) {
  ByteReader r(body);
  CacheRefMsg m;
  m.rect = read_rect16(r);
  m.key = r.u64("CacheRef key");
  if (m.rect.empty()) throw DecodeError("CacheRef of an empty rectangle");
  return m;
}

CacheAnnounce decode_cache_announce(ByteView body) {
  ByteReader r(body);
  CacheAnnounce m;
  std::size_t n = r.u32("CacheAnnounce count");
  if (n > kMaxAnnouncedTiles) throw DecodeError("CacheAnnounce lists " + std::to_string(n) + " tiles, more than " + std::to_string(kMaxAnnouncedTiles));
  if (r.remaining() < n * 12) throw DecodeError("truncated message: CacheAnnounce lists " + std::to_string(n) + " tiles");
  m.tiles.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    CacheEntry e;
    e.key = r.u64("CacheAnnounce key");
    e.w = r.u16("CacheAnnounce width");
    e.h = r.u16("CacheAnnounce height");
    if (e.w == 0 || e.h == 0 || e.w > kMaxCachedTileSide || e.h > kMaxCachedTileSide) throw DecodeError("CacheAnnounce tile of " + std::to_string(e.w) + "x" + std::to_string(e.h));
    m.tiles.push_back(e);
  }
  return m;
}

CopyRectMsg decode_copy_rect(ByteView body) {
  ByteReader r(body);
  CopyRectMsg m;
  m.dst = read_rect16(r);
  m.src_x = r.u16("CopyRect source x");
  m.src_y = r.u16("CopyRect source y");
  if (m.dst.empty()) throw DecodeError("CopyRect of an empty rectangle");
  return m;
}

Ping decode_ping(ByteView body) {
  ByteReader r(body);
  Ping m;
  m.id = r.u32("Ping id");
  m.time_us = r.u64("Ping time");
  return m;
}

KeyEvent decode_key(ByteView body) {
  ByteReader r(body);
  KeyEvent m;
  m.keysym = r.u32("Key keysym");
  m.down = r.u8("Key down") != 0;
  m.stamp = get_stamp(r, "Key input stamp");
  return m;
}

PointerEvent decode_pointer(ByteView body) {
  ByteReader r(body);
  PointerEvent m;
  m.x = r.u16("Pointer x");
  m.y = r.u16("Pointer y");
  m.buttons = r.u32("Pointer buttons");
  m.stamp = get_stamp(r, "Pointer input stamp");
  return m;
}

WheelEvent decode_wheel(ByteView body) {
  ByteReader r(body);
  WheelEvent m;
  m.x = r.u16("Wheel x");
  m.y = r.u16("Wheel y");
  m.dx = r.i16("Wheel dx");
  m.dy = r.i16("Wheel dy");
  m.stamp = get_stamp(r, "Wheel input stamp");
  return m;
}

FrameAck decode_frame_ack(ByteView body) {
  ByteReader r(body);
  FrameAck m;
  m.seq = r.u32("FrameAck seq");
  m.decode_us = r.u32("FrameAck decode time");
  return m;
}

RefreshRequest decode_refresh_request(ByteView body) {
  ByteReader r(body);
  return RefreshRequest{read_rect16(r)};
}

Pong decode_pong(ByteView body) {
  ByteReader r(body);
  Pong m;
  m.id = r.u32("Pong id");
  m.time_us = r.u64("Pong time");
  return m;
}

ResizeRequestMsg decode_resize_request(ByteView body) {
  ByteReader r(body);
  ResizeRequestMsg m;
  m.w = r.u16("ResizeRequest width");
  m.h = r.u16("ResizeRequest height");
  if (m.w < 64 || m.h < 64) throw DecodeError("ResizeRequest below 64x64");
  return m;
}

ErrorMsg decode_error(ByteView body) {
  ByteReader r(body);
  ErrorMsg m;
  m.code = static_cast<ErrorCode>(r.u16("Error code"));
  m.text = r.str16("Error text");
  return m;
}

ClipboardText decode_clipboard(ByteView body) {
  ByteReader r(body);
  std::uint32_t n = r.u32("Clipboard length");
  if (n > kMaxClipboard) throw DecodeError("Clipboard text over " + std::to_string(kMaxClipboard) + " bytes");
  auto b = r.bytes(n, "Clipboard text");
  return {std::string(b.begin(), b.end())};
}

Bye decode_bye(ByteView body) {
  ByteReader r(body);
  Bye m;
  if (r.remaining() > 0) m.reason = r.str16("Bye reason");
  return m;
}

}  // namespace rd
