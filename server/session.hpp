#pragma once
#include <cstdint>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "codecs/region.hpp"
#include "codecs/surface.hpp"
#include "codecs/tile_grid.hpp"
#include "protocol/messages.hpp"
#include "server/op_log.hpp"

namespace rd {

// Where input from viewers goes: the content source (a Canvas app, later an X display).
class InputSink {
 public:
  virtual ~InputSink() = default;
  virtual void on_key(const KeyEvent&) = 0;
  virtual void on_pointer(const PointerEvent&) = 0;
  virtual void on_wheel(const WheelEvent&) = 0;
  // A viewer put text on its clipboard (UTF-8).
  virtual void on_clipboard(const std::string& /*utf8*/) {}
  // A viewer left: nothing it pressed may stay down.
  virtual void on_viewer_left() {}
  // A viewer asks for another screen size; sources that can change it do.
  virtual void on_resize_request(int /*w*/, int /*h*/) {}
};

// Sees every publish that changed the screen (rdisplay-server --record), on the
// publishing thread, before any viewer does.
class PublishRecorder {
 public:
  virtual ~PublishRecorder() = default;
  // `changed`: the tiles whose pixels changed; `ops`: the drawing ops that made the
  // change, when the source recorded them.
  virtual void published(const Surface& frame, const std::vector<Rect>& changed, const std::vector<LoggedOpPtr>* ops) = 0;
  virtual void resized(int w, int h) = 0;
};

// One shared screen. The source draws into the Surface under the lock and commits the
// damage; the session re-hashes the damaged tiles and gives every changed tile a new
// version. Each viewer remembers the versions it was sent, so "what does this viewer
// still need" is a comparison of two version arrays, however many frames it missed.
class Session {
 public:
  // Memory the op log may hold; a viewer further behind gets pixels.
  static constexpr std::size_t kOpLogBytes = 32u << 20;

  Session(int w, int h, std::string name);

  const std::string& name() const { return name_; }

  // --- for the source: publishes one at a time (the source serialises them) ---
  // Publishes a new screen: `frame` is the source's own copy of the whole screen and
  // `damage` where it may have changed since the last publish. The damaged tiles are
  // hashed without the lock; only tiles whose pixels changed are copied in, under it.
  // So an application that redraws identical pixels costs hashing, and the lock is held
  // for a copy, never for drawing.
  // `ops` are the drawing ops that made this change, when the source recorded them
  // (only while viewers of command encoding watch: see wants_ops()).
  // `inputs_applied`: the source's state includes every input delivered with a serial up
  // to this one (0: no news); the frames from this publish on show their effect.
  void publish(const Surface& frame, const Region& damage, std::optional<std::vector<LoggedOpPtr>> ops = std::nullopt,
               std::uint64_t inputs_applied = 0);
  // For sources whose input has no pixels of its own to wait for (an X display: what an
  // X client draws in answer comes later, as damage): inputs up to `serial` are applied.
  void inputs_applied(std::uint64_t serial);
  // The screen becomes black at the new size; `frame` is resized by the caller.
  void resize(int w, int h);

  std::unique_lock<std::mutex> lock() { return std::unique_lock(mu_); }
  Surface& surface() { return surface_; }  // only while holding lock()
  void set_cursor(CursorShape shape);
  void set_input_sink(InputSink* sink) { sink_ = sink; }
  // Called after every commit, resize and cursor change, on the thread that made the
  // change and possibly under the lock: it must only hand work elsewhere (the server
  // posts a wake-up to its I/O thread).
  void set_change_listener(std::function<void()> fn) { on_change_ = std::move(fn); }

  // Whether a source should record ops: some viewer uses command encoding, or the
  // session is being recorded.
  bool wants_ops() const { return recorder_ != nullptr || ops_viewers_.load() > 0; }
  // Set before the source starts (and never changed after).
  void set_recorder(PublishRecorder* r) { recorder_ = r; }
  int viewers() const { return viewers_.load(); }
  // Called when a viewer starts or stops watching (and when one needs ops).
  void viewer_joined(bool wants_ops);
  void viewer_left(bool wanted_ops);
  void set_viewer_listener(std::function<void()> fn) { on_viewers_ = std::move(fn); }

