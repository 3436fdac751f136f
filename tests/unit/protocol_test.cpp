#include <doctest/doctest.h>

#include "protocol/framing.hpp"
#include "common/auth_crypto.hpp"
#include "protocol/handshake.hpp"
#include "protocol/keysym.hpp"
#include "protocol/messages.hpp"

using namespace rd;

namespace {

// Splits an encoded message into header and body, checking the header on the way.
RawMessage parse_one(const Bytes& wire) {
  MessageParser p(kDefaultMaxMessage);
  p.feed(wire);
  auto m = p.next();
  REQUIRE(m.has_value());
  CHECK(p.buffered() == 0);
  return *m;
}

// Every strict prefix of a body must be rejected by its decoder.
template <class F>
void check_truncations_rejected(const Bytes& body, F decode) {
  for (std::size_t n = 0; n < body.size(); ++n) {
    ByteView cut(body.data(), n);
    CHECK_THROWS_AS(decode(cut), DecodeError);
  }
}

}  // namespace

TEST_CASE("header encodes little-endian and rejects oversize lengths") {
  Bytes out;
  encode_header(out, 0x11, 0x01020304, kFlagOptional);
  REQUIRE(out.size() == kHeaderSize);
  CHECK(out == Bytes{0x11, 0x01, 0, 0, 0x04, 0x03, 0x02, 0x01});
  Header h = decode_header(out, 0x01020304);
  CHECK(h.type == 0x11);
  CHECK(h.flags == kFlagOptional);
  CHECK(h.length == 0x01020304u);
  CHECK_THROWS_AS(decode_header(out, 0x01020303), DecodeError);
  CHECK_THROWS_AS(decode_header(ByteView(out.data(), 7), 1u << 30), DecodeError);
}

TEST_CASE("message parser reassembles messages split at every byte") {
  Bytes stream;
  for (std::uint32_t i = 0; i < 5; ++i) {
    Bytes m = encode(KeyEvent{0x61 + i, i % 2 == 0, {}});
    stream.insert(stream.end(), m.begin(), m.end());
  }
  MessageParser p(kDefaultMaxMessage);
  std::vector<RawMessage> got;
  for (std::uint8_t b : stream) {
    p.feed(ByteView(&b, 1));
    while (auto m = p.next()) got.push_back(*m);
  }
  REQUIRE(got.size() == 5);
  for (std::uint32_t i = 0; i < 5; ++i) {
    CHECK(got[i].type == static_cast<std::uint8_t>(MsgType::Key));
    KeyEvent k = decode_key(got[i].body);
    CHECK(k.keysym == 0x61 + i);
    CHECK(k.down == (i % 2 == 0));
  }
}

TEST_CASE("message parser refuses a length over its maximum") {
  MessageParser p(100);
  Bytes hdr;
  encode_header(hdr, 0x11, 101);
  p.feed(hdr);
  CHECK_THROWS_AS(p.next(), DecodeError);
}

