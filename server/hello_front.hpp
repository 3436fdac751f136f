#pragma once
#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>

#include "protocol/framing.hpp"
#include "server/log_budget.hpp"
#include "server/native_config.hpp"

namespace rd {

// The native port's front door, on a thread of its own (the super-server's part of the
// dispatcher model): it accepts connections and reads each one's hello, so that
// connections that never become viewers (garbage, oversize or cut hellos, slowloris
// trickles, hang-ups, floods of them) are dealt with here and never queue on the I/O
// thread that streams to viewers. A plain connection that delivered a whole ClientHello
// is handed over with it; a TLS connection at its first byte (its handshake and hello
// happen in the I/O thread's SSL stream).
class HelloFront {
 public:
  struct Arrival {
    asio::ip::tcp::socket::native_handle_type fd = -1;
    std::optional<RawMessage> hello;  // none: TLS, read nothing yet
  };
  // Called on the front thread: must hand the arrival to the I/O thread (post).
  using Handover = std::function<void(Arrival)>;
  // Whether another viewer may come in (the I/O thread's count of live viewers).
  using HasRoom = std::function<bool()>;
  // Connections handed over that are still in a handshake on the I/O thread (TLS, a
  // password challenge): they count against the same cap as those here.
  using HandshakesElsewhere = std::function<int()>;

  // Binds at once (throws std::system_error when the address is taken) and starts.
  HelloFront(const NativeServerConfig& config, HasRoom has_room, HandshakesElsewhere elsewhere, Handover handover);
  ~HelloFront();  // stop()
  std::uint16_t port() const { return port_; }
  // Stops accepting; connections still in their hello are closed. Joins the thread.
  void stop();

  std::uint64_t accepted() const { return accepted_.load(); }
  std::uint64_t refused_busy() const { return refused_busy_.load(); }
  int pending() const { return pending_.load(); }

 private:
  struct Pending;
  void accept();
  void accept_paced();  // accept() again, or once the accept rate allows
  static constexpr std::chrono::milliseconds kAcceptWindow{10};
  void refuse(asio::ip::tcp::socket socket, ErrorCode code, const std::string& why);
  bool log_allowed();

  const NativeServerConfig& config_;
  HasRoom has_room_;
  HandshakesElsewhere elsewhere_;
  Handover handover_;
  std::atomic<std::uint64_t> accepted_{0}, refused_busy_{0};
  std::atomic<int> pending_{0};  // connections in their hello here
  LogBudget log_budget_{20};     // front thread only
  // Declared after what pending connections touch: they may end with the io_context.
  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  asio::steady_timer accept_backoff_{io_};  // out of descriptors, or the accept rate spent: wait, do not spin
  // The accept rate's current 10 ms window and what it has taken (front thread only).
  std::chrono::steady_clock::time_point accept_window_{};
  int accepts_in_window_ = 0;
  std::uint16_t port_ = 0;
  std::thread thread_;
};

}  // namespace rd
