#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace rd::test {

// A TCP relay on loopback between a viewer and a server, which a test can cut: every
// connection through it is closed at once (both ways, mid-message) and nothing is
// accepted until resume(), on the same port. Stands in for a network that drops out.
class TcpRelay {
 public:
  explicit TcpRelay(std::uint16_t target_port);
  ~TcpRelay();
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  std::uint16_t port() const { return port_; }
  void cut();     // close every connection and stop listening
  void resume();  // listen again on the same port
  // Cuts every connection (RST, still listening) once `bytes[0]` more have gone to
  // viewers: the relay forwards up to that byte and no further, whatever message it
  // falls in. Then the same for bytes[1], counted from the first cut, and so on: a
  // viewer reconnecting at once cannot slip through between two cuts.
  void arm_cuts(std::vector<std::uint64_t> bytes);
  int cuts() const { return cuts_.load(); }
  int accepted() const { return accepted_.load(); }
  std::uint64_t bytes_to_viewer() const { return to_viewer_.load(); }
  // The first 64 KiB that viewers sent through the relay (what an eavesdropper sees).
  std::string sent_by_viewers() const {
    std::lock_guard lk(capture_mu_);
    return capture_;
  }
  // The first 64 KiB that the server sent to viewers.
  std::string sent_to_viewers() const {
    std::lock_guard lk(capture_mu_);
    return capture_to_viewers_;
  }

 private:
  struct Pair {
    int viewer = -1, server = -1;
  };
  void run();
  void listen_on(std::uint16_t port);
  void close_all();
  void command(char c);

  std::uint16_t target_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::vector<Pair> pairs_;  // relay thread only
  std::mutex mu_;            // orders commands with their completion
  std::atomic<int> accepted_{0};
  std::atomic<std::uint64_t> to_viewer_{0};
  std::atomic<std::uint64_t> cut_at_{0};  // 0: none armed
  std::vector<std::uint64_t> next_cuts_;   // guarded by capture_mu_
  std::atomic<int> cuts_{0};
  std::atomic<int> done_{0};
  mutable std::mutex capture_mu_;
  std::string capture_, capture_to_viewers_;
  std::thread thread_;
};

}  // namespace rd::test