TEST_CASE("every message round-trips and rejects truncation") {
  SUBCASE("FrameBegin") {
    auto m = parse_one(encode(FrameBegin{7, 123456789012ull}));
    auto d = decode_frame_begin(m.body);
    CHECK(d.seq == 7);
    CHECK(d.server_time_us == 123456789012ull);
    check_truncations_rejected(m.body, decode_frame_begin);
  }
  SUBCASE("TileUpdate") {
    TileUpdate t{{64, 128, 64, 32}, TileCodec::Zstd, Bytes{1, 2, 3, 4, 5}};
    auto m = parse_one(encode(t));
    auto d = decode_tile_update(m.body);
    CHECK(d.rect == t.rect);
    CHECK(d.codec == TileCodec::Zstd);
    CHECK(d.payload == t.payload);
    for (std::size_t n = 0; n < 10; ++n) CHECK_THROWS_AS(decode_tile_update(ByteView(m.body.data(), n)), DecodeError);
    Bytes bad = m.body;
    bad[8] = 9;  // unknown codec
    CHECK_THROWS_AS(decode_tile_update(bad), DecodeError);
    Bytes empty = m.body;
    empty[4] = empty[5] = 0;  // zero width
    CHECK_THROWS_AS(decode_tile_update(empty), DecodeError);
  }
  SUBCASE("FrameEnd") {
    auto m = parse_one(encode(FrameEnd{9, {1, 2, 3}}));
    auto d = decode_frame_end(m.body);
    CHECK(d.seq == 9);
    CHECK(d.input_ids == std::vector<std::uint32_t>{1, 2, 3});
    check_truncations_rejected(m.body, decode_frame_end);
  }
  SUBCASE("Cursor") {
    CursorShape c{2, 3, 2, 2, Bytes(16, 0x7f)};
    auto m = parse_one(encode(c));
    auto d = decode_cursor(m.body);
    CHECK(d.hot_x == 2);
    CHECK(d.hot_y == 3);
    CHECK(d.bgra == c.bgra);
    check_truncations_rejected(m.body, decode_cursor);
    CursorShape huge{0, 0, 300, 1, Bytes(1200, 0)};
    CHECK_THROWS_AS(decode_cursor(parse_one(encode(huge)).body), DecodeError);
  }
  SUBCASE("Resize") {
    auto m = parse_one(encode(Resize{1920, 1080}));
    auto d = decode_resize(m.body);
    CHECK(d.w == 1920);
    CHECK(d.h == 1080);
    check_truncations_rejected(m.body, decode_resize);
    CHECK_THROWS_AS(decode_resize(parse_one(encode(Resize{0, 10})).body), DecodeError);
  }
  SUBCASE("CopyRect") {
    auto m = parse_one(encode(CopyRectMsg{{10, 20, 300, 400}, 10, 36}));
    CHECK(m.type == static_cast<std::uint8_t>(MsgType::CopyRect));
    auto d = decode_copy_rect(m.body);
    CHECK(d.dst == Rect{10, 20, 300, 400});
    CHECK(d.src() == Rect{10, 36, 300, 400});
    check_truncations_rejected(m.body, decode_copy_rect);
    CHECK_THROWS_AS(decode_copy_rect(parse_one(encode(CopyRectMsg{{1, 1, 0, 5}, 0, 0})).body), DecodeError);
  }
  SUBCASE("tile cache: store flag, CacheRef, CacheAnnounce") {
    TileUpdate t{{0, 64, 64, 64}, TileCodec::Palette, Bytes{1, 2}, true};
    CHECK(decode_tile_update(parse_one(encode(t)).body).store);
    t.store = false;
    CHECK_FALSE(decode_tile_update(parse_one(encode(t)).body).store);

    auto m = parse_one(encode(CacheRefMsg{{128, 64, 64, 40}, 0x0123456789abcdefull}));
    CHECK(m.type == static_cast<std::uint8_t>(MsgType::CacheRef));
    auto d = decode_cache_ref(m.body);
    CHECK(d.rect == Rect{128, 64, 64, 40});
    CHECK(d.key == 0x0123456789abcdefull);
    check_truncations_rejected(m.body, decode_cache_ref);
    CHECK_THROWS_AS(decode_cache_ref(parse_one(encode(CacheRefMsg{{0, 0, 0, 64}, 1})).body), DecodeError);

    CacheAnnounce a{{{1, 64, 64}, {2, 16, 64}, {3, 64, 8}}};
    auto am = parse_one(encode(a));
    CHECK(am.type == static_cast<std::uint8_t>(MsgType::CacheAnnounce));
    auto ad = decode_cache_announce(am.body);
    REQUIRE(ad.tiles.size() == 3);
    CHECK(ad.tiles[1].key == 2);
    CHECK(ad.tiles[1].w == 16);
    CHECK(ad.tiles[2].h == 8);
    check_truncations_rejected(am.body, decode_cache_announce);
    // Tiles are grid tiles: at most 64 a side, never empty.
    CHECK_THROWS_AS(decode_cache_announce(parse_one(encode(CacheAnnounce{{{1, 65, 64}}})).body), DecodeError);
    CHECK_THROWS_AS(decode_cache_announce(parse_one(encode(CacheAnnounce{{{1, 64, 0}}})).body), DecodeError);
    // A count that claims more than the body holds fails before allocating for it.
    Bytes lie;
    ByteWriter w(lie);
    w.u32(static_cast<std::uint32_t>(kMaxAnnouncedTiles));
    CHECK_THROWS_AS(decode_cache_announce(lie), DecodeError);
    Bytes too_many;
    ByteWriter w2(too_many);
    w2.u32(static_cast<std::uint32_t>(kMaxAnnouncedTiles + 1));
    CHECK_THROWS_AS(decode_cache_announce(too_many), DecodeError);
  }
  SUBCASE("input and control") {
    auto p = decode_pointer(parse_one(encode(PointerEvent{10, 20, 5, {}})).body);
    CHECK(p.x == 10);
    CHECK(p.y == 20);
    CHECK(p.buttons == 5);
    auto w = decode_wheel(parse_one(encode(WheelEvent{1, 2, -3, 4, {}})).body);
    CHECK(w.dx == -3);
    CHECK(w.dy == 4);
    auto a = decode_frame_ack(parse_one(encode(FrameAck{11, 2500})).body);
    CHECK(a.seq == 11);
    CHECK(a.decode_us == 2500);
    auto r = decode_refresh_request(parse_one(encode(RefreshRequest{{1, 2, 3, 4}})).body);
    CHECK(r.rect == Rect{1, 2, 3, 4});
    auto pg = decode_ping(parse_one(encode(Ping{3, 99})).body);
    CHECK(pg.id == 3);
    auto po = decode_pong(parse_one(encode(Pong{3, 99})).body);
    CHECK(po.time_us == 99);
    check_truncations_rejected(parse_one(encode(KeyEvent{1, true, {}})).body, decode_key);
    check_truncations_rejected(parse_one(encode(PointerEvent{1, 2, 3, {}})).body, decode_pointer);
    check_truncations_rejected(parse_one(encode(WheelEvent{1, 2, 3, 4, {}})).body, decode_wheel);
    check_truncations_rejected(parse_one(encode(FrameAck{1, 2})).body, decode_frame_ack);
  }
  SUBCASE("input latency stamps: optional trailing fields, unstamped input keeps the 1.0 bytes") {
    CHECK(parse_one(encode(KeyEvent{0x61, true, {}})).body.size() == 5);
    Bytes kb = parse_one(encode(KeyEvent{0x61, true, {7, 123456789012ull}})).body;
    CHECK(kb.size() == 5 + 12);
    KeyEvent k = decode_key(kb);
    CHECK(k.keysym == 0x61);
    CHECK(k.stamp.id == 7);
    CHECK(k.stamp.time_us == 123456789012ull);
    CHECK(decode_key(parse_one(encode(KeyEvent{0x61, true, {}})).body).stamp.id == 0);
    PointerEvent p = decode_pointer(parse_one(encode(PointerEvent{3, 4, 1, {9, 10}})).body);
    CHECK(p.stamp.id == 9);
    CHECK(p.stamp.time_us == 10);
    WheelEvent w = decode_wheel(parse_one(encode(WheelEvent{3, 4, 0, 1, {11, 12}})).body);
    CHECK(w.stamp.id == 11);
    CHECK(w.stamp.time_us == 12);
    // A stamp cut anywhere is malformed (only the whole stamp may be left out).
    for (std::size_t n = 6; n < kb.size(); ++n) CHECK_THROWS_AS(decode_key(ByteView(kb.data(), n)), DecodeError);
    FrameEnd fe = decode_frame_end(parse_one(encode(FrameEnd{5, {7, 8}})).body);
    CHECK(fe.input_ids == std::vector<std::uint32_t>{7, 8});
    check_truncations_rejected(parse_one(encode(Pong{1, 2})).body, decode_pong);
  }
  SUBCASE("Error and Bye") {
    auto e = decode_error(parse_one(encode(ErrorMsg{ErrorCode::Version, "no"})).body);
    CHECK(e.code == ErrorCode::Version);
    CHECK(e.text == "no");
    auto eb = parse_one(encode(ErrorMsg{ErrorCode::Version, "hello"})).body;
    check_truncations_rejected(eb, decode_error);
    CHECK(decode_bye(parse_one(encode(Bye{"bye now"})).body).reason == "bye now");
    CHECK(decode_bye(ByteView()).reason.empty());
  }
}

