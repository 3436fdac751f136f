#include "bench/tool/shaped_relay.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <random>
#include <stdexcept>
#include <vector>

namespace rd::bench {

namespace {

using Clock = std::chrono::steady_clock;

std::int64_t now_ns() { return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count(); }

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

int connect_target(const ShapedRelay::Target& t) {
  if (!t.unix_path.empty()) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, t.unix_path.c_str(), sizeof a.sun_path - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(t.tcp_port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

}  // namespace

// One direction of one connection: a reader thread stamps each chunk with the time it
// would leave the imitated link, a writer thread hands it on at that time.
struct ShapedRelay::Pipe {
  Pipe(int from, int to, const NetProfile& p, std::atomic<std::uint64_t>& count, std::atomic<std::int64_t>& last, unsigned seed)
      : from_(from), to_(to), profile_(p), count_(count), last_(last), rng_(seed) {
    double bytes_per_s = p.mbit_s > 0 ? p.mbit_s * 1e6 / 8 : 0;
    ns_per_byte_ = bytes_per_s > 0 ? 1e9 / bytes_per_s : 0;
    // Room for one bandwidth-delay product plus a socket buffer's worth.
    cap_ = static_cast<std::size_t>(bytes_per_s * p.rtt_ms / 1000) + 256 * 1024;
    reader_ = std::thread([this] { read_loop(); });
    writer_ = std::thread([this] { write_loop(); });
  }
  ~Pipe() {
    reader_.join();
    writer_.join();
  }
  void stop() {
    std::lock_guard lk(mu_);
    stop_ = true;
    cv_.notify_all();
  }

 private:
  struct Chunk {
    std::int64_t release_ns;
    std::vector<char> bytes;
  };

  void read_loop() {
    std::vector<char> buf(64 * 1024);
    std::bernoulli_distribution lost(profile_.loss);
    const std::int64_t one_way = static_cast<std::int64_t>(profile_.rtt_ms * 1e6 / 2), rtt = 2 * one_way;
    while (true) {
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || queued_ < cap_; });
        if (stop_) break;
      }
      pollfd pf{from_, POLLIN, 0};
      int pr = ::poll(&pf, 1, 100);
      if (pr < 0 && errno == EINTR) continue;
      {
        std::lock_guard lk(mu_);
        if (stop_) break;
      }
      if (pr == 0) continue;
      ssize_t n = ::recv(from_, buf.data(), buf.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      std::int64_t t = now_ns();
      count_ += static_cast<std::uint64_t>(n);
      last_ = t;
      link_free_ns_ = std::max(link_free_ns_, t) + static_cast<std::int64_t>(ns_per_byte_ * static_cast<double>(n));
      std::int64_t release = link_free_ns_ + one_way;
      if (profile_.loss > 0)
        for (ssize_t s = 0; s < n; s += 1448)
          if (lost(rng_)) release += rtt;  // fast retransmit: one more round trip
      std::lock_guard lk(mu_);
      release = std::max(release, last_release_ns_);  // TCP delivers in order
      last_release_ns_ = release;
      queue_.push_back({release, std::vector<char>(buf.begin(), buf.begin() + n)});
      queued_ += static_cast<std::size_t>(n);
      cv_.notify_all();
    }
    std::lock_guard lk(mu_);
    eof_ = true;
    cv_.notify_all();
  }

  void write_loop() {
    while (true) {
      Chunk c;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || eof_ || !queue_.empty(); });
        if (stop_) return;
        if (queue_.empty()) break;  // the reader saw the end and all is delivered
        std::int64_t wait = queue_.front().release_ns - now_ns();
        if (wait > 0) {
          cv_.wait_for(lk, std::chrono::nanoseconds(wait), [&] { return stop_; });
          if (stop_) return;
          continue;
        }
        c = std::move(queue_.front());
        queue_.pop_front();
        queued_ -= c.bytes.size();
        cv_.notify_all();
      }
      if (!write_all(to_, c.bytes.data(), c.bytes.size())) break;
    }
    ::shutdown(to_, SHUT_WR);
    // The peer that stopped reading, or the end: nothing more goes this way.
    ::shutdown(from_, SHUT_RD);
  }

  int from_, to_;
  NetProfile profile_;
  std::atomic<std::uint64_t>& count_;
  std::atomic<std::int64_t>& last_;
  std::mt19937 rng_;
  double ns_per_byte_ = 0;
  std::size_t cap_ = 0;
  std::int64_t link_free_ns_ = 0;  // reader thread only
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Chunk> queue_;
  std::size_t queued_ = 0;
  std::int64_t last_release_ns_ = 0;
  bool stop_ = false, eof_ = false;
  std::thread reader_, writer_;
};

struct ShapedRelay::Link {
  Link(int client, int target, const NetProfile& p, ShapedRelay& r, unsigned seed)
      : client_fd(client), target_fd(target), up(client, target, p, r.up_, r.last_byte_ns_, seed),
        down(target, client, p, r.down_, r.last_byte_ns_, seed + 1) {}
  ~Link() {
    up.stop();
    down.stop();
    ::shutdown(client_fd, SHUT_RDWR);
    ::shutdown(target_fd, SHUT_RDWR);
  }
  int client_fd, target_fd;
  Pipe up, down;
};

ShapedRelay::ShapedRelay(NetProfile profile, Target target, int listen_port) : profile_(std::move(profile)), target_(std::move(target)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(listen_port));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 16) != 0) {
    int e = errno;
    ::close(listen_fd_);
    throw std::runtime_error("relay: cannot listen on 127.0.0.1:" + std::to_string(listen_port) + ": " + std::strerror(e));
  }
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  last_byte_ns_ = now_ns();
  acceptor_ = std::thread([this] { accept_loop(); });
}

ShapedRelay::~ShapedRelay() {
  stop_ = true;
  acceptor_.join();
  ::close(listen_fd_);
  std::list<std::unique_ptr<Link>> links;
  {
    std::lock_guard lk(links_mu_);
    links.swap(links_);
  }
  for (auto& l : links) {
    int c = l->client_fd, t = l->target_fd;
    l.reset();  // stops and joins its threads
    ::close(c);
    ::close(t);
  }
}

std::chrono::milliseconds ShapedRelay::quiet_for() const {
  return std::chrono::milliseconds((now_ns() - last_byte_ns_.load()) / 1000000);
}

void ShapedRelay::accept_loop() {
  unsigned seed = 12345;
  while (!stop_) {
    pollfd pf{listen_fd_, POLLIN, 0};
    if (::poll(&pf, 1, 50) <= 0) continue;
    int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int t = connect_target(target_);
    if (t < 0) {
      ::close(c);
      continue;
    }
    ++connections_;
    std::lock_guard lk(links_mu_);
    links_.push_back(std::make_unique<Link>(c, t, profile_, *this, seed));
    seed += 2;
  }
}

}  // namespace rd::bench
