#include "server/viewer_connection.hpp"

#include "server/log_budget.hpp"

#include "common/auth_crypto.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

#include "common/clock.hpp"
#include "server/held_screen.hpp"
#include "server/hello_rules.hpp"
#include "server/update_encoder.hpp"
#include "server/update_jobs.hpp"

namespace rd {

namespace {
// The smallest message limit a viewer may announce: one tile run must fit.
constexpr std::uint32_t kMinViewerMaxMessage = 1u << 20;
constexpr auto kCloseGrace = std::chrono::seconds(2);

}  // namespace

ViewerConnection::ViewerConnection(asio::ip::tcp::socket socket, int id, Session& session, WorkerPool& pool,
                                   const NativeServerConfig& config, std::shared_ptr<BulkLane> bulk, ClosedFn on_closed)
    : stream_(std::move(socket)),
      handshake_timer_(stream_.get_executor()),
      ping_timer_(stream_.get_executor()),
      write_timer_(stream_.get_executor()),
      refresh_timer_(stream_.get_executor()),
      first_frame_timer_(stream_.get_executor()),
      session_(session),
      pool_(pool),
      config_(config),
      bulk_(std::move(bulk)),
      on_closed_(std::move(on_closed)) {
  stats_.id = id;
  asio::error_code ec;
  auto ep = stream_.socket().remote_endpoint(ec);
  stats_.peer = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
}

namespace {
// Lines about connections that never became viewers (handshakes that fail or time out,
// hang-ups): a flood of them must not flood the log. Every viewer that streamed is
// logged in full. The I/O thread is the only user.
bool log_unstreamed_allowed() {
  static LogBudget budget(20);
  return budget.allow_line();
}
}  // namespace

void ViewerConnection::begin() {
  asio::error_code ec;
  stream_.socket().set_option(asio::ip::tcp::no_delay(true), ec);  // input echo must not wait for Nagle
  if (log_unstreamed_allowed()) spdlog::info("viewer {} connected from {}", stats_.id, stats_.peer);
  handshake_timer_.expires_after(config_.handshake_timeout);
  handshake_timer_.async_wait([self = shared_from_this()](const asio::error_code& e) {
    if (!e && self->state_ == State::Hello)
      self->fail(ErrorCode::HandshakeTimeout, "no hello within " + std::to_string(self->config_.handshake_timeout.count()) + " ms");
    else if (!e && self->state_ == State::Auth)
      self->fail(ErrorCode::HandshakeTimeout, "no answer to the password challenge within " +
                                                  std::to_string(self->config_.handshake_timeout.count()) + " ms");
  });
}

void ViewerConnection::start() {
  begin();
  if (config_.tls)
    start_tls();
  else
    read_header();
}

void ViewerConnection::start_with_hello(RawMessage hello) {
  begin();
  stats_.bytes_received += kHeaderSize + hello.body.size();
  body_buf_ = std::move(hello.body);
  on_body(Header{hello.type, hello.flags, static_cast<std::uint32_t>(body_buf_.size())});
}

void ViewerConnection::start_tls() {
  // The front door handed this connection over because its first byte was a TLS record.
  stream_.start_tls(*config_.tls).async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](const asio::error_code& e) {
    if (self->state_ != State::Hello) return;
    if (e) return self->close("TLS handshake failed: " + e.message());
    self->tls_ready_ = true;
    self->read_header();
  });
}

void ViewerConnection::read_header() {
  asio::async_read(stream_, asio::buffer(header_buf_),
                   [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
                     if (self->state_ == State::Closed || self->state_ == State::Closing) return;
                     if (ec) {
                       // TLS viewers that close without close_notify end "truncated": the
                       // protocol has its own goodbye, so that is a plain close too.
                       if ((ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) && n == 0)
                         self->close("viewer closed the connection");
                       else if (n > 0)
                         self->fail(ErrorCode::Malformed, "connection ended inside a message header (" + std::to_string(n) + " of 8 bytes)");
                       else
                         self->close("read error: " + ec.message());
                       return;
                     }
                     self->stats_.bytes_received += n;
                     Header h;
                     if (self->state_ == State::Hello) {
                       auto first = first_header(self->header_buf_, !self->stream_.is_tls());
                       if (auto* p = std::get_if<HelloProblem>(&first)) return self->fail(p->first, p->second);
                       return self->read_body(std::get<Header>(first));
                     }
                     // Before authentication, nothing may make the server allocate much.
                     const bool handshaking = self->state_ == State::Auth;
                     try {
                       h = decode_header(self->header_buf_, handshaking ? kMaxHelloBody : kDefaultMaxViewerMessage);
                     } catch (const DecodeError& e) {
                       self->fail(ErrorCode::TooLarge, e.what());
                       return;
                     }
                     self->read_body(h);
                   });
}

