#include "protocol/handshake.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace rd {

namespace {

void check_magic(ByteReader& r) {
  auto m = r.bytes(4, "hello magic");
  if (std::memcmp(m.data(), kMagic, 4) != 0) throw DecodeError("not an rdisplay hello (bad magic)");
}


}  // namespace

const char* encoding_name(Encoding e) {
  switch (e) {
    case Encoding::Pixels: return "pixels";
    case Encoding::Ops: return "ops";
    case Encoding::Auto: return "auto";
  }
  return "unknown";
}

Bytes encode(const ClientHello& h) {
  return build_message(MsgType::ClientHello, [&](ByteWriter& w) {
    w.raw(std::string_view(kMagic, 4));
    w.u16(h.version_major);
    w.u16(h.version_minor);
    w.u32(h.capabilities);
    w.u8(static_cast<std::uint8_t>(h.encoding));
    w.u8(h.quality);
    w.u8(static_cast<std::uint8_t>(h.subsampling));
    w.u8(h.forced_codec);
    w.u32(h.codecs);
    w.u32(h.cache_kib);
    w.u32(h.glyph_cache_kib);
    w.u32(h.max_message);
    w.u8(h.auth);
    w.str16(h.name);
  });
}

Bytes encode(const ServerHello& h) {
  return build_message(MsgType::ServerHello, [&](ByteWriter& w) {
    w.raw(std::string_view(kMagic, 4));
    w.u16(h.version_major);
    w.u16(h.version_minor);
    w.u32(h.capabilities);
    w.u16(h.width);
    w.u16(h.height);
    w.u8(static_cast<std::uint8_t>(h.format));
    w.u8(static_cast<std::uint8_t>(h.encoding));
    w.u32(h.max_message);
    w.str16(h.session_name);
  });
}

ClientHello decode_client_hello(ByteView body) {
  ByteReader r(body);
  check_magic(r);
  ClientHello h;
  h.version_major = r.u16("hello major version");
  h.version_minor = r.u16("hello minor version");
  if (h.version_major != kVersionMajor) return h;  // the rest may be laid out differently
  h.capabilities = r.u32("hello capabilities");
  std::uint8_t enc = r.u8("hello encoding");
  if (enc > static_cast<std::uint8_t>(Encoding::Auto)) throw DecodeError("hello asks for unknown encoding " + std::to_string(enc));
  h.encoding = static_cast<Encoding>(enc);
  h.quality = r.u8("hello quality");
  if (h.quality > 100) throw DecodeError("hello quality over 100");
  std::uint8_t sub = r.u8("hello subsampling");
  if (sub > static_cast<std::uint8_t>(Subsampling::S420)) throw DecodeError("hello asks for unknown subsampling");
  h.subsampling = static_cast<Subsampling>(sub);
  h.forced_codec = r.u8("hello forced codec");
  if (h.forced_codec != kAnyCodec && h.forced_codec >= kTileCodecCount) throw DecodeError("hello forces unknown codec");
  h.codecs = r.u32("hello codecs");
  h.cache_kib = r.u32("hello cache size");
  h.glyph_cache_kib = r.u32("hello glyph cache size");
  h.max_message = r.u32("hello max message");
  h.auth = r.u8("hello auth");
  h.name = r.str16("hello name");
  return h;
}

ServerHello decode_server_hello(ByteView body) {
  ByteReader r(body);
  check_magic(r);
  ServerHello h;
  h.version_major = r.u16("hello major version");
  h.version_minor = r.u16("hello minor version");
  if (h.version_major != kVersionMajor) return h;
  h.capabilities = r.u32("hello capabilities");
  h.width = r.u16("hello width");
  h.height = r.u16("hello height");
  std::uint8_t fmt = r.u8("hello pixel format");
  if (fmt != static_cast<std::uint8_t>(PixelFormat::BGRA8888)) throw DecodeError("unknown pixel format " + std::to_string(fmt));
  h.format = PixelFormat::BGRA8888;
  std::uint8_t enc = r.u8("hello encoding");
  if (enc > static_cast<std::uint8_t>(Encoding::Auto)) throw DecodeError("hello grants unknown encoding");
  h.encoding = static_cast<Encoding>(enc);
  h.max_message = r.u32("hello max message");
  h.session_name = r.str16("hello session name");
  if (h.width == 0 || h.height == 0) throw DecodeError("hello with an empty screen");
  if (h.width > kMaxScreenSide || h.height > kMaxScreenSide)
    throw DecodeError("hello with a screen over " + std::to_string(kMaxScreenSide) + " pixels a side");
  return h;
}

Negotiated negotiate(const ClientHello& hello, std::uint32_t server_caps) {
  Negotiated n;
  if (hello.version_major != kVersionMajor) {
    n.error = {ErrorCode::Version, "protocol version " + std::to_string(hello.version_major) + "." +
                                       std::to_string(hello.version_minor) + " not supported; this server speaks " +
                                       std::to_string(kVersionMajor) + "." + std::to_string(kVersionMinor)};
    return n;
  }
  constexpr std::uint32_t lossless_codecs = codec_bit(TileCodec::Raw);
  if ((hello.codecs & lossless_codecs) == 0) {
    n.error = {ErrorCode::Unexpected, "the viewer must decode at least the raw codec"};
    return n;
  }
  if (hello.forced_codec != kAnyCodec && (hello.codecs & (1u << hello.forced_codec)) == 0) {
    n.error = {ErrorCode::Unexpected, "the viewer forces a codec it does not decode"};
    return n;
  }
  n.ok = true;
  n.minor = std::min(hello.version_minor, kVersionMinor);
  n.capabilities = hello.capabilities & server_caps;
  n.encoding = hello.encoding;
  return n;
}

Bytes encode(const AuthChallenge& c) {
  return build_message(MsgType::AuthChallenge, [&](ByteWriter& w) {
    w.u8(c.method);
    for (std::uint8_t b : c.nonce) w.u8(b);
  });
}

Bytes encode(const AuthResponse& r) {
  return build_message(MsgType::AuthResponse, [&](ByteWriter& w) {
    for (std::uint8_t b : r.mac) w.u8(b);
  });
}

AuthChallenge decode_auth_challenge(ByteView body) {
  ByteReader r(body);
  AuthChallenge c;
  c.method = r.u8("AuthChallenge method");
  if (c.method != kAuthHmacSha256)
    throw DecodeError("AuthChallenge of unknown method " + std::to_string(c.method) + "; update the viewer");
  ByteView n = r.bytes(kAuthNonceSize, "AuthChallenge nonce");
  std::copy(n.begin(), n.end(), c.nonce.begin());
  return c;
}

AuthResponse decode_auth_response(ByteView body) {
  ByteReader r(body);
  AuthResponse a;
  ByteView m = r.bytes(kAuthMacSize, "AuthResponse MAC");
  std::copy(m.begin(), m.end(), a.mac.begin());
  return a;
}

Bytes auth_message(const AuthChallenge& c) {
  constexpr std::size_t n = sizeof kAuthContext - 1;
  Bytes m(n + c.nonce.size());
  std::memcpy(m.data(), kAuthContext, n);
  std::memcpy(m.data() + n, c.nonce.data(), c.nonce.size());
  return m;
}

}  // namespace rd
