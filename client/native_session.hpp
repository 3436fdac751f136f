#pragma once
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "client/input_stamps.hpp"
#include "client/native_connection.hpp"
#include "client/remote_session.hpp"
#include "client/stream_receiver.hpp"
#include "codecs/tile_cache.hpp"
#include "common/worker_pool.hpp"

namespace rd {

struct NativeSessionOptions {
  std::string host;
  std::uint16_t port = 0;
  ClientHello hello;  // sent again, unchanged, on every reconnection
  std::chrono::milliseconds connect_timeout{5000};
  int decode_threads = 0;
  std::size_t glyph_cache_bytes = 0;
  // The viewer's tile cache (already loaded from `tile_cache_file`, if any); used when
  // the server granted the cache, and saved back to the file at stop().
  std::unique_ptr<TileCacheStore> tiles;
  std::string tile_cache_file;
  // How long to keep trying to reconnect after the connection broke (0: do not).
  std::chrono::milliseconds reconnect_for{0};
  // The password, when the server asks (reconnections ask again).
  NativeConnection::PasswordSource password;
  TlsOptions tls;
};

// An rdisplay server: the connection, the network thread and the decode pool. When the
// connection breaks (not when the server ends the session), it reconnects with backoff
// and resumes the same session: the server sends the whole screen again, through the
// tile cache where the viewer kept it, while the window goes on showing the old one.
// It is also the window's ViewerLink: input goes to whichever connection is current,
// stamped for input-to-display latency.
class NativeSession : public RemoteSession, public ViewerLink {
 public:
  NativeSession(std::unique_ptr<NativeConnection> first, NativeSessionOptions opts);
  ~NativeSession() override;

  int width() const override { return hello_.width; }
  int height() const override { return hello_.height; }
  std::string name() const override { return hello_.session_name; }
  std::string encoding() const override { return encoding_name(hello_.encoding); }
  ViewerLink& link() override { return *this; }
  void start(FrameStore& store) override;
  void stop(bool say_goodbye) override;
  std::uint64_t bytes_received() const override;
  std::uint64_t bytes_sent() const override;
  nlohmann::json stats() const override;

  // ViewerLink: input as native messages; dropped while reconnecting.
  void send_key(std::uint32_t keysym, bool down) override;
  void send_pointer(int x, int y, std::uint32_t buttons) override;
  void send_wheel(int x, int y, int dx, int dy) override;
  void send_clipboard(const std::string& utf8) override;
  void request_size(int w, int h) override;

 private:
  void run(FrameStore& store);
  // Tries to connect again until it works, the time runs out or stop() is called.
  std::unique_ptr<NativeConnection> reconnect(FrameStore& store, const std::string& why);
  template <class Msg>
  void send_input(Msg m);  // stamps and sends, if connected

  NativeSessionOptions opts_;
  ServerHello hello_;  // the first connection's
  WorkerPool pool_;
  InputStamps stamps_;
  ReceiverStats stats_;  // over all connections

  mutable std::mutex conn_mu_;  // guards conn_ (replaced on reconnect) and the counters below
  std::condition_variable stop_cv_;
  std::unique_ptr<NativeConnection> conn_;
  std::uint64_t bytes_in_done_ = 0, bytes_out_done_ = 0;  // of connections already closed
  int reconnects_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rd