void ViewerConnection::read_body(Header h) {
  body_buf_.resize(h.length);
  asio::async_read(stream_, asio::buffer(body_buf_),
                   [self = shared_from_this(), h](const asio::error_code& ec, std::size_t n) {
                     if (self->state_ == State::Closed || self->state_ == State::Closing) return;
                     if (ec) {
                       self->fail(ErrorCode::Malformed, std::string("connection ended inside a ") + msg_type_name(h.type) +
                                                            " message (" + std::to_string(n) + " of " +
                                                            std::to_string(h.length) + " bytes)");
                       return;
                     }
                     self->stats_.bytes_received += n;
                     self->on_body(h);
                   });
}

void ViewerConnection::on_body(Header h) {
  try {
    handle(h.type, h.flags, body_buf_);
  } catch (const DecodeError& e) {
    fail(ErrorCode::Malformed, std::string("malformed ") + msg_type_name(h.type) + ": " + e.what());
    return;
  }
  if (state_ == State::Hello || state_ == State::Auth || state_ == State::Streaming) read_header();
}

void ViewerConnection::handle(std::uint8_t type, std::uint8_t flags, ByteView body) {
  if (state_ == State::Hello) {
    if (type != static_cast<std::uint8_t>(MsgType::ClientHello))
      return fail(ErrorCode::Unexpected, std::string("expected ClientHello, got message type ") + std::to_string(type) +
                                             " (" + msg_type_name(type) + ")");
    return handle_hello(body);
  }
  if (state_ == State::Auth) {
    if (type != static_cast<std::uint8_t>(MsgType::AuthResponse))
      return fail(ErrorCode::Unexpected, std::string("expected AuthResponse, got message type ") + std::to_string(type) + " (" +
                                             msg_type_name(type) + ")");
    return handle_auth(body);
  }
  InputSink* sink = session_.input_sink();
  // Key, pointer and wheel input: counted, and delivered unless this viewer only watches.
  auto take_input = [&](const InputStamp& stamp, auto&& to_sink) {
    if (view_only_) {
      ++stats_.input_events;
      return;
    }
    const std::uint64_t received = now_us();  // before the source, which may apply it right here
    note_input(stamp, session_.deliver_input(to_sink), received);
  };
  switch (static_cast<MsgType>(type)) {
    case MsgType::Key: {
      auto k = decode_key(body);
      return take_input(k.stamp, [&](InputSink& s) { s.on_key(k); });
    }
    case MsgType::Pointer: {
      auto p = decode_pointer(body);
      return take_input(p.stamp, [&](InputSink& s) { s.on_pointer(p); });
    }
    case MsgType::Wheel: {
      auto w = decode_wheel(body);
      return take_input(w.stamp, [&](InputSink& s) { s.on_wheel(w); });
    }
    case MsgType::FrameAck: {
      auto a = decode_frame_ack(body);
      if (a.seq >= next_seq_)
        return fail(ErrorCode::Unexpected, "FrameAck for frame " + std::to_string(a.seq) + " that was never sent");
      if (a.seq > acked_seq_) {
        stats_.frames_acked += a.seq - acked_seq_;
        acked_seq_ = a.seq;
      }
      stats_.last_decode_us = a.decode_us;
      // A hundred viewers acknowledging the same frame must not plan their next updates
      // ahead of one viewer's input.
      if (!interactive()) return wake_in_bulk();
      maybe_send_update();
      return maybe_finish_goodbye();
    }
    case MsgType::RefreshRequest: {
      auto r = decode_refresh_request(body);
      {
        auto lk = session_.lock();
        const TileGrid& grid = session_.grid_locked();
        Rect want = r.rect.empty() ? session_.surface().bounds() : r.rect;
        for (int i : grid.tiles_in(want))
          if (static_cast<std::size_t>(i) < sent_versions_.size()) sent_versions_[static_cast<std::size_t>(i)] = 0;
        if (held_) pending_doubt_.push_back(want);  // applied when no update is being planned
        // The viewer's pixels there are in doubt: ops replayed on them would not help.
        ops_in_step_ = false;
      }
      return maybe_send_update();
    }
    case MsgType::CacheAnnounce: {
      auto a = decode_cache_announce(body);
      if (!awaiting_announce_) return fail(ErrorCode::Unexpected, "CacheAnnounce other than right after the hello");
      // The viewer loaded these in this order into a cache of the same budget: the
      // mirror ends up holding what the viewer holds, in the same LRU order.
      for (const CacheEntry& e : a.tiles) tile_mirror_->insert(e.key, tile_cache_cost(e.w, e.h));
      stats_.cache_announced = a.tiles.size();
      awaiting_announce_ = false;
      return maybe_send_update();
    }
    case MsgType::ResizeRequest: {
      auto r = decode_resize_request(body);
      if (sink && !view_only_) sink->on_resize_request(r.w, r.h);
      return;
    }
    case MsgType::Pong: {
      auto p = decode_pong(body);
      stats_.rtt_ms = static_cast<double>(now_us() - p.time_us) / 1000.0;
      return;
    }
    case MsgType::Clipboard: {
      auto c = decode_clipboard(body);
      if (!(caps_ & kCapClipboard)) return fail(ErrorCode::Unexpected, "Clipboard without the clipboard capability");
      if (view_only_) return;  // a view-only viewer changes nothing, the clipboard included
      sent_clipboard_epoch_ = session_.clipboard().epoch + 1;  // its own text does not come back
      session_.set_clipboard(std::move(c.utf8), stats_.id);
      return;
    }
    case MsgType::Bye: {
      auto b = decode_bye(body);
      return close("viewer said goodbye" + (b.reason.empty() ? std::string() : ": " + b.reason));
    }
    case MsgType::Error: {
      auto e = decode_error(body);
      spdlog::warn("viewer {} reports error {}: {}", stats_.id, static_cast<int>(e.code), e.text);
      return close("viewer reported an error: " + e.text);
    }
    default:
      if (flags & kFlagOptional) return;  // an extension this server does not know
      return fail(ErrorCode::Unexpected, "unexpected message type " + std::to_string(type) + " (" + msg_type_name(type) + ")");
  }
}