TEST_CASE("decoders accept trailing fields of later minor versions") {
  Bytes body = parse_one(encode(KeyEvent{0x41, true, {5, 6}})).body;
  body.push_back(0xAA);
  body.push_back(0xBB);
  CHECK(decode_key(body).keysym == 0x41);
  CHECK(decode_key(body).stamp.id == 5);
  Bytes ack = parse_one(encode(FrameAck{3, 4})).body;
  ack.push_back(0xAA);
  CHECK(decode_frame_ack(ack).seq == 3);
}

TEST_CASE("hello round-trip and negotiation") {
  ClientHello c;
  c.encoding = Encoding::Auto;
  c.quality = 70;
  c.subsampling = Subsampling::S444;
  c.codecs = 0xF;
  c.forced_codec = static_cast<std::uint8_t>(TileCodec::Jpeg);
  c.cache_kib = 65536;
  c.name = "test viewer";
  RawMessage m = parse_one(encode(c));
  CHECK(m.type == static_cast<std::uint8_t>(MsgType::ClientHello));
  ClientHello d = decode_client_hello(m.body);
  CHECK(d.encoding == Encoding::Auto);
  CHECK(d.quality == 70);
  CHECK(d.subsampling == Subsampling::S444);
  CHECK(d.forced_codec == static_cast<std::uint8_t>(TileCodec::Jpeg));
  CHECK(d.cache_kib == 65536);
  CHECK(d.name == "test viewer");
  check_truncations_rejected(m.body, decode_client_hello);

  Negotiated n = negotiate(d, kCapCursor | kCapPing);
  CHECK(n.ok);
  CHECK(n.capabilities == (kCapCursor | kCapPing));
  CHECK(n.encoding == Encoding::Auto);

  SUBCASE("wrong magic") {
    Bytes bad = m.body;
    bad[0] = 'X';
    CHECK_THROWS_AS(decode_client_hello(bad), DecodeError);
  }
  SUBCASE("wrong major version is refused with a Version error") {
    ClientHello v2 = c;
    v2.version_major = 2;
    ClientHello dv = decode_client_hello(parse_one(encode(v2)).body);
    Negotiated nv = negotiate(dv, kCapsV1);
    CHECK_FALSE(nv.ok);
    CHECK(nv.error.code == ErrorCode::Version);
  }
  SUBCASE("a newer minor version negotiates down") {
    ClientHello v = c;
    v.version_minor = 9;
    Negotiated nv = negotiate(decode_client_hello(parse_one(encode(v)).body), kCapsV1);
    CHECK(nv.ok);
    CHECK(nv.minor == kVersionMinor);
  }
  SUBCASE("a viewer that decodes nothing is refused") {
    ClientHello v = c;
    v.codecs = 0;
    v.forced_codec = kAnyCodec;
    CHECK_FALSE(negotiate(v, kCapsV1).ok);
  }
  SUBCASE("quality over 100 is malformed") {
    Bytes bad = m.body;
    bad[13] = 101;  // magic 4, versions 4, caps 4, encoding 1, then quality
    CHECK_THROWS_AS(decode_client_hello(bad), DecodeError);
  }

  ServerHello s;
  s.width = 800;
  s.height = 600;
  s.capabilities = kCapsV1;
  s.session_name = "desktop";
  Bytes sb = parse_one(encode(s)).body;
  ServerHello sd = decode_server_hello(sb);
  CHECK(sd.width == 800);
  CHECK(sd.height == 600);
  CHECK(sd.session_name == "desktop");
  check_truncations_rejected(sb, decode_server_hello);
}

