// The viewer's session features against a real server over loopback: input latency
// stamps measured against the test's own clock, and reconnection through a relay that
// cuts the connection mid-stream.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <thread>

#include "client/frame_store.hpp"
#include "client/native_session.hpp"
#include "codecs/tile_codec.hpp"
#include "common/clock.hpp"
#include "common/auth_crypto.hpp"
#include "protocol/handshake.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/tcp_relay.hpp"
#include "tests/support/viewer.hpp"

using namespace rd;
using namespace rd::test;

namespace {

bool same_pixels(const Surface& a, const Surface& b, const Rect& r) {
  if (a.width() != b.width() || a.height() != b.height()) return false;
  for (int y = r.y; y < r.y + r.h; ++y)
    if (std::memcmp(a.row32(y) + r.x, b.row32(y) + r.x, static_cast<std::size_t>(r.w) * 4) != 0) return false;
  return true;
}

std::size_t count_of(const std::string& text, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace

TEST_CASE("e2e latency stamps: the latency the viewer reports for a key agrees within 1 ms with when its pixels arrived") {
  std::string dir = scratch_dir("e2e-latency");
  // The desktop app animates (graph and notes) the whole time: frames keep coming, so
  // a stamp answered by the wrong frame would show as a difference.
  ServerProcess server(dir, {"--app", "desktop", "--fps", "60"});
  ClientHello hello;
  hello.encoding = Encoding::Pixels;
  hello.codecs = kAllCodecs;
  hello.cache_kib = 0;
  hello.name = "latency test";
  NativeSessionOptions no;
  no.hello = hello;
  no.glyph_cache_bytes = glyph_cache_bytes(hello.glyph_cache_kib);
  NativeSession session(std::make_unique<NativeConnection>("127.0.0.1", server.port(), hello, 5s), std::move(no));
  FrameStore store;
  store.reset(session.width(), session.height());
  session.start(store);
  // Drains what arrived, as a presenter does, counting it as shown.
  std::uint64_t taken_at = 0;  // when present() last took an update: "on screen" for the test
  auto present = [&](Clock::time_point deadline) {
    store.wait(deadline);
    FrameStore::Update u = store.take();
    taken_at = now_us();
    store.shown(u);
  };
  REQUIRE(wait_until([&] { present(Clock::now() + 20ms); return store.frames() > 3; }, 20s));

  // Where typed keys appear: the Notes window's text field (server/apps/desktop_app.cpp).
  nlohmann::json notes, st = parse_json(server.poll_stats(), "stats");
  for (const auto& w : st["app_state"]["windows"])
    if (w["title"] == "Notes") notes = w;
  REQUIRE_MESSAGE(notes.is_object(), st.dump());
  Rect field{notes["x"].get<int>() + 90, notes["y"].get<int>() + 28 + 14, notes["w"].get<int>() - 110, 30};

  int agreed = 0;
  for (int i = 0; i < 20; ++i) {
    present(Clock::now());
    Surface before = store.snapshot();
    std::size_t n_before = store.metrics().latencies().size();
    const std::uint32_t ks = 'a' + static_cast<std::uint32_t>(i);
    std::uint64_t t0 = now_us();
    session.send_key(ks, true);
    // The test's own measurement: from sending to the first presented frame whose text
    // field differs.
    std::uint64_t t1 = 0;
    REQUIRE(wait_until([&] {
      present(Clock::now() + 50ms);
      if (same_pixels(store.snapshot(), before, field)) return false;
      // Those pixels may be of a frame published after that take (the receiver does not
      // wait for the presenter): its answer is then in the next take, made now.
      if (store.metrics().latencies().size() == n_before) present(Clock::now());
      t1 = taken_at;
      return true;
    }, 10s));
    std::vector<std::uint32_t> lat = store.metrics().latencies();
    // The frame that showed the key answered it: its latency was recorded with it.
    REQUIRE_MESSAGE(lat.size() == n_before + 1, "key " << i << ": no latency recorded when its pixels arrived");
    double reported_ms = lat.back() / 1000.0, measured_ms = static_cast<double>(t1 - t0) / 1000.0;
    CHECK_MESSAGE(std::abs(reported_ms - measured_ms) <= 1.0,
                  "key " << i << ": reported " << reported_ms << " ms, measured " << measured_ms << " ms");
    if (std::abs(reported_ms - measured_ms) <= 1.0) ++agreed;
    // The release changes nothing on screen; it is answered all the same.
    session.send_key(ks, false);
    REQUIRE(wait_until([&] { present(Clock::now() + 20ms); return store.metrics().latencies().size() == n_before + 2; }, 10s));
  }
  MESSAGE(agreed << " of 20 keys: reported latency within 1 ms of the measured one");
  session.stop(true);
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(s["viewers"][0]["input_events"] == 40);
}

namespace {

// Cuts a video session through a relay `rounds` times at random bytes of the stream,
// and every third time also inside the reconnection's ServerHello; the viewer must
// resume each time and end with the server's exact screen.
void cut_at_random_points(const std::string& dir, int rounds, int frames, bool tls) {
  // The video app changes most of the screen every frame: a cut lands inside a frame
  // (a header, a tile, a FrameEnd) wherever it falls.
  std::vector<std::string> server_args{"--app", "video", "--frames", std::to_string(frames), "--fps", "30"};
  std::vector<std::string> viewer_args{"--reconnect", "60"};
  if (tls) {
    server_args.insert(server_args.end(), {"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem", "--tls-generate"});
    viewer_args.insert(viewer_args.end(), {"--tls-ca", dir + "/cert.pem"});
  }
  ServerProcess server(dir, server_args);
  TcpRelay relay(server.port());
  HeadlessViewer viewer(dir, "viewer", (tls ? "rdisplays://127.0.0.1:" : "rdisplay://127.0.0.1:") + std::to_string(relay.port()),
                        viewer_args);
  const unsigned seed = std::random_device{}();
  MESSAGE("cut points from seed " << seed);
  std::mt19937 rng(seed);
  int cuts = 0, handshake_cuts = 0;
  // Streaming, not only connected: a cut inside the first handshake would be a failed
  // connection (exit 3), not a broken session to resume.
  REQUIRE(wait_until([&] { return relay.bytes_to_viewer() > 0 && viewer.poll_stats().value("frames", 0) > 0; }, 20s));
  for (int round = 0; round < rounds; ++round) {
    // Streaming again (round 0: first connection): cut somewhere in the next 400 kB.
    REQUIRE_MESSAGE(wait_until([&] { return count_of(viewer.proc().err(), "reconnected after") >= static_cast<std::size_t>(round); }, 30s),
                    viewer.proc().err());
    // Every third round the reconnection's own handshake is cut too, inside the
    // ServerHello (33 bytes here) or, with TLS, inside the server's first flight.
    std::vector<std::uint64_t> at{std::uniform_int_distribution<std::uint64_t>(1, 400000)(rng)};
    if (round % 3 == 1) at.push_back(std::uniform_int_distribution<std::uint64_t>(1, 30)(rng));
    relay.arm_cuts(at);
    REQUIRE_MESSAGE(wait_until([&] { return relay.cuts() == cuts + static_cast<int>(at.size()) || !viewer.proc().running(); }, 30s),
                    "cuts at " << at[0]);
    REQUIRE(viewer.proc().running());
    cuts += static_cast<int>(at.size());
    handshake_cuts += static_cast<int>(at.size()) - 1;
  }
  // Once the script is over, the viewer must hold the server's exact final screen.
  REQUIRE(wait_until([&] {
    auto st = parse_json(server.poll_stats(), "stats");
    if (st["app_script_done"] != true) return false;
    int streaming = 0;
    for (const auto& v : st["viewers"]) {
      if (v["connected"] != true) continue;
      if (v["up_to_date"] != true) return false;
      ++streaming;
    }
    return streaming == 1;
  }, 90s));
  auto live = viewer.poll_stats();
  viewer.proc().signal(SIGTERM);
  auto vs = viewer.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(vs["reconnects"] == rounds);
  CHECK(relay.accepted() == 1 + rounds + handshake_cuts);
  CHECK(count_of(viewer.proc().err(), "reconnected after 2 attempt(s)") == static_cast<std::size_t>(handshake_cuts));
  CHECK(vs["framebuffer_hash"] == s["surface_hash"]);
  CHECK(live["framebuffer_hash"] == s["surface_hash"]);
}

}  // namespace

TEST_CASE("e2e reconnect: cut at random bytes of frames and of handshakes, many times, the viewer resumes and ends bit-exact") {
  cut_at_random_points(scratch_dir("e2e-reconnect"), 12, 600, false);
}

TEST_CASE("e2e reconnect: the same through TLS") {
  cut_at_random_points(scratch_dir("e2e-reconnect-tls"), 5, 300, true);
}

TEST_CASE("e2e reconnect: with --reconnect 0 a lost connection ends the viewer with a one-line reason") {
  std::string dir = scratch_dir("e2e-noreconnect");
  ServerProcess server(dir, {"--app", "terminal"});
  TcpRelay relay(server.port());
  HeadlessViewer viewer(dir, "viewer", "rdisplay://127.0.0.1:" + std::to_string(relay.port()), {"--reconnect", "0"});
  REQUIRE(wait_until([&] { return relay.bytes_to_viewer() > 1000; }, 20s));
  relay.cut();
  auto code = viewer.proc().wait(10s);
  REQUIRE(code);
  CHECK(*code == 1);
  CHECK(viewer.proc().err().find("connection lost") != std::string::npos);
}

namespace {

// A one-shot TCP listener on loopback that answers the first connection with `reply`
// (after reading whatever the client sent first) and closes it.
class OneReplyServer {
 public:
  explicit OneReplyServer(Bytes reply) : reply_(std::move(reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(fd_, 1) == 0);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      char buf[4096];
      [[maybe_unused]] auto n = ::recv(c, buf, sizeof buf, 0);
      [[maybe_unused]] auto w = ::send(c, reply_.data(), reply_.size(), MSG_NOSIGNAL);
      ::close(c);
    });
  }
  ~OneReplyServer() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }

 private:
  Bytes reply_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace

TEST_CASE("e2e viewer errors: each failure is one line that says what happened and what to do") {
  std::string dir = scratch_dir("e2e-viewer-errors");
  SUBCASE("connection refused") {
    auto r = run_viewer(dir, "refused", {"rdisplay://127.0.0.1:" + std::to_string(free_loopback_port()), "--headless"});
    CHECK(r.code == 3);
    CHECK(lines_of(r.err) == 1);
    CHECK(r.err.find("connection refused; is rdisplay-server running there") != std::string::npos);
  }
  SUBCASE("unknown host") {
    auto r = run_viewer(dir, "unknown", {"rdisplay://no-such-host.invalid", "--headless"});
    CHECK(r.code == 3);
    CHECK(lines_of(r.err) == 1);
    CHECK(r.err.find("unknown host; check the name") != std::string::npos);
  }
  SUBCASE("not an rdisplay server (a VNC server's banner)") {
    OneReplyServer vnc(Bytes{'R', 'F', 'B', ' ', '0', '0', '3', '.', '0', '0', '8', '\n'});
    auto r = run_viewer(dir, "notrd", {"rdisplay://127.0.0.1:" + std::to_string(vnc.port()), "--headless"});
    CHECK(r.code == 3);
    CHECK(lines_of(r.err) == 1);
    CHECK(r.err.find("does not speak the rdisplay protocol") != std::string::npos);
  }
  SUBCASE("protocol version mismatch") {
    ServerHello future;
    future.version_major = kVersionMajor + 1;
    future.width = future.height = 64;
    OneReplyServer srv(encode(future));
    auto r = run_viewer(dir, "version", {"rdisplay://127.0.0.1:" + std::to_string(srv.port()), "--headless"});
    CHECK(r.code == 3);
    CHECK(lines_of(r.err) == 1);
    CHECK(r.err.find("update one of them") != std::string::npos);
  }
  SUBCASE("the server closed the session") {
    ServerProcess server(dir, {"--app", "terminal", "--frames", "5"});
    HeadlessViewer v(dir, "closed", server.url(), {});
    REQUIRE(wait_until([&] { return v.poll_stats()["frames"].get<int>() > 0; }, 20s));
    server.stop_and_read_stats();
    auto code = v.proc().wait(20s);
    REQUIRE(code);
    CHECK(*code == 0);
    CHECK(lines_of(v.proc().err()) == 1);
    CHECK(v.proc().err().find("the server closed the session") != std::string::npos);
  }
}

TEST_CASE("e2e password: challenge-response, no password on the wire, view-only passwords, wrong ones throttled") {
  std::string dir = scratch_dir("e2e-password");
  {
    std::ofstream f(dir + "/passwords");
    f << "full-control-secret\n__BEGIN_VIEWONLY__\nwatch-only-secret\n";
  }
  auto password_file = [&](const std::string& name, const std::string& pw) {
    std::ofstream(dir + "/" + name) << pw << "\n";
    return dir + "/" + name;
  };
  ServerProcess server(dir, {"--app", "desktop", "--frames", "1", "--password-file", dir + "/passwords"});
  TcpRelay relay(server.port());
  const std::string via_relay = "rdisplay://127.0.0.1:" + std::to_string(relay.port());

  SUBCASE("the right password streams; what crossed the wire holds no password, and no answer twice") {
    HeadlessViewer a(dir, "right-a", via_relay, {"--password-file", password_file("pw-right", "full-control-secret"), "--exit-when-idle", "500"});
    auto as = a.finish();
    HeadlessViewer b(dir, "right-b", via_relay, {"--password-file", password_file("pw-right", "full-control-secret"), "--exit-when-idle", "500"});
    auto bs = b.finish();
    auto s = parse_json(server.stop_and_read_stats(), "server stats");
    CHECK(as["framebuffer_hash"] == s["surface_hash"]);
    CHECK(bs["framebuffer_hash"] == s["surface_hash"]);
    std::string wire = relay.sent_by_viewers();
    CHECK(wire.find("full-control-secret") == std::string::npos);
    // Two AuthResponses (type 0x04, 32-byte body) went through: different, fresh nonces.
    std::vector<std::string> macs;
    MessageParser parser(1 << 20);
    parser.feed(ByteView(reinterpret_cast<const std::uint8_t*>(wire.data()), wire.size()));
    while (auto m = parser.next())
      if (m->type == static_cast<std::uint8_t>(MsgType::AuthResponse)) macs.emplace_back(m->body.begin(), m->body.end());
    REQUIRE(macs.size() == 2);
    CHECK(macs[0] != macs[1]);
  }
  SUBCASE("a wrong password and none at all: one line each, exit 3") {
    auto r = run_viewer(dir, "wrong", {server.url(), "--headless", "--password-file", password_file("pw-wrong", "guess")});
    CHECK(r.code == 3);
    CHECK(lines_of(r.err) == 1);
    CHECK(r.err.find("wrong password; check the password") != std::string::npos);
    auto none = run_viewer(dir, "none", {server.url(), "--headless"});
    CHECK(none.code == 3);
    CHECK(none.err.find("the server asks for a password; give it with --password-file") != std::string::npos);
  }
  SUBCASE("three wrong passwords block the address, the right one included, for a while") {
    for (int i = 0; i < 3; ++i)
      CHECK(run_viewer(dir, "guess" + std::to_string(i), {server.url(), "--headless", "--password-file", password_file("pw-g", "guess")}).code == 3);
    auto r = run_viewer(dir, "blocked", {server.url(), "--headless", "--password-file", password_file("pw-right", "full-control-secret")});
    CHECK(r.code == 3);
    CHECK(r.err.find("too many wrong passwords") != std::string::npos);
    CHECK(server.proc().err().find("further attempts refused for 2 s") != std::string::npos);
  }
  SUBCASE("a view-only password watches; its keys never reach the app") {
    // A raw client answers the challenge like a viewer, then types.
    RawClient c(server.port());
    c.send(valid_hello_bytes());
    auto ch = c.read_until(MsgType::AuthChallenge, 10s);
    REQUIRE(ch);
    AuthChallenge challenge = decode_auth_challenge(ch->body);
    Bytes msg = auth_message(challenge);
    AuthResponse resp;
    resp.mac = hmac_sha256("watch-only-secret", msg.data(), msg.size());
    c.send(encode(resp));
    auto sh = c.read_until(MsgType::ServerHello, 10s);
    REQUIRE(sh);
    CHECK((decode_server_hello(sh->body).capabilities & kCapViewOnly) != 0);
    for (char k : std::string("zzz")) {
      c.send(encode(KeyEvent{static_cast<std::uint32_t>(k), true, {}}));
      c.send(encode(KeyEvent{static_cast<std::uint32_t>(k), false, {}}));
    }
    nlohmann::json st;
    REQUIRE(wait_until([&] {
      st = parse_json(server.poll_stats(), "stats");
      for (const auto& v : st["viewers"])
        if (v["view_only"] == true && v["input_events"] == 6) return true;
      return false;
    }, 10s));
    CHECK(st["app_state"]["text_field"] == "");
  }
}