void ViewerConnection::handle_hello(ByteView body) {
  ClientHello hello = decode_client_hello(body);
  Negotiated n = negotiate(hello, kCapsV1);
  if (!n.ok) return fail(n.error.code, n.error.text);
  if (hello.max_message < kMinViewerMaxMessage)
    return fail(ErrorCode::Unexpected, "viewer accepts messages of at most " + std::to_string(hello.max_message) +
                                           " bytes; at least " + std::to_string(kMinViewerMaxMessage) + " are needed");
  if (!config_.passwords.empty() || !config_.view_only_passwords.empty()) {
    pending_hello_ = hello;
    pending_negotiated_ = n;
    random_bytes(challenge_.nonce.data(), challenge_.nonce.size());
    state_ = State::Auth;
    queue(encode(challenge_));
    return;
  }
  complete_hello(hello, n);
}

void ViewerConnection::handle_auth(ByteView body) {
  AuthResponse r = decode_auth_response(body);
  const std::string host = stats_.peer.substr(0, stats_.peer.rfind(':'));
  if (long wait = config_.throttle->blocked_for(host)) {
    ++stats_.auth_failures;
    return fail(ErrorCode::AuthFailed, "too many wrong passwords from " + host + "; try again in " + std::to_string(wait) + " s");
  }
  // Every password is tried, each comparison in constant time: how long this takes says
  // nothing about which one (if any) came close.
  const Bytes msg = auth_message(challenge_);
  bool full = false, view = false;
  for (const std::string& pw : config_.passwords)
    full |= constant_time_equal(hmac_sha256(pw, msg.data(), msg.size()).data(), r.mac.data(), r.mac.size());
  for (const std::string& pw : config_.view_only_passwords)
    view |= constant_time_equal(hmac_sha256(pw, msg.data(), msg.size()).data(), r.mac.data(), r.mac.size());
  if (!full && !view) {
    ++stats_.auth_failures;
    auto [count, block] = config_.throttle->failed(host);
    return fail(ErrorCode::AuthFailed, block.count() > 0 ? "wrong password (" + std::to_string(count) + " in a row from " + host +
                                                               "; further attempts refused for " + std::to_string(block.count()) + " s)"
                                                         : "wrong password");
  }
  config_.throttle->succeeded(host);
  view_only_ = !full;
  stats_.view_only = view_only_;
  complete_hello(pending_hello_, pending_negotiated_);
}

