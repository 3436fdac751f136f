// The hostile-client suite: while one session runs, a crowd attacks it — garbage and
// oversize frames, handshakes sent a byte at a time (slowloris), a viewer that never
// reads, 100 viewers at once, connections opened and dropped as fast as one thread can —
// and a well-behaved viewer keeps receiving exact frames and stays responsive, the
// server's memory stays bounded, and every attacker is closed. The attack runs on the
// same two cores as the server and the viewer; docs/hardening.md has the figures.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>

#include "common/percentile.hpp"
#include "protocol/framing.hpp"
#include "protocol/handshake.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/viewer.hpp"

using namespace rd;
using namespace rd::test;

namespace {

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

void send_all(int fd, const Bytes& b) {
  for (std::size_t off = 0; off < b.size();) {
    ssize_t n = ::send(fd, b.data() + off, b.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

long rss_kib(ServerProcess& server) { return parse_json(server.poll_stats(), "stats")["rss_kib"].get<long>(); }

// A crowd of viewers that do everything right but are many: each completes the hello,
// reads every frame and acknowledges it. One thread polls them all.
class Crowd {
 public:
  Crowd(std::uint16_t port, int n) {
    for (int i = 0; i < n; ++i) {
      int fd = connect_to(port);
      REQUIRE(fd >= 0);
      send_all(fd, valid_hello_bytes());
      members_.push_back({fd, std::make_unique<MessageParser>(kDefaultMaxMessage)});
    }
    thread_ = std::thread([this] { run(); });
  }
  ~Crowd() {
    stop_ = true;
    thread_.join();
    for (auto& m : members_) ::close(m.fd);
  }
  long frames() const { return frames_.load(); }
  int closed() const { return closed_.load(); }

 private:
  struct Member {
    int fd;
    std::unique_ptr<MessageParser> parser;
    bool open = true;
  };
  void run() {
    std::vector<std::uint8_t> buf(1 << 16);
    while (!stop_) {
      std::vector<pollfd> fds;
      for (auto& m : members_) fds.push_back({m.fd, static_cast<short>(m.open ? POLLIN : 0), 0});
      if (::poll(fds.data(), fds.size(), 50) <= 0) continue;
      for (std::size_t i = 0; i < members_.size(); ++i) {
        Member& m = members_[i];
        if (!m.open || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::recv(m.fd, buf.data(), buf.size(), 0);
        if (n <= 0) {
          m.open = false;
          ++closed_;
          continue;
        }
        m.parser->feed(ByteView(buf.data(), static_cast<std::size_t>(n)));
        while (auto msg = m.parser->next())
          if (msg->type == static_cast<std::uint8_t>(MsgType::FrameEnd)) {
            send_all(m.fd, encode(FrameAck{decode_frame_end(msg->body).seq, 0}));
            ++frames_;
          }
      }
    }
  }
  std::vector<Member> members_;
  std::atomic<bool> stop_{false};
  std::atomic<long> frames_{0};
  std::atomic<int> closed_{0};
  std::thread thread_;
};

double p99_of(const nlohmann::json& viewer_stats) { return viewer_stats["input_latency_ms"]["p99"].get<double>(); }

// The good viewer's input-to-display latency, probed 100 times a second for 8 s (a press
// and a release each: 1,600 samples, the p99 rests on the 16 slowest), every sample kept
// so that runs can be pooled.
nlohmann::json probe_latency(const std::string& dir, const std::string& name, const std::string& url) {
  HeadlessViewer v(dir, name, url, {"--probe-input", "100", "--exit-after", "8", "--latency-samples"});
  return v.finish();
}

std::vector<std::uint32_t> samples_of(std::initializer_list<const nlohmann::json*> runs) {
  std::vector<std::uint32_t> all;
  for (const auto* r : runs)
    for (const auto& x : (*r)["input_latency_ms"]["samples_us"]) all.push_back(x.get<std::uint32_t>());
  return all;
}

}  // namespace

TEST_CASE("e2e hostile clients: a crowd attacks one session, the good viewer stays exact and fast, memory stays bounded") {
  std::string dir = scratch_dir("e2e-hostile");
  // 50 s of the desktop animating at 30 fps: calm, the attack, calm again, and the end.
  // From frame 800 on its script is steady (the graph every frame, the clock every
  // second; the window slide and the scripted typing are over), so that the three
  // probes meet the same work: input that lands while a frame is being made waits for
  // it, and those collisions are the latency's tail (the probes' gaps are jittered, so
  // every run meets them in the same proportion).
  ServerProcess server(dir, {"--app", "desktop", "--start-frame", "800", "--frames", "2300", "--fps", "30", "--max-viewers", "200"});
  // Without attack: the good viewer's latency. Measured again after the attack, and the
  // two calm runs pooled: the baseline then sees the same stretch of this shared
  // machine's life as the attacked run (calm, attack, calm).
  auto calm_before = probe_latency(dir, "good-before", server.url());
  const long rss_calm = rss_kib(server);

  // The attack.
  std::atomic<bool> attacking{true};
  std::atomic<long> garbage_sent{0}, churned{0};
  // Slowloris: 20 handshakes that trickle in one byte at a time and never finish.
  std::vector<int> slow;
  for (int i = 0; i < 20; ++i) slow.push_back(connect_to(server.port()));
  Bytes hello = valid_hello_bytes();
  std::thread slowloris([&] {
    for (std::size_t b = 0; b < hello.size() - 1 && attacking; ++b) {
      for (int fd : slow) ::send(fd, hello.data() + b, 1, MSG_NOSIGNAL);
      for (int t = 0; t < 10 && attacking; ++t) std::this_thread::sleep_for(25ms);  // the attack's pace, not a wait
    }
  });
  // A viewer that completes the hello and then never reads, with a tiny receive buffer.
  auto never_reads = std::make_unique<RawClient>(server.port(), 4096);
  never_reads->send(valid_hello_bytes());
  // Garbage, oversize lengths and truncated frames, and connections opened and dropped.
  std::thread junk([&] {
    std::mt19937 rng(7);
    while (attacking) {
      int fd = connect_to(server.port());
      if (fd < 0) continue;
      switch (rng() % 4) {
        case 0: {  // random bytes
          Bytes b(1 + rng() % 2000);
          for (auto& x : b) x = static_cast<std::uint8_t>(rng());
          send_all(fd, b);
          break;
        }
        case 1: {  // a header claiming a huge body
          Bytes b;
          encode_header(b, 0x01, 0x7ffffff0);
          send_all(fd, b);
          break;
        }
        case 2: {  // a hello cut short
          Bytes b = valid_hello_bytes();
          b.resize(rng() % b.size());
          send_all(fd, b);
          break;
        }
        default: break;  // connect and hang up
      }
      ++garbage_sent;
      ++churned;
      ::close(fd);
    }
  });
  // 100 viewers at once on the same session.
  auto crowd = std::make_unique<Crowd>(server.port(), 100);
  REQUIRE(wait_until([&] { return crowd->frames() >= 100; }, 30s));

  // Under attack: the same probe.
  long rss_peak = rss_calm;
  auto attacked = probe_latency(dir, "good-during", server.url());
  rss_peak = std::max(rss_peak, rss_kib(server));
  attacking = false;
  slowloris.join();
  junk.join();

  // Every slowloris connection is closed by the handshake timeout; the crowd still streams.
  for (int fd : slow) {
    pollfd p{fd, POLLIN, 0};
    bool closed = wait_until([&] {
      char c[4096];
      if (::poll(&p, 1, 0) <= 0) return false;
      return ::recv(fd, c, sizeof c, MSG_DONTWAIT) == 0;
    }, 20s);
    CHECK_MESSAGE(closed, "a slowloris handshake was never closed");
    ::close(fd);
  }
  CHECK(crowd->closed() == 0);
  const long crowd_frames = crowd->frames();

  // Calm again: the crowd and the reader that never reads gone, then the same probe.
  crowd.reset();
  never_reads.reset();
  REQUIRE(wait_until([&] { return parse_json(server.poll_stats(), "stats")["connections"]["live"] == 0; }, 20s));
  auto calm_after = probe_latency(dir, "good-after", server.url());
  const double calm_p99 = percentile(samples_of({&calm_before, &calm_after}), 99) / 1000.0;
  const double attacked_p99 = p99_of(attacked);

  MESSAGE("input-to-display p99: " << calm_p99 << " ms calm (before " << p99_of(calm_before) << ", after "
                                   << p99_of(calm_after) << "), " << attacked_p99 << " ms under attack (x"
                                   << attacked_p99 / std::max(0.001, calm_p99) << "; p50 "
                                   << percentile(samples_of({&calm_before, &calm_after}), 50) / 1000.0 << " / "
                                   << attacked["input_latency_ms"]["p50"] << "); server RSS " << rss_calm << " KiB calm, "
                                   << rss_peak << " KiB under attack; " << churned.load() << " junk connections, crowd got "
                                   << crowd_frames << " frames");
  CHECK(calm_before["input_latency_ms"]["count"].get<int>() > 1200);
  CHECK(calm_after["input_latency_ms"]["count"].get<int>() > 1200);
  CHECK(attacked["input_latency_ms"]["count"].get<int>() > 1200);
  const bool sanitized = std::getenv("RDISPLAY_SANITIZED") != nullptr;  // figures of another program
  if (!sanitized) {
    // Typing stays interactive: junk never reaches the I/O thread (the front door), the
    // crowd shares whole updates (searches, snapshots, encodes), and the server answers
    // input ahead of the crowd's updates (urgent jobs, the bulk lane). The p99 ratio is measured, not asserted: the attack
    // runs on the same two cores (docs/hardening.md has the figures).
    CHECK(attacked["input_latency_ms"]["p50"].get<double>() < 10.0);
    CHECK(attacked_p99 < 500.0);
    // Memory: each of the ~100 viewers keeps at most two session snapshots alive (the
    // frame it holds and the one its update goes to, 8 MiB at 1280x800; viewers in step
    // share them, so in practice the crowd costs far less) and at most a window of
    // frames; nothing grows with the junk connections.
    CHECK(rss_peak - rss_calm < 101 * 9 * 1024);
  }

  // The good viewer, watching to the end, holds the exact final screen.
  HeadlessViewer last(dir, "good-last", server.url(), {"--exit-when-idle", "1500"});
  REQUIRE(wait_until([&] { return parse_json(server.poll_stats(), "stats")["app_script_done"] == true; }, 60s));
  auto lv = last.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(lv["framebuffer_hash"] == s["surface_hash"]);
  // The same probes seen from inside the server: input read on the I/O thread to its
  // answer queued for writing (before, during, after the attack, in connection order).
  for (const auto& v : s["viewers"])
    if (v["input_answers"].get<long>() > 100) MESSAGE("server side, input to answer queued: " << v["input_answer_ms"].dump());
  MESSAGE("app input steps: " << s["app_timing"]["input_steps"].dump());
  CHECK(s["connections"]["total"].get<long>() > 120);
}

TEST_CASE("e2e hostile clients: handshakes stalled at the password challenge count against the handshake cap") {
  std::string dir = scratch_dir("e2e-stalled-auth");
  std::ofstream(dir + "/passwords") << "the-password\n";
  std::ofstream(dir + "/pw") << "the-password\n";
  ServerProcess server(dir, {"--app", "terminal", "--frames", "1", "--password-file", dir + "/passwords"});
  // 64 clients that send a valid hello (no secret needed) and never answer the challenge.
  std::vector<std::unique_ptr<RawClient>> stalled;
  for (int i = 0; i < 64; ++i) {
    stalled.push_back(std::make_unique<RawClient>(server.port()));
    stalled.back()->send(valid_hello_bytes());
    REQUIRE(stalled.back()->read_until(MsgType::AuthChallenge, 10s));
  }
  RawClient one_more(server.port());
  one_more.send(valid_hello_bytes());
  auto r = one_more.read_until_closed(10s);
  REQUIRE(r.closed);
  bool busy = false;
  for (const auto& m : r.messages)
    if (m.type == static_cast<std::uint8_t>(MsgType::Error)) {
      ErrorMsg e = decode_error(m.body);
      busy = e.code == ErrorCode::Busy && e.text.find("still in their handshake") != std::string::npos;
    }
  CHECK(busy);
  // Once they go, a viewer with the password gets in.
  stalled.clear();
  CHECK(wait_until([&] { return parse_json(server.poll_stats(), "stats")["connections"]["live"] == 0; }, 10s));
  HeadlessViewer v(dir, "viewer", server.url(), {"--password-file", dir + "/pw", "--exit-when-idle", "300"});
  auto vs = v.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(vs["framebuffer_hash"] == s["surface_hash"]);
}
