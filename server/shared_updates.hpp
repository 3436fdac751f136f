#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "protocol/messages.hpp"
#include "server/copy_search_cache.hpp"
#include "server/update_encoder.hpp"

namespace rd {

// One pixel update as every viewer in the same state gets it: the copies, then the
// encoded tiles. Immutable once made.
struct SharedUpdate {
  std::vector<CopyRectMsg> copies;
  std::int64_t copied_pixels = 0;
  std::shared_ptr<const std::vector<std::vector<EncodedRect>>> rects;
};

// Whole updates shared between the pixel viewers of a session. Viewers in step (a crowd
// watching the same session) go between the same two frames with the same codecs, and
// their updates are then the same bytes: the first viewer to need one plans and encodes
// it, the others wait for it and take it, so serving the crowd costs one plan and one
// encode per frame instead of one per viewer. Only updates that depend on nothing but
// the two frames are shared (HeldScreen::shareable; lossless, no tile cache, whose
// references depend on each viewer's cache). Thread-safe: encoder workers use it.
class SharedUpdates {
 public:
  struct Key {
    CopySearchCache::Frame from, to;
    std::uint64_t codecs = 0;  // what the update's bytes depend on besides the frames (codecs_key, update_jobs.cpp)
    bool operator==(const Key&) const = default;
  };
  // Gets the update once made; null when its maker failed (then make it yourself).
  using Waiter = std::function<void(std::shared_ptr<const SharedUpdate>)>;
  enum class Claim { Ready, Waiting, Maker };
  // Ready: `ready` holds the update. Waiting: another viewer is making it and `waiter`
  // runs (on that viewer's worker) when it is done. Maker: the caller makes it and must
  // call fulfil() for the key, whatever happens.
  Claim claim(const Key& key, std::shared_ptr<const SharedUpdate>& ready, Waiter waiter);
  // The update for `key` (null: making it failed). Runs the waiters, outside the lock.
  void fulfil(const Key& key, std::shared_ptr<const SharedUpdate> update);

  std::uint64_t made() const;    // updates planned and encoded once
  std::uint64_t reused() const;  // updates taken by another viewer instead of made

 private:
  static constexpr std::size_t kKept = 8;  // finished updates; viewers in step stay within a frame or two
  struct Entry {
    Key key;
    std::shared_ptr<const SharedUpdate> update;  // null while being made
    std::vector<Waiter> waiters;
  };
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
  std::uint64_t made_ = 0, reused_ = 0;
};

}  // namespace rd