void ViewerConnection::complete_hello(const ClientHello& hello, const Negotiated& n) {
  caps_ = n.capabilities;
  if (view_only_) caps_ |= kCapViewOnly;
  max_out_message_ = hello.max_message;
  policy_.decodable = hello.codecs & kAllCodecs;
  if (hello.forced_codec != kAnyCodec) policy_.forced = static_cast<TileCodec>(hello.forced_codec);
  // Forcing any JPEG form means JPEG: which form goes is the server's choice (the rate
  // gate), and a lossless refresh must be able to lift it.
  if (policy_.forced && is_lossy_codec(*policy_.forced)) policy_.forced = TileCodec::Jpeg;
  policy_.memory = std::make_shared<CostMemory>();
  policy_.shared_encodes = config_.encode_cache;
  encoding_mode_ = n.encoding;
  // Ops replay on top of what the viewer holds, so its pixels must be exact: command
  // encoding is lossless. `auto` follows the viewer's quality.
  policy_.lossy = encoding_mode_ != Encoding::Ops && (hello.quality < kLossless || policy_.forced == TileCodec::Jpeg);
  if (encoding_mode_ == Encoding::Ops && policy_.forced == TileCodec::Jpeg) policy_.forced.reset();
  if (encoding_mode_ != Encoding::Pixels)
    glyph_mirror_ = std::make_shared<GlyphCacheModel>(glyph_cache_bytes(hello.glyph_cache_kib));
  if (tile_cache_bytes(hello.cache_kib) == 0 || !config_.tile_cache) caps_ &= ~kCapTileCache;
  if (caps_ & kCapTileCache) {
    tile_mirror_ = std::make_shared<TileCacheModel>(tile_cache_bytes(hello.cache_kib));
    policy_.tile_cache = tile_mirror_;
    awaiting_announce_ = true;
  }
  jpeg_coding_ = JpegCodingGate(config_.jpeg_arithmetic_max_mpix);
  policy_.jpeg_arithmetic = jpeg_coding_.arithmetic();
  params_.jpeg_quality = hello.quality < kLossless ? std::max<int>(1, hello.quality) : 90;
  params_.subsampling = hello.subsampling;
  stats_.name = hello.name;
  stats_.encoding = encoding_name(n.encoding);
  stats_.quality = hello.quality;

  ServerHello sh;
  sh.version_minor = n.minor;
  sh.capabilities = caps_;
  sh.encoding = n.encoding;
  sh.session_name = session_.name();
  {
    auto lk = session_.lock();
    sh.width = static_cast<std::uint16_t>(session_.surface().width());
    sh.height = static_cast<std::uint16_t>(session_.surface().height());
    sent_geometry_epoch_ = session_.geometry_epoch_locked();
    // The viewer starts black: tiles still black since the session began are not owed.
    sent_versions_.assign(session_.tile_versions_locked().size(), session_.black_version_locked());
    if (encoding_mode_ == Encoding::Pixels && (caps_ & kCapCopyRect) && config_.scroll_detection)
      held_ = std::make_shared<HeldScreen>(session_.surface().width(), session_.surface().height(), config_.copy_search);
    // Ops replay on what the viewer holds: only on a screen that is still all black
    // can they start at once. Otherwise the first update is pixels, and ops follow.
    const auto& v = session_.tile_versions_locked();
    ops_in_step_ = std::all_of(v.begin(), v.end(), [&](std::uint64_t x) { return x == session_.black_version_locked(); });
    ops_pos_ = session_.op_log_locked().end();
  }
  session_.viewer_joined(encoding_mode_ != Encoding::Pixels);
  joined_ = true;
  state_ = State::Streaming;
  streamed_ = true;
  handshake_timer_.cancel();
  spdlog::info("viewer {} ({}): {} encoding, quality {}, codecs 0x{:x}", stats_.id,
               hello.name.empty() ? "unnamed" : hello.name, stats_.encoding, hello.quality, policy_.decodable);
  queue(encode(sh));
  schedule_ping();
  maybe_send_update();
  // A screen that owes this viewer nothing (still black) sends no update: after a
  // moment an empty frame tells the viewer it is up to date. Not at once, so that an app
  // started by this very viewer (--wait-for-viewer) draws its first screen first and the
  // stream is the same on every run.
  first_frame_timer_.expires_after(std::chrono::milliseconds(200));
  first_frame_timer_.async_wait([self = shared_from_this()](const asio::error_code& e) {
    if (e || self->state_ != State::Streaming || self->next_seq_ != 1 || self->encoding_) return;
    self->send_empty_frame();
  });
}

void ViewerConnection::wake() { maybe_send_update(); }

void ViewerConnection::wake_in_bulk() {
  if (bulk_step_queued_) return;
  bulk_step_queued_ = true;
  bulk_->defer([self = shared_from_this()] {
    self->bulk_step_queued_ = false;
    self->maybe_send_update();
    self->maybe_finish_goodbye();
  });
}

