#include "client/stream_receiver.hpp"

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <utility>

#include <asio/error.hpp>

#include "codecs/op_batch.hpp"
#include "codecs/raster.hpp"
#include "codecs/tile_grid.hpp"
#include "codecs/tile_codec.hpp"
#include "common/clock.hpp"

namespace rd {

StreamReceiver::StreamReceiver(MessageChannel& conn, WorkerPool& pool, FrameStore& store, std::size_t glyph_cache_bytes,
                               TileCacheStore* tiles, ReceiverStats& stats, InputStamps* stamps, bool resumed)
    : conn_(conn),
      pool_(pool),
      store_(store),
      glyphs_(glyph_cache_bytes),
      tiles_(tiles),
      stats_(stats),
      stamps_(stamps),
      publish_whole_(resumed) {}

StreamReceiver::End StreamReceiver::run() {
  try {
    receive_loop();
  } catch (const DecodeError& e) {
    try {
      conn_.send(encode(ErrorMsg{ErrorCode::Malformed, e.what()}));
    } catch (const std::exception&) {
    }
    store_.finish(std::string("protocol error from the server: ") + e.what() +
                      "; the server and this viewer disagree, update both to the same release",
                  true);
  } catch (const std::system_error& e) {
    lost_reason_ = e.code() == asio::error::eof ? "the server closed the connection without saying goodbye"
                                                 : "connection lost: " + e.code().message();
    return End::Lost;
  } catch (const std::exception& e) {
    store_.finish(std::string("viewer error: ") + e.what(), true);
  }
  return End::Finished;
}

void StreamReceiver::receive_loop() {
  const ServerHello& hello = conn_.server_hello();
  // The server starts every connection from a black screen of the hello's size.
  decoded_ = Surface(hello.width, hello.height);
  Surface shown = publish_whole_ ? store_.snapshot() : Surface();
  if (!publish_whole_ || shown.width() != hello.width || shown.height() != hello.height) {
    store_.reset(hello.width, hello.height);
    publish_whole_ = false;
  }

  bool in_frame = false;
  std::uint32_t seq = 0;
  int frame_tiles = 0;  // TileUpdates in this frame so far
  constexpr int kInlineTiles = 2;
  Region frame_region;
  JobLatch latch;
  std::atomic<std::uint64_t> decode_us{0};
  std::mutex err_mu;
  std::string tile_error;
  bool ops_running = false;  // tiles after an op batch wait for it: they overwrite what it drew
  Region ops_touched;        // guarded by err_mu
  std::vector<Rect> to_store;  // the frame's TileUpdates with the store flag, in order
  std::uint64_t ops_bytes_at_begin = 0, pixel_bytes_at_begin = 0;  // the frame's share, for the HUD
  // Decode jobs refer to the locals above: however this function is left, they finish first.
  struct DrainOnExit {
    JobLatch& latch;
    ~DrainOnExit() { latch.wait(); }
  } drain{latch};

  for (;;) {
    RawMessage m = conn_.read();
    switch (static_cast<MsgType>(m.type)) {
      case MsgType::FrameBegin: {
        if (in_frame) throw DecodeError("FrameBegin inside a frame");
        seq = decode_frame_begin(m.body).seq;
        in_frame = true;
        ops_bytes_at_begin = stats_.ops_bytes;
        pixel_bytes_at_begin = stats_.pixel_bytes + stats_.copy_bytes + stats_.cache_ref_bytes;
        frame_region.clear();
        to_store.clear();
        decode_us = 0;
        frame_tiles = 0;
        break;
      }
      case MsgType::TileUpdate: {
        if (!in_frame) throw DecodeError("TileUpdate outside a frame");
        auto body = std::make_shared<Bytes>(std::move(m.body));
        TileUpdateView t = decode_tile_update_view(*body);
        if (!decoded_.bounds().contains(t.rect))
          throw DecodeError("TileUpdate rectangle " + std::to_string(t.rect.x) + "," + std::to_string(t.rect.y) + " " +
                            std::to_string(t.rect.w) + "x" + std::to_string(t.rect.h) + " lies outside the screen");
        // Tiles of one frame are disjoint; should a server send overlapping ones, let
        // the earlier land first so that the result stays the server's order.
        if (ops_running || frame_region.intersects(t.rect)) {
          latch.wait();
          ops_running = false;
        }
        frame_region.add(t.rect);
        if (t.store && tiles_) to_store.push_back(t.rect);
        stats_.pixel_bytes += body->size() + kHeaderSize;
        stats_.rects_by_codec[static_cast<std::size_t>(t.codec)]++;
        stats_.bytes_by_codec[static_cast<std::size_t>(t.codec)] += t.payload.size();
        latch.add();
        MutablePixelView dst = decoded_.mutable_view(t.rect);
        auto job = [&, body, t, dst] {
          std::uint64_t t0 = now_us();
          try {
            decode_tile(t.codec, t.payload, dst);
          } catch (const std::exception& e) {  // a DecodeError, or a decoder that cannot start
            std::lock_guard lk(err_mu);
            if (tile_error.empty()) tile_error = std::string(tile_codec_name(t.codec)) + " tile: " + e.what();
          }
          decode_us += now_us() - t0;
          latch.done();
        };
        // The first small tiles of a frame are decoded here: a frame that answers a key
        // press is often one or two tiles, and handing them to the pool would cost two
        // thread wake-ups, more than the decode. Larger frames still spread over the pool.
        if (++frame_tiles <= kInlineTiles && t.rect.area() <= kTileSize * kTileSize)
          job();
        else
          pool_.submit(std::move(job));
        break;
      }
      case MsgType::CacheRef: {
        if (!in_frame) throw DecodeError("CacheRef outside a frame");
        if (!tiles_) throw DecodeError("CacheRef without the tile cache capability");
        CacheRefMsg c = decode_cache_ref(m.body);
        if (!decoded_.bounds().contains(c.rect)) throw DecodeError("CacheRef rectangle lies outside the screen");
        const Surface* t = tiles_->use(c.key);
        if (!t) throw DecodeError("CacheRef to a tile the cache does not hold (the caches went out of step)");
        if (t->width() != c.rect.w || t->height() != c.rect.h) throw DecodeError("CacheRef of another size than the cached tile");
        if (ops_running || frame_region.intersects(c.rect)) {
          latch.wait();
          ops_running = false;
        }
        frame_region.add(c.rect);
        for (int y = 0; y < c.rect.h; ++y)
          std::memcpy(decoded_.row32(c.rect.y + y) + c.rect.x, t->row32(y), static_cast<std::size_t>(c.rect.w) * 4);
        stats_.cache_ref_bytes += m.body.size() + kHeaderSize;
        ++stats_.cache_refs;
        break;
      }
      case MsgType::CopyRect: {
        if (!in_frame) throw DecodeError("CopyRect outside a frame");
        CopyRectMsg c = decode_copy_rect(m.body);
        if (!decoded_.bounds().contains(c.dst) || !decoded_.bounds().contains(c.src()))
          throw DecodeError("CopyRect from or to outside the screen");
        // It moves what the frame's earlier messages left: they land first.
        latch.wait();
        ops_running = false;
        copy_area(decoded_, c.src(), c.dst.x, c.dst.y, decoded_.bounds());
        frame_region.add(c.dst);
        stats_.copy_bytes += m.body.size() + kHeaderSize;
        ++stats_.copies;
        break;
      }
      case MsgType::OpsBatch: {
        if (!in_frame) throw DecodeError("OpsBatch outside a frame");
        // Ops draw on what the frame's earlier messages left, in order.
        latch.wait();
        auto body = std::make_shared<Bytes>(std::move(m.body));
        stats_.ops_bytes += body->size() + kHeaderSize;
        ++stats_.ops_batches;
        latch.add();
        ops_running = true;
        pool_.submit([&, body] {
          std::uint64_t t0 = now_us();
          try {
            OpList ops = decode_ops_batch(*body);
            for (const Op& op : ops) raster_.apply(decoded_, op);
            Region touched = raster_.take_touched();
            std::lock_guard lk(err_mu);
            ops_touched.add(touched);
            stats_.ops += ops.size();
          } catch (const DecodeError& e) {
            std::lock_guard lk(err_mu);
            if (tile_error.empty()) tile_error = std::string("ops batch: ") + e.what();
          }
          decode_us += now_us() - t0;
          latch.done();
        });
        break;
      }
      case MsgType::FrameEnd: {
        if (!in_frame) throw DecodeError("FrameEnd outside a frame");
        FrameEnd fe = decode_frame_end(m.body);
        if (fe.seq != seq) throw DecodeError("FrameEnd for frame " + std::to_string(fe.seq) + " inside frame " + std::to_string(seq));
        latch.wait();
        ops_running = false;
        {
          std::lock_guard lk(err_mu);
          if (!tile_error.empty()) throw DecodeError(tile_error);
          frame_region.add(ops_touched);
          ops_touched.clear();
        }
        // After every reference of the frame touched the cache, as the server's mirror
        // does: the stored tiles go in, in message order, each grid tile on its own.
        for (const Rect& r : to_store)
          for_each_cache_tile(r, [&](const Rect& t) {
            tiles_->insert(decoded_.view(t));
            ++stats_.cache_stored;
          });
        in_frame = false;
        std::vector<std::uint64_t> answered;
        if (stamps_)
          for (std::uint32_t id : fe.input_ids)
            if (auto sent = stamps_->answer(id)) answered.push_back(*sent);
        if (std::exchange(publish_whole_, false)) frame_region.add(decoded_.bounds());
        store_.publish(decoded_, frame_region, std::move(answered));
        std::uint32_t us = static_cast<std::uint32_t>(decode_us.load());
        conn_.send(encode(FrameAck{seq, us}));
        stats_.decode_us.push_back(us);
        ++stats_.frames;
        std::uint64_t t = now_us();
        store_.metrics().frame_done(t, us, stats_.ops_bytes - ops_bytes_at_begin, stats_.pixel_bytes + stats_.copy_bytes + stats_.cache_ref_bytes - pixel_bytes_at_begin);
        if (stats_.frames > 1) stats_.interval_us.push_back(static_cast<std::uint32_t>(t - stats_.last_frame_us));
        else stats_.first_frame_us = t;
        stats_.last_frame_us = t;
        break;
      }
      case MsgType::Cursor:
        store_.set_cursor(decode_cursor(m.body));
        break;
      case MsgType::Resize: {
        if (in_frame) throw DecodeError("Resize inside a frame");
        Resize r = decode_resize(m.body);
        decoded_ = Surface(r.w, r.h);
        store_.reset(r.w, r.h);
        break;
      }
      case MsgType::Clipboard:
        store_.set_clipboard(decode_clipboard(m.body).utf8);
        break;
      case MsgType::Ping: {
        Ping p = decode_ping(m.body);
        ++stats_.pings;
        conn_.send(encode(Pong{p.id, p.time_us}));
        break;
      }
      case MsgType::Error: {
        latch.wait();
        ErrorMsg e = decode_error(m.body);
        store_.finish("the server reported an error: " + e.text + "; its log says more", true);
        return;
      }
      case MsgType::Bye: {
        latch.wait();
        Bye b = decode_bye(m.body);
        store_.finish("the server closed the session" + (b.reason.empty() ? std::string() : ": " + b.reason) +
                          "; connect again once it runs",
                      false);
        return;
      }
      default:
        if (m.flags & kFlagOptional) break;
        latch.wait();
        throw DecodeError("unexpected message type " + std::to_string(m.type) + " (" + msg_type_name(m.type) + ")");
    }
  }
}

}  // namespace rd
