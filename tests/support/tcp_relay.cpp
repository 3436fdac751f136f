#include "tests/support/tcp_relay.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <stdexcept>
#include <string>

namespace rd::test {

namespace {

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

TcpRelay::TcpRelay(std::uint16_t target_port) : target_(target_port) {
  if (::pipe(wake_) != 0) throw std::runtime_error("pipe failed");
  listen_on(0);
  thread_ = std::thread([this] { run(); });
}

TcpRelay::~TcpRelay() {
  command('q');
  thread_.join();
  for (int fd : wake_) ::close(fd);
}

void TcpRelay::listen_on(std::uint16_t port) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in a = loopback(port);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(listen_fd_, 16) != 0)
    throw std::runtime_error("relay cannot listen on port " + std::to_string(port) + ": " + std::to_string(errno));
  socklen_t len = sizeof a;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
}

void TcpRelay::close_all() {
  for (Pair& p : pairs_) {
    // RST, as a dropped network or a killed relay would leave it (no orderly goodbye).
    linger lg{1, 0};
    ::setsockopt(p.viewer, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::setsockopt(p.server, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    ::close(p.viewer);
    ::close(p.server);
  }
  pairs_.clear();
}

// Commands run on the relay thread; the caller returns once it has carried them out.
void TcpRelay::command(char c) {
  std::lock_guard lk(mu_);
  int before = done_.load();
  [[maybe_unused]] auto n = ::write(wake_[1], &c, 1);
  while (done_.load() == before) done_.wait(before);
}

void TcpRelay::cut() { command('c'); }

void TcpRelay::arm_cuts(std::vector<std::uint64_t> bytes) {
  if (bytes.empty()) return;
  std::lock_guard lk(capture_mu_);
  next_cuts_.assign(bytes.begin() + 1, bytes.end());
  cut_at_ = to_viewer_.load() + bytes.front();
}
void TcpRelay::resume() { command('r'); }

void TcpRelay::run() {
  char buf[65536];
  for (;;) {
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    fds.push_back({listen_fd_, static_cast<short>(listen_fd_ >= 0 ? POLLIN : 0), 0});
    for (const Pair& p : pairs_) {
      fds.push_back({p.viewer, POLLIN, 0});
      fds.push_back({p.server, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) return;
    if (fds[0].revents & POLLIN) {
      char c = 0;
      [[maybe_unused]] auto n = ::read(wake_[0], &c, 1);
      if (c == 'c' || c == 'q') {
        close_all();
        if (listen_fd_ >= 0) ::close(listen_fd_);
        listen_fd_ = -1;
      } else if (c == 'r' && listen_fd_ < 0) {
        listen_on(port_);
      }
      ++done_;
      done_.notify_all();
      if (c == 'q') return;
      continue;
    }
    if (listen_fd_ >= 0 && (fds[1].revents & POLLIN)) {
      int v = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (v >= 0) {
        int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a = loopback(target_);
        if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
          int one = 1;
          ::setsockopt(v, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          pairs_.push_back({v, s});
          ++accepted_;
        } else {
          ::close(v);
          ::close(s);
        }
      }
    }
    // Blocking writes: the relay is as slow as the slower side, like a real link. Only the
    // pairs polled above (one accepted just now waits for the next round).
    std::size_t polled = (fds.size() - 2) / 2;
    for (std::size_t i = 0; i < polled;) {
      const pollfd& pv = fds[2 + 2 * i];
      const pollfd& ps = fds[3 + 2 * i];
      bool ok = true, cut_now = false;
      auto pump = [&](int from, int to, bool to_viewer) {
        ssize_t n = ::read(from, buf, sizeof buf);
        if (n <= 0) return false;
        if (std::uint64_t at = cut_at_.load(); to_viewer && at && to_viewer_ + static_cast<std::uint64_t>(n) >= at) {
          n = static_cast<ssize_t>(at - std::min(at, to_viewer_.load()));
          cut_now = true;
        }
        for (ssize_t off = 0; off < n;) {
          ssize_t w = ::write(to, buf + off, static_cast<std::size_t>(n - off));
          if (w <= 0) return false;
          off += w;
        }
        if (to_viewer) to_viewer_ += static_cast<std::uint64_t>(n);
        std::lock_guard lk(capture_mu_);
        std::string& capture = to_viewer ? capture_to_viewers_ : capture_;
        if (capture.size() < 65536) capture.append(buf, static_cast<std::size_t>(std::min<ssize_t>(n, 65536)));
        return true;
      };
      if (pv.revents & (POLLIN | POLLHUP | POLLERR)) ok = pump(pairs_[i].viewer, pairs_[i].server, false);
      if (ok && (ps.revents & (POLLIN | POLLHUP | POLLERR))) ok = pump(pairs_[i].server, pairs_[i].viewer, true);
      if (cut_now) {
        close_all();
        {
          std::lock_guard lk(capture_mu_);
          cut_at_ = next_cuts_.empty() ? 0 : to_viewer_.load() + next_cuts_.front();
          if (!next_cuts_.empty()) next_cuts_.erase(next_cuts_.begin());
        }
        ++cuts_;
        break;
      }
      if (!ok) {
        ::close(pairs_[i].viewer);
        ::close(pairs_[i].server);
        pairs_.erase(pairs_.begin() + static_cast<long>(i));
        fds.erase(fds.begin() + static_cast<long>(2 + 2 * i), fds.begin() + static_cast<long>(4 + 2 * i));
        --polled;
      } else {
        ++i;
      }
    }
  }
}

}  // namespace rd::test
