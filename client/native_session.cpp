#include "client/native_session.hpp"

#include <algorithm>
#include <cstdio>

#include "client/viewer_report.hpp"

namespace rd {

NativeSession::NativeSession(std::unique_ptr<NativeConnection> first, NativeSessionOptions opts)
    : opts_(std::move(opts)), hello_(first->server_hello()), pool_(opts_.decode_threads), conn_(std::move(first)) {
  if (!(hello_.capabilities & kCapTileCache)) opts_.tiles.reset();
}

NativeSession::~NativeSession() { stop(false); }

void NativeSession::start(FrameStore& store) {
  thread_ = std::thread([this, &store] { run(store); });
}

void NativeSession::run(FrameStore& store) {
  bool resumed = false;
  for (;;) {
    NativeConnection* conn;
    {
      std::lock_guard lk(conn_mu_);
      conn = conn_.get();
    }
    StreamReceiver::End end = StreamReceiver::End::Lost;
    std::string why;
    try {
      // The server sends nothing before it knows what the cache holds (docs/protocol.md).
      if (opts_.tiles) conn->send(encode(CacheAnnounce{opts_.tiles->entries()}));
      StreamReceiver receiver(*conn, pool_, store, opts_.glyph_cache_bytes, opts_.tiles.get(), stats_, &stamps_, resumed);
      end = receiver.run();
      why = receiver.lost_reason();
    } catch (const std::system_error& e) {  // the announce could not be sent
      why = "connection lost: " + e.code().message();
    }
    if (end == StreamReceiver::End::Finished) return;
    auto next = reconnect(store, why);
    if (!next) {
      std::lock_guard lk(conn_mu_);
      if (stopping_) store.finish("closed by the user", false);
      else if (opts_.reconnect_for.count() <= 0)
        store.finish(why + "; start the viewer again (or give it --reconnect SECONDS to resume by itself)", true);
      else
        store.finish(why + "; gave up reconnecting after " + std::to_string(opts_.reconnect_for.count() / 1000) +
                         " s: is the server still running?",
                     true);
      return;
    }
    std::lock_guard lk(conn_mu_);
    if (stopping_) {  // stop() came while connecting: it shut down the old connection only
      store.finish("closed by the user", false);
      return;
    }
    bytes_in_done_ += conn_->bytes_received();
    bytes_out_done_ += conn_->bytes_sent();
    conn_ = std::move(next);
    ++reconnects_;
    resumed = true;
    store.set_status("");
  }
}

std::unique_ptr<NativeConnection> NativeSession::reconnect(FrameStore& store, const std::string& why) {
  if (opts_.reconnect_for.count() <= 0) return nullptr;
  {
    std::lock_guard lk(conn_mu_);
    if (stopping_) return nullptr;  // the user closed it: the break is ours
  }
  auto give_up = Clock::now() + opts_.reconnect_for;
  auto backoff = std::chrono::milliseconds(250);
  std::string last = why;
  std::fprintf(stderr, "rdisplay-viewer: %s; reconnecting (for up to %lld s)\n", why.c_str(),
               static_cast<long long>(opts_.reconnect_for.count() / 1000));
  for (int attempt = 1;; ++attempt) {
    store.set_status("reconnecting (attempt " + std::to_string(attempt) + "): " + last);
    {
      std::lock_guard lk(conn_mu_);
      if (stopping_) return nullptr;
    }
    try {
      auto c = std::make_unique<NativeConnection>(opts_.host, opts_.port, opts_.hello, opts_.connect_timeout, opts_.password, opts_.tls);
      const ServerHello& h = c->server_hello();
      if (h.encoding != hello_.encoding || h.capabilities != hello_.capabilities) {
        // Another server now listens there (or the same one, restarted differently).
        std::fprintf(stderr, "rdisplay-viewer: the server at %s:%u is no longer the session this viewer showed\n",
                     opts_.host.c_str(), opts_.port);
        return nullptr;
      }
      std::fprintf(stderr, "rdisplay-viewer: reconnected after %d attempt(s)\n", attempt);
      return c;
    } catch (const ConnectError& e) {
      last = e.what();
    }
    // Backoff: 0.25 s doubling to 4 s, waiting on stop() rather than sleeping through it.
    auto wake = std::min(Clock::now() + backoff, give_up);
    std::unique_lock lk(conn_mu_);
    stop_cv_.wait_until(lk, wake, [&] { return stopping_; });
    if (stopping_) return nullptr;
    if (Clock::now() >= give_up) {
      lk.unlock();
      std::fprintf(stderr, "rdisplay-viewer: gave up reconnecting: %s\n", last.c_str());
      return nullptr;
    }
    backoff = std::min(backoff * 2, std::chrono::milliseconds(4000));
  }
}

void NativeSession::stop(bool say_goodbye) {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lk(conn_mu_);
    stopping_ = true;
    if (say_goodbye) {
      try {
        conn_->send(encode(Bye{"viewer closed"}));
      } catch (const std::exception&) {
      }
    }
    conn_->shutdown();
  }
  stop_cv_.notify_all();
  thread_.join();
  if (opts_.tiles && !opts_.tile_cache_file.empty()) {
    try {
      opts_.tiles->save(opts_.tile_cache_file);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rdisplay-viewer: %s\n", e.what());
    }
  }
}