bool ViewerConnection::interactive() const {
  return !stamps_waiting_.empty() || !frame_input_ids_.empty() || now_us() - last_input_us_ < kInteractiveUs;
}

ViewerStats ViewerConnection::stats() {
  ViewerStats s = stats_;
  s.up_to_date = state_ == State::Streaming && up_to_date();
  if (tile_mirror_) {
    s.cache_entries = tile_mirror_->size();
    s.cache_bytes = tile_mirror_->used_bytes();
    s.cache_digest = tile_cache_digest(*tile_mirror_);
  }
  return s;
}

void ViewerConnection::maybe_send_update() {
  if (state_ != State::Streaming || encoding_ || awaiting_announce_) return;
  if (static_cast<int>(next_seq_ - 1 - acked_seq_) >= config_.window) return;

  if ((caps_ & kCapCursor) && session_.cursor_epoch() != sent_cursor_epoch_) {
    sent_cursor_epoch_ = session_.cursor_epoch();
    CursorShape c = session_.cursor();
    if (c.w > 0 && c.h > 0) queue(encode(c));
  }
  if (caps_ & kCapClipboard) {
    Session::Clipboard cb = session_.clipboard();
    if (cb.epoch != sent_clipboard_epoch_) {
      sent_clipboard_epoch_ = cb.epoch;
      if (cb.origin != stats_.id) queue(encode(ClipboardText{cb.text}));
    }
  }
  std::vector<RunSnapshot> runs;
  std::optional<std::vector<LoggedOpPtr>> pending;
  GridGeometry geometry;
  int held_changed = 0;
  {
    auto lk = session_.lock();
    if (session_.geometry_epoch_locked() != sent_geometry_epoch_) {
      if (!(caps_ & kCapResize)) {
        lk.unlock();
        return fail(ErrorCode::Unexpected, "the screen was resized and this viewer cannot follow a resize");
      }
      sent_geometry_epoch_ = session_.geometry_epoch_locked();
      sent_versions_.assign(session_.tile_versions_locked().size(), session_.black_version_locked());
      if (held_) held_->reset(session_.surface().width(), session_.surface().height());
      queue(encode(Resize{static_cast<std::uint16_t>(session_.surface().width()),
                          static_cast<std::uint16_t>(session_.surface().height())}));
    }
    // Inputs the screen now reflects are answered by the frame made from this snapshot.
    const std::uint64_t applied = session_.inputs_applied_locked();
    while (!stamps_waiting_.empty() && stamps_waiting_.front().serial <= applied) {
      frame_input_ids_.push_back(stamps_waiting_.front().id);
      frame_input_received_us_.push_back(stamps_waiting_.front().received_us);
      stamps_waiting_.pop_front();
    }
    // The pixels and the op log position are taken together: the snapshot shows the
    // screen exactly as the ops up to the log's end leave it.
    if (held_) {
      for (const Rect& r : pending_doubt_) held_->doubt(r);
      pending_doubt_.clear();
      held_changed = held_->take_changed(session_.snapshot_locked(), session_.tile_versions_locked(), sent_versions_, now_us(),
                                         CopySearchCache::Frame{session_.geometry_epoch_locked(), session_.content_version_locked()});
      if (held_changed == 0 && !held_->refresh_pending()) {
        lk.unlock();
        return send_input_answer();
      }
    } else {
      runs = snapshot_changed_tiles(session_.surface(), session_.grid_locked(), session_.tile_versions_locked(), sent_versions_);
    }
    if (encoding_mode_ != Encoding::Pixels) {
      if (!runs.empty() && ops_in_step_) pending = session_.op_log_locked().since(ops_pos_);
      // From here the viewer will hold exactly the screen at the log's end.
      ops_pos_ = session_.op_log_locked().end();
      ops_in_step_ = true;
      const TileGrid& g = session_.grid_locked();
      geometry = {session_.surface().width(), session_.surface().height(), g.cols(), g.rows()};
    }
  }
  if (runs.empty() && !held_) return send_input_answer();
  encoding_ = true;
  auto self = shared_from_this();
  // The updates of a viewer in use (input in the last second) go ahead of bulk encoding
  // in the pool: not only the one answering the input, since that one may have to wait
  // for the viewer's update already being encoded. Back on the I/O thread, the same
  // viewer's finished update is written at once, the others' through the bulk lane.
  const bool urgent = interactive();
  if (held_ && !frame_input_ids_.empty() && held_changed <= kInlineTiles && !held_->refresh_pending()) {
    // The answer to an input, and small (a cursor, a few characters): made here, since
    // handing it to a worker and back costs two thread wake-ups, each a scheduler
    // latency when the cores are busy, for less work than one of them.
    return on_encoded(encode_held_pixels_now(*held_, true, policy_, params_));
  }
  auto done = [self](std::shared_ptr<EncodedUpdate> u) {
    // Decided on arrival: a viewer typed into while its update was encoded has its
    // answer waiting behind this one.
    asio::post(self->stream_.get_executor(), [self, u] {
      if (self->interactive()) self->on_encoded(u);
      else self->bulk_->defer([self, u] { self->on_encoded(u); });
    });
  };
  if (held_) {
    encode_held_pixels_async(pool_, held_, true, policy_, params_, std::move(done), urgent, config_.shared_updates);
  } else if (encoding_mode_ == Encoding::Pixels) {
    encode_pixels_async(pool_, std::move(runs), policy_, params_, std::move(done), urgent);
  } else {
    OpsJobConfig cfg;
    cfg.mode = encoding_mode_ == Encoding::Auto ? PlanMode::Cheapest : PlanMode::PreferOps;
    encode_ops_async(pool_, std::move(runs), std::move(pending), geometry, glyph_mirror_, policy_, params_, cfg, std::move(done),
                     urgent);
  }
}