  // --- for viewers (lock held where noted) ---
  const OpLog& op_log_locked() const { return op_log_; }
  // Tile versions; a viewer that holds versions equal to these is up to date.
  const std::vector<std::uint64_t>& tile_versions_locked() const { return versions_; }
  const TileGrid& grid_locked() const { return grid_; }
  std::uint64_t geometry_epoch_locked() const { return geometry_epoch_; }
  // The version every tile has while it is still black since creation or resize.
  std::uint64_t black_version_locked() const { return black_version_; }
  // The newest tile version: with the geometry epoch, it names the screen's content.
  std::uint64_t content_version_locked() const { return version_counter_; }
  // The screen as it is now, as a surface that never changes, shared by every viewer
  // that asks until the screen changes: pixel viewers plan their updates from it without
  // the lock and without a copy each. Surfaces nobody holds any more are reused, brought
  // up to date by copying only the tiles changed since they were made.
  std::shared_ptr<const Surface> snapshot_locked();
  std::uint64_t cursor_epoch() const;
  CursorShape cursor() const;

  // The session's clipboard (UTF-8): set by the source (an app copying) or by a viewer
  // (which also hands it to the source). Every viewer but the one it came from gets it.
  // `origin` names who set it: 0 the source, otherwise a viewer's id.
  void set_clipboard(std::string utf8, int origin);
  struct Clipboard {
    std::string text;
    int origin = 0;
    std::uint64_t epoch = 0;
  };
  Clipboard clipboard() const;
  InputSink* input_sink() const { return sink_; }

  // Hands one input event to the source and returns its serial (input latency stamps).
  // Deliveries are serialised, and during one the source may ask for the serial being
  // delivered to queue it with the event: the source's queue is then in serial order.
  template <class F>
  std::uint64_t deliver_input(F&& to_sink) {
    std::lock_guard lk(input_mu_);
    std::uint64_t serial = ++inputs_delivered_;
    delivery_ = {this, serial};
    struct Reset {
      ~Reset() { delivery_ = {}; }
    } reset;
    if (sink_) to_sink(*sink_);
    return serial;
  }
  // The serial of the input this thread is delivering through deliver_input, 0 on any
  // other thread (an RFB client thread calls the sink directly: its input has none).
  std::uint64_t serial_in_delivery() const { return delivery_.session == this ? delivery_.serial : 0; }
  // The highest serial the screen reflects (lock held).
  std::uint64_t inputs_applied_locked() const { return inputs_applied_; }

  // Statistics.
  std::uint64_t commits() const;
  std::uint64_t tiles_changed() const;
  std::uint64_t changing_commits() const;  // publishes that changed at least one tile
  std::uint64_t snapshots_made() const;    // whole-screen copies snapshot_locked() made

 private:
  void notify();
  mutable std::mutex mu_;
  std::string name_;
  Surface surface_;
  // Tile geometry is read under the lock; the hashes are only touched by publish() and
  // resize(), which the source calls one at a time.
  TileGrid grid_;
  std::vector<std::uint64_t> versions_;
  std::uint64_t version_counter_ = 0;
  std::uint64_t geometry_epoch_ = 0;
  std::uint64_t black_version_ = 1;
  std::uint64_t commits_ = 0, tiles_changed_ = 0, changing_commits_ = 0;
  struct Snapshot {
    std::shared_ptr<Surface> surface;
    std::uint64_t version = 0, geometry = 0;
  };
  std::vector<Snapshot> snapshots_;
  std::uint64_t snapshots_made_ = 0;
  // Viewers in step hold one or two frames; a few more cover stragglers.
  static constexpr std::size_t kSnapshotsPooled = 6;

  mutable std::mutex aux_mu_;  // guards the cursor and the clipboard
  CursorShape cursor_;
  std::uint64_t cursor_epoch_ = 0;
  Clipboard clipboard_;

  OpLog op_log_{kOpLogBytes};
  std::atomic<int> ops_viewers_{0}, viewers_{0};

  InputSink* sink_ = nullptr;
  PublishRecorder* recorder_ = nullptr;
  std::function<void()> on_change_, on_viewers_;

  std::mutex input_mu_;
  std::uint64_t inputs_delivered_ = 0;
  struct Delivery {
    const Session* session = nullptr;
    std::uint64_t serial = 0;
  };
  static thread_local Delivery delivery_;
  std::uint64_t inputs_applied_ = 0;  // under mu_
};

}  // namespace rd