TEST_CASE("keysyms and UTF-8") {
  CHECK(keysym_from_unicode(U'a') == 0x61);
  CHECK(keysym_from_unicode(U'\u00e9') == 0xe9);
  CHECK(keysym_from_unicode(U'\u20ac') == 0x010020ac);
  CHECK(keysym_from_unicode(U'\u0436') == 0x01000436);
  CHECK(keysym_from_unicode(U'\n') == 0);
  CHECK(unicode_from_keysym(0x010020ac) == U'\u20ac');
  CHECK(unicode_from_keysym(0x20ac) == U'\u20ac');
  CHECK(unicode_from_keysym(keysym::Return) == 0);
  CHECK(unicode_from_keysym(0xffb5) == U'5');
  std::string s = "a\u00e9\u20ac\U0001F600";
  std::u32string cps = utf8_decode(s);
  REQUIRE(cps.size() == 4);
  std::string back;
  for (char32_t cp : cps) utf8_append(back, cp);
  CHECK(back == s);
  utf8_pop_back(back);
  CHECK(back == "a\u00e9\u20ac");
  CHECK(utf8_decode("\xff\xc3") == std::u32string(2, U'\ufffd'));
}

TEST_CASE("password authentication: challenge and response messages, HMAC-SHA256, constant-time comparison") {
  // RFC 4231, test case 2.
  const std::string data = "what do ya want for nothing?";
  Mac256 mac = hmac_sha256("Jefe", reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
  const std::uint8_t want[32] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
                                 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
  CHECK(constant_time_equal(mac.data(), want, 32));
  Mac256 other = mac;
  other[31] ^= 1;
  CHECK_FALSE(constant_time_equal(other.data(), want, 32));

  AuthChallenge c;
  random_bytes(c.nonce.data(), c.nonce.size());
  AuthChallenge c2;
  random_bytes(c2.nonce.data(), c2.nonce.size());
  CHECK(c.nonce != c2.nonce);
  RawMessage cm = parse_one(encode(c));
  CHECK(cm.type == static_cast<std::uint8_t>(MsgType::AuthChallenge));
  CHECK(decode_auth_challenge(cm.body).nonce == c.nonce);
  check_truncations_rejected(cm.body, decode_auth_challenge);
  Bytes unknown = cm.body;
  unknown[0] = 2;
  CHECK_THROWS_AS(decode_auth_challenge(unknown), DecodeError);

  AuthResponse r;
  Bytes msg = auth_message(c);
  CHECK(msg.size() == sizeof kAuthContext - 1 + kAuthNonceSize);
  r.mac = hmac_sha256("secret", msg.data(), msg.size());
  RawMessage rm = parse_one(encode(r));
  CHECK(decode_auth_response(rm.body).mac == r.mac);
  check_truncations_rejected(rm.body, decode_auth_response);
  // Another nonce, another answer: a recorded answer is worth nothing later.
  Bytes msg2 = auth_message(c2);
  CHECK(hmac_sha256("secret", msg2.data(), msg2.size()) != r.mac);
}