void ViewerConnection::on_encoded(std::shared_ptr<EncodedUpdate> u) {
  encoding_ = false;
  if (state_ != State::Streaming) return;
  if (!u->error.empty()) return fail(ErrorCode::Internal, "encoding failed: " + u->error);
  const auto& rects = u->pixel_rects();
  if (u->copies.empty() && rects.empty() && u->ops_batch.empty()) {  // the viewer holds it all
    send_input_answer();
    return maybe_send_update();
  }
  std::uint32_t seq = next_seq_++;
  std::vector<Bytes> parts;
  parts.push_back(encode(FrameBegin{seq, now_us()}));
  // Ops first: the pixels of this frame are the final state of their tiles.
  if (!u->ops_batch.empty()) {
    Bytes m;
    append_ops_batch(m, u->ops_batch);
    stats_.ops_bytes += m.size();
    stats_.ops_sent += u->ops_count;
    parts.push_back(std::move(m));
  }
  // Then copies of what the viewer holds (scrolls), then the tiles that still differ.
  for (const CopyRectMsg& c : u->copies) {
    Bytes m = encode(c);
    stats_.copy_bytes += m.size();
    parts.push_back(std::move(m));
  }
  stats_.copies += u->copies.size();
  stats_.pixels_copied += static_cast<std::uint64_t>(u->copied_pixels);
  stats_.pixels_refreshed += static_cast<std::uint64_t>(u->refreshed_pixels);
  if (held_) {
    for (const auto& group : rects)
      for (const EncodedRect& e : group) held_->record_sent(e.rect, is_lossy_codec(e.codec) && !e.cache_ref);
  }
  // Cache references first, then the tiles: the viewer applies every reference of a
  // frame (touching its cache) before it stores the frame's tiles, and so does the
  // mirror here, so both evict the same.
  if (tile_mirror_) {
    Bytes refs;
    for (const auto& group : rects)
      for (const EncodedRect& e : group) {
        if (!e.cache_ref) continue;
        tile_mirror_->touch(e.cache_key);
        Bytes m = encode(CacheRefMsg{e.rect, e.cache_key});
        refs.insert(refs.end(), m.begin(), m.end());
        ++stats_.cache_refs;
        stats_.pixels_from_cache += static_cast<std::uint64_t>(e.rect.area());
      }
    stats_.cache_ref_bytes += refs.size();
    if (!refs.empty()) parts.push_back(std::move(refs));
    for (const auto& group : rects)
      for (const EncodedRect& e : group) {
        auto key = e.store_keys.begin();
        for_each_cache_tile(e.rect, [&](const Rect& t) {
          if (key != e.store_keys.end()) tile_mirror_->insert(*key++, tile_cache_cost(t.w, t.h));
        });
      }
  }
  std::uint64_t jpeg_pixels = 0;
  for (const auto& group : rects) {
    Bytes msgs;
    for (const EncodedRect& e : group) {
      if (e.cache_ref) continue;
      append_tile_update(msgs, e.rect, e.codec, e.payload, !e.store_keys.empty());
      auto c = static_cast<std::size_t>(e.codec);
      stats_.rects_by_codec[c]++;
      stats_.bytes_by_codec[c] += e.payload.size();
      stats_.pixels_encoded += static_cast<std::uint64_t>(e.rect.area());
      if (is_lossy_codec(e.codec)) jpeg_pixels += static_cast<std::uint64_t>(e.rect.area());
    }
    stats_.pixel_bytes += msgs.size();
    if (!msgs.empty()) parts.push_back(std::move(msgs));
  }
  jpeg_coding_.note(jpeg_pixels, now_us());
  policy_.jpeg_arithmetic = jpeg_coding_.arithmetic();
  parts.push_back(encode(FrameEnd{seq, std::exchange(frame_input_ids_, {})}));
  note_answered();
  stats_.encode_us += u->encode_us;
  if (u->shared) ++stats_.updates_shared;
  ++stats_.frames;
  ++stats_.updates_by_kind[static_cast<std::size_t>(u->kind)];
  if (u->log_lost) ++stats_.ops_log_lost;
  queue(std::move(parts));
  schedule_lossless_refresh();
  maybe_send_update();
}

