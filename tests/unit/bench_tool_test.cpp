// rdisplay-bench's own parts: the shaping relay (what it forwards, counts and delays),
// the catalogue (what --quick must cover) and the CSV writer.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include "bench/tool/catalog.hpp"
#include "bench/tool/report.hpp"
#include "bench/tool/shaped_relay.hpp"

using namespace rd::bench;
using Clock = std::chrono::steady_clock;

namespace {

// An echo server on loopback for one connection.
struct EchoServer {
  int listen_fd = -1, port = 0;
  std::thread thread;
  EchoServer() {
    listen_fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(listen_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(listen_fd, 1) == 0);
    socklen_t len = sizeof a;
    ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    thread = std::thread([this] {
      int c = ::accept(listen_fd, nullptr, nullptr);
      if (c < 0) return;
      char buf[65536];
      ssize_t n;
      while ((n = ::recv(c, buf, sizeof buf, 0)) > 0)
        for (ssize_t off = 0; off < n;) {
          ssize_t w = ::send(c, buf + off, static_cast<std::size_t>(n - off), MSG_NOSIGNAL);
          if (w <= 0) break;
          off += w;
        }
      ::close(c);
    });
  }
  ~EchoServer() {
    ::shutdown(listen_fd, SHUT_RDWR);
    thread.join();
    ::close(listen_fd);
  }
};

int connect_to(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  return fd;
}

// Sends `data` and reads back as many bytes; returns what came back.
std::string round_trip(int fd, const std::string& data) {
  std::thread writer([&] { ::send(fd, data.data(), data.size(), MSG_NOSIGNAL); });
  std::string got;
  char buf[65536];
  while (got.size() < data.size()) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  writer.join();
  return got;
}

}  // namespace

TEST_CASE("shaped relay forwards every byte both ways and counts them") {
  EchoServer echo;
  ShapedRelay relay(*find_net_profile("lan"), {echo.port, {}});
  int fd = connect_to(relay.port());
  std::string data(300000, '\0');
  for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7 + i / 251);
  CHECK(round_trip(fd, data) == data);
  CHECK(relay.bytes_up() == data.size());
  CHECK(relay.bytes_down() == data.size());
  CHECK(relay.connections() == 1);
  ::close(fd);
}

TEST_CASE("shaped relay delays by the profile's round trip and paces by its bandwidth") {
  EchoServer echo;
  // 40 ms RTT, 20 Mbit/s: a small message comes back after two passes through the relay.
  NetProfile wan = *find_net_profile("wan");
  ShapedRelay relay(wan, {echo.port, {}});
  int fd = connect_to(relay.port());
  auto t0 = Clock::now();
  CHECK(round_trip(fd, "ping") == "ping");
  double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  CHECK(ms >= 2 * wan.rtt_ms / 2);  // one way each pass: the whole RTT there and back
  // 250 kB at 4 Mbit/s takes 0.5 s each way, and the two directions overlap.
  NetProfile slow{"slow", 4, 0, 0};
  EchoServer echo2;
  ShapedRelay slow_relay(slow, {echo2.port, {}});
  int fd2 = connect_to(slow_relay.port());
  std::string data(250000, 'x');
  t0 = Clock::now();
  CHECK(round_trip(fd2, data) == data);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  CHECK(s >= 0.45);
  ::close(fd);
  ::close(fd2);
}

TEST_CASE("shaped relay reaches a Unix socket (an X server's) too") {
  std::string path = "/tmp/rdisplay-relay-test-" + std::to_string(::getpid());
  std::filesystem::remove(path);
  int ls = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  REQUIRE(::bind(ls, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::listen(ls, 1) == 0);
  std::thread server([ls] {
    int c = ::accept(ls, nullptr, nullptr);
    char buf[256];
    ssize_t n;
    while ((n = ::recv(c, buf, sizeof buf, 0)) > 0) ::send(c, buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
    ::close(c);
  });
  {
    ShapedRelay relay(*find_net_profile("lan"), {0, path});
    int fd = connect_to(relay.port());
    CHECK(round_trip(fd, "hello X") == "hello X");
    CHECK(relay.bytes_down() == 7);
    ::close(fd);
  }
  server.join();
  ::close(ls);
  std::filesystem::remove(path);
}

TEST_CASE("bench catalogue: --quick covers the peers the report must compare") {
  std::set<std::string> quick_enc, names;
  for (const auto& e : encodings()) {
    CHECK(names.insert(e.name).second);
    if (e.quick) quick_enc.insert(e.name);
    CHECK((e.style == "x11" || e.style == "vnc" || e.style == "mixed"));
  }
  for (const char* must : {"ops", "pixels-auto", "rfb-tight", "rfb-zrle", "x11-wire", "x11vnc", "x0vncserver"}) CHECK(quick_enc.count(must) == 1);
  bool quick_app = false, quick_x = false;
  for (const auto& w : workloads()) {
    CHECK(names.insert(w.name).second);
    int n = 0;
    for (const auto& e : encodings()) n += applies(e, w);
    CHECK(n >= 3);
    if (w.quick) (w.kind == Workload::App ? quick_app : quick_x) = true;
  }
  CHECK(quick_app);
  CHECK(quick_x);
  for (const char* p : {"lan", "wan", "mobile"}) CHECK(find_net_profile(p) != nullptr);
}

TEST_CASE("bench results CSV: one header, one line per run, text quoted") {
  nlohmann::json rows = nlohmann::json::array();
  rows.push_back({{"workload", "desktop"}, {"encoding", "ops"}, {"style", "x11"}, {"profile", "lan"}, {"repeat", 0}, {"bytes", 1234.0},
                  {"bit_exact", true}});
  rows.push_back({{"workload", "xterm-seq"}, {"encoding", "x11vnc"}, {"style", "vnc"}, {"profile", "wan"}, {"repeat", 1},
                  {"error", "it said \"no\", twice"}});
  std::string path = std::filesystem::temp_directory_path() / ("rdisplay-bench-csv-" + std::to_string(::getpid()) + ".csv");
  write_csv(rows, path);
  std::ifstream f(path);
  std::string header, a, b, extra;
  std::getline(f, header);
  std::getline(f, a);
  std::getline(f, b);
  CHECK(!std::getline(f, extra));
  CHECK(header.rfind("workload,encoding,style,profile,repeat,bytes,", 0) == 0);
  CHECK(a.rfind("\"desktop\",\"ops\",\"x11\",\"lan\",0,1234,", 0) == 0);
  CHECK(a.find("true") != std::string::npos);
  CHECK(b.find("\"it said 'no', twice\"") != std::string::npos);
  auto commas = [](const std::string& s) { return std::count(s.begin(), s.end(), ','); };
  CHECK(commas(a) == commas(header));
  std::filesystem::remove(path);
}
