// Hostile bytes on the native port: each bad connection gets an Error naming the
// problem and is closed, the server logs why, and a well-behaved viewer watching the
// same session ends with the exact screen.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include "codecs/tile_codec.hpp"
#include "protocol/handshake.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/viewer.hpp"

using namespace rd;
using namespace rd::test;

namespace {

ErrorMsg expect_error_and_close(RawClient& c) {
  auto r = c.read_until_closed(10s);
  CHECK_MESSAGE(r.closed, "the server did not close the connection");
  for (const auto& m : r.messages)
    if (m.type == static_cast<std::uint8_t>(MsgType::Error)) return decode_error(m.body);
  FAIL("no Error message before the connection closed (" << r.messages.size() << " messages)");
  return {};
}

Bytes header_only(std::uint8_t type, std::uint32_t length) {
  Bytes b;
  encode_header(b, type, length);
  return b;
}

}  // namespace

TEST_CASE("e2e bad input: every malformed connection is refused, the good viewer is unaffected") {
  std::string dir = scratch_dir("e2e-bad-input");
  ServerProcess server(dir, {"--app", "desktop", "--frames", "150", "--fps", "60"});
  HeadlessViewer good(dir, "good", server.url(), {"--exit-when-idle", "2000"});

  struct Case {
    const char* name;
    std::function<void(RawClient&)> act;
    ErrorCode want;
    const char* log;  // what the server's log line must say
  };
  std::vector<Case> cases = {
      {"garbage", [](RawClient& c) { c.send(Bytes{'G', 'E', 'T', ' ', '/', ' ', 'H', 'T', 'T', 'P', '/', '1', '.', '1', '\r', '\n', '\r', '\n'}); },
       ErrorCode::TooLarge, "exceeds the maximum"},
      {"truncated header",
       [](RawClient& c) {
         c.send(Bytes{0x01, 0, 0, 0, 10});
         c.shutdown_write();
       },
       ErrorCode::Malformed, "inside a message header"},
      {"oversize length", [](RawClient& c) { c.send(header_only(0x01, 0x7fffffff)); }, ErrorCode::TooLarge, "exceeds the maximum"},
      {"truncated body",
       [](RawClient& c) {
         Bytes h = valid_hello_bytes();
         h.resize(h.size() - 5);
         c.send(h);
         c.shutdown_write();
       },
       ErrorCode::Malformed, "connection ended inside a ClientHello"},
      {"bad magic",
       [](RawClient& c) {
         Bytes h = valid_hello_bytes();
         h[kHeaderSize] = 'X';
         c.send(h);
       },
       ErrorCode::Malformed, "bad magic"},
      {"wrong version",
       [](RawClient& c) {
         ClientHello h;
         h.version_major = 7;
         h.codecs = 1;
         c.send(encode(h));
       },
       ErrorCode::Version, "protocol version 7.0 not supported"},
      {"input before hello", [](RawClient& c) { c.send(encode(KeyEvent{0x61, true, {}})); }, ErrorCode::Unexpected,
       "expected ClientHello"},
      {"unknown message type",
       [](RawClient& c) {
         c.send(valid_hello_bytes());
         REQUIRE(c.read_until(MsgType::ServerHello, 10s));
         Bytes m = header_only(0x5a, 3);
         m.insert(m.end(), {1, 2, 3});
         c.send(m);
       },
       ErrorCode::Unexpected, "unexpected message type 90"},
      {"malformed message after hello",
       [](RawClient& c) {
         c.send(valid_hello_bytes());
         REQUIRE(c.read_until(MsgType::ServerHello, 10s));
         c.send(header_only(static_cast<std::uint8_t>(MsgType::Key), 2));
         c.send(Bytes{1, 2});
       },
       ErrorCode::Malformed, "malformed Key"},
      {"ack of a frame never sent",
       [](RawClient& c) {
         c.send(valid_hello_bytes());
         REQUIRE(c.read_until(MsgType::ServerHello, 10s));
         c.send(encode(FrameAck{1000000, 0}));
       },
       ErrorCode::Unexpected, "never sent"},
      {"cache announce claiming more tiles than it holds",
       [](RawClient& c) {
         ClientHello h;
         h.codecs = kAllCodecs;
         h.cache_kib = 1024;  // asks for the tile cache: the server waits for the announce
         c.send(encode(h));
         REQUIRE(c.read_until(MsgType::ServerHello, 10s));
         Bytes body;
         ByteWriter w(body);
         w.u32(40000);  // tiles, but the body ends here
         Bytes m;
         encode_header(m, static_cast<std::uint8_t>(MsgType::CacheAnnounce), static_cast<std::uint32_t>(body.size()));
         m.insert(m.end(), body.begin(), body.end());
         c.send(m);
       },
       ErrorCode::Malformed, "CacheAnnounce lists 40000 tiles"},
      {"cache announce without the tile cache",
       [](RawClient& c) {
         c.send(valid_hello_bytes());  // cache_kib 0: no tile cache granted
         REQUIRE(c.read_until(MsgType::ServerHello, 10s));
         c.send(encode(CacheAnnounce{}));
       },
       ErrorCode::Unexpected, "CacheAnnounce other than right after the hello"},
  };

  for (auto& tc : cases) {
    CAPTURE(tc.name);
    RawClient c(server.port());
    tc.act(c);
    ErrorMsg e = expect_error_and_close(c);
    CHECK(e.code == tc.want);
    CHECK_MESSAGE(wait_until([&] { return server.proc().err().find(tc.log) != std::string::npos; }, 5s),
                  "no server log line containing '" << tc.log << "'");
  }
  // An optional extension message is skipped, not an error.
  {
    RawClient c(server.port());
    c.send(valid_hello_bytes());
    REQUIRE(c.read_until(MsgType::ServerHello, 10s));
    Bytes m;
    encode_header(m, 0x5b, 2, kFlagOptional);
    m.insert(m.end(), {9, 9});
    c.send(m);
    c.send(encode(Bye{"done"}));
    auto r = c.read_until_closed(10s);
    CHECK(r.closed);
    for (const auto& msg : r.messages) CHECK(msg.type != static_cast<std::uint8_t>(MsgType::Error));
  }

  auto gv = good.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(gv["framebuffer_hash"] == s["surface_hash"]);
  CHECK(gv["end_reason"] == "idle");
  // Every connection was accepted; those whose first header was wrong were turned away
  // by the front door and never became viewers.
  CHECK(s["connections"]["total"].get<std::size_t>() == cases.size() + 2);
  CHECK(s["viewers"].size() < cases.size() + 2);
}

TEST_CASE("e2e viewer: a peer that accepts but never says hello times out clearly, SIGUSR1 meanwhile is harmless") {
  std::string dir = scratch_dir("e2e-silent-peer");
  int lfd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  REQUIRE(lfd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::listen(lfd, 1) == 0);
  socklen_t len = sizeof addr;
  ::getsockname(lfd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::string url = "rdisplay://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  Process viewer({kViewerBin, url, "--headless", "--stats", dir + "/stats.json", "--connect-timeout", "3000"}, dir, "viewer");
  int cfd = -1;
  REQUIRE(wait_until([&] { return (cfd = ::accept(lfd, nullptr, nullptr)) >= 0 || !viewer.running(); }, 10s));
  REQUIRE(cfd >= 0);
  // The viewer now waits for the hello; stats requests must not end that wait.
  for (int i = 0; i < 3; ++i) CHECK(viewer.signal_when_caught(SIGUSR1));
  auto rc = viewer.wait(20s);
  REQUIRE(rc.has_value());
  CHECK(*rc != 0);
  CHECK_MESSAGE(viewer.err().find("no rdisplay hello came back (Connection timed out)") != std::string::npos,
                "viewer said: " << viewer.err());
  ::close(cfd);
  ::close(lfd);
}