void ViewerConnection::note_input(const InputStamp& stamp, std::uint64_t serial, std::uint64_t received_us) {
  ++stats_.input_events;
  last_input_us_ = now_us();
  if (stamp.id == 0) return;
  // A viewer that stamps input faster than frames answer it must not grow this forever.
  if (stamps_waiting_.size() >= kMaxStampsWaiting) stamps_waiting_.pop_front();
  stamps_waiting_.push_back({stamp.id, serial, received_us});
  // The source applied it on this thread (an idle app does): answer now rather than
  // behind the I/O thread's other ready work, where the publish's wake-up waits.
  bool applied;
  {
    auto lk = session_.lock();
    applied = session_.inputs_applied_locked() >= serial;
  }
  if (applied) maybe_send_update();
}

void ViewerConnection::note_answered() {
  std::uint64_t t = now_us();
  for (std::uint64_t r : frame_input_received_us_)
    if (stats_.input_answer_us.size() < ViewerStats::kMaxSamples) stats_.input_answer_us.push_back(static_cast<std::uint32_t>(t - r));
  frame_input_received_us_.clear();
}

void ViewerConnection::send_input_answer() {
  if (!frame_input_ids_.empty()) send_empty_frame();
}

void ViewerConnection::send_empty_frame() {
  // The screen the viewer holds already shows these inputs' effect (or they had none):
  // an empty frame says so.
  std::uint32_t seq = next_seq_++;
  std::vector<Bytes> parts;
  parts.push_back(encode(FrameBegin{seq, now_us()}));
  const bool answers = !frame_input_ids_.empty();
  parts.push_back(encode(FrameEnd{seq, std::exchange(frame_input_ids_, {})}));
  if (answers) {
    note_answered();
    ++stats_.input_answers;
  }
  queue(std::move(parts));
}

void ViewerConnection::schedule_lossless_refresh() {
  if (!held_ || !policy_.lossy || config_.lossless_refresh.count() <= 0 || encoding_) return;
  const std::uint64_t idle_us = static_cast<std::uint64_t>(config_.lossless_refresh.count()) * 1000;
  std::uint64_t next_due = 0;
  if (held_->schedule_refresh(now_us(), idle_us, &next_due) > 0) return maybe_send_update();
  if (next_due == 0) return;
  refresh_timer_.expires_after(std::chrono::microseconds(next_due - std::min(next_due, now_us())));
  refresh_timer_.async_wait([self = shared_from_this()](const asio::error_code& e) {
    if (e || self->state_ != State::Streaming) return;
    self->schedule_lossless_refresh();  // while an update is being planned, its end re-arms this
  });
}

void ViewerConnection::queue(Bytes msg) {
  std::vector<Bytes> parts;
  parts.push_back(std::move(msg));
  queue(std::move(parts));
}

void ViewerConnection::queue(std::vector<Bytes> parts) {
  std::uint64_t n = 0;
  for (const auto& p : parts) n += p.size();
  queued_bytes_ += n;
  stats_.queued_bytes_peak = std::max(stats_.queued_bytes_peak, queued_bytes_);
  out_.push_back(std::move(parts));
  if (!writing_) write_next();
}