std::uint64_t NativeSession::bytes_received() const {
  std::lock_guard lk(conn_mu_);
  return bytes_in_done_ + conn_->bytes_received();
}

std::uint64_t NativeSession::bytes_sent() const {
  std::lock_guard lk(conn_mu_);
  return bytes_out_done_ + conn_->bytes_sent();
}

template <class Msg>
void NativeSession::send_input(Msg m) {
  std::lock_guard lk(conn_mu_);
  if (stopping_ || conn_->view_only()) return;  // the server would ignore it
  m.stamp = stamps_.next();
  // Input never throws: a broken connection is the network thread's to notice.
  try {
    conn_->send(encode(m));
  } catch (const std::exception&) {
  }
}

namespace {
std::uint16_t clamp16(int v) { return static_cast<std::uint16_t>(std::clamp(v, 0, 65535)); }
}  // namespace

void NativeSession::send_key(std::uint32_t keysym, bool down) { send_input(KeyEvent{keysym, down, {}}); }

void NativeSession::send_pointer(int x, int y, std::uint32_t buttons) {
  send_input(PointerEvent{clamp16(x), clamp16(y), buttons, {}});
}

void NativeSession::send_wheel(int x, int y, int dx, int dy) {
  send_input(WheelEvent{clamp16(x), clamp16(y), static_cast<std::int16_t>(dx), static_cast<std::int16_t>(dy), {}});
}

void NativeSession::send_clipboard(const std::string& utf8) {
  if (!(hello_.capabilities & kCapClipboard)) return;
  std::lock_guard lk(conn_mu_);
  if (conn_->view_only()) return;
  try {
    conn_->send(encode(ClipboardText{utf8}));
  } catch (const std::exception&) {
  }
}

void NativeSession::request_size(int w, int h) {
  std::lock_guard lk(conn_mu_);
  try {
    conn_->send(encode(ResizeRequestMsg{clamp16(w), clamp16(h)}));
  } catch (const std::exception&) {
  }
}

nlohmann::json NativeSession::stats() const {
  nlohmann::json j = receiver_stats_json(stats_);
  auto tlp = pool_.tlp();
  if (opts_.tiles) {
    j["tile_cache"]["entries"] = opts_.tiles->model().size();
    j["tile_cache"]["bytes"] = opts_.tiles->model().used_bytes();
    char digest[17];
    std::snprintf(digest, sizeof digest, "%016llx", static_cast<unsigned long long>(tile_cache_digest(opts_.tiles->model())));
    j["tile_cache"]["digest"] = digest;
  }
  j["decode_pool"] = {{"threads", pool_.size()}, {"tlp", tlp.tlp}, {"busy_fraction", tlp.busy_fraction}};
  std::lock_guard lk(conn_mu_);
  j["reconnects"] = reconnects_;
  return j;
}

}  // namespace rd