void ViewerConnection::write_next() {
  if (out_.empty() || state_ == State::Closed) {
    writing_ = false;
    return;
  }
  writing_ = true;
  std::vector<asio::const_buffer> bufs;
  if (stream_.is_tls()) {
    // TLS writes one buffer at a time, one record or more each: join the parts so
    // that small ones (headers) do not each become a record and a send().
    tls_out_.clear();
    for (const auto& p : out_.front()) tls_out_.insert(tls_out_.end(), p.begin(), p.end());
    bufs.emplace_back(asio::buffer(tls_out_));
  } else {
    for (const auto& p : out_.front()) bufs.emplace_back(asio::buffer(p));
  }
  write_timer_.expires_after(config_.write_timeout);
  write_timer_.async_wait([self = shared_from_this()](const asio::error_code& e) {
    if (!e) self->close("viewer read nothing for " + std::to_string(self->config_.write_timeout.count() / 1000) + " s");
  });
  asio::async_write(stream_, bufs, [self = shared_from_this()](const asio::error_code& ec, std::size_t n) {
    self->write_timer_.cancel();
    if (self->state_ == State::Closed) return;
    if (ec) return self->close("write error: " + ec.message());
    self->stats_.bytes_sent += n;
    self->queued_bytes_ -= n;
    self->out_.pop_front();
    if (self->state_ == State::Closing && self->out_.empty()) return self->close(self->stats_.close_reason);
    self->write_next();
  });
}

void ViewerConnection::schedule_ping() {
  ping_timer_.expires_after(config_.ping_interval);
  ping_timer_.async_wait([self = shared_from_this()](const asio::error_code& e) {
    if (e || self->state_ != State::Streaming) return;
    if (!self->writing_) self->queue(encode(Ping{++self->ping_id_, now_us()}));
    self->schedule_ping();
  });
}

void ViewerConnection::fail(ErrorCode code, const std::string& why) {
  if (state_ == State::Closed || state_ == State::Closing) return;
  if (stream_.is_tls() && !tls_ready_) return close(why);  // no channel to say it on
  if (streamed_ || log_unstreamed_allowed())
    spdlog::warn("viewer {} ({}): {}; closing the connection", stats_.id, stats_.peer, why);
  // Frames not yet on the wire are dropped; the one being written must finish first
  // or the Error would land in the middle of it.
  if (writing_) {
    while (out_.size() > 1) {
      for (const auto& p : out_.back()) queued_bytes_ -= p.size();
      out_.pop_back();
    }
  } else {
    out_.clear();
    queued_bytes_ = 0;
  }
  queue(encode(ErrorMsg{code, why}));
  state_ = State::Closing;
  stats_.close_reason = why;
  handshake_timer_.expires_after(kCloseGrace);
  handshake_timer_.async_wait([self = shared_from_this(), why](const asio::error_code& e) {
    if (!e) self->close(why);
  });
}

void ViewerConnection::say_goodbye(const std::string& reason, std::chrono::milliseconds grace) {
  if (state_ != State::Streaming) {
    if (state_ == State::Hello || state_ == State::Auth) close(reason);
    return;
  }
  goodbye_ = reason;
  handshake_timer_.expires_after(grace);
  handshake_timer_.async_wait([self = shared_from_this()](const asio::error_code& e) {
    if (!e) self->send_bye();  // out of patience: the viewer gets what it has
  });
  maybe_send_update();
  maybe_finish_goodbye();
}

bool ViewerConnection::up_to_date() {
  if (encoding_ || acked_seq_ + 1 != next_seq_) return false;
  auto lk = session_.lock();
  return session_.geometry_epoch_locked() == sent_geometry_epoch_ && session_.tile_versions_locked() == sent_versions_;
}

void ViewerConnection::maybe_finish_goodbye() {
  if (goodbye_ && state_ == State::Streaming && up_to_date()) send_bye();
}

void ViewerConnection::send_bye() {
  if (state_ != State::Streaming) return;
  std::string reason = goodbye_.value_or("server shutting down");
  queue(encode(Bye{reason}));
  state_ = State::Closing;
  stats_.close_reason = reason;
  handshake_timer_.expires_after(kCloseGrace);
  handshake_timer_.async_wait([self = shared_from_this(), reason](const asio::error_code& e) {
    if (!e) self->close(reason);
  });
}

void ViewerConnection::close(const std::string& reason) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  if (joined_) session_.viewer_left(encoding_mode_ != Encoding::Pixels);
  joined_ = false;
  stats_.connected = false;
  stats_.close_reason = reason;
  handshake_timer_.cancel();
  ping_timer_.cancel();
  write_timer_.cancel();
  refresh_timer_.cancel();
  first_frame_timer_.cancel();
  asio::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
  out_.clear();
  queued_bytes_ = 0;
  if (streamed_ || log_unstreamed_allowed()) spdlog::info("viewer {} disconnected: {}", stats_.id, reason);
  if (on_closed_) on_closed_(stats());
}

}  // namespace rd
