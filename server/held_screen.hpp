#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "codecs/surface.hpp"
#include "codecs/tile_grid.hpp"
#include "protocol/messages.hpp"
#include "server/copy_search_cache.hpp"
#include "server/ops_planner.hpp"
#include "server/update_encoder.hpp"

namespace rd {

// What one pixel viewer's screen holds, kept by the server (a stateful server knows its
// client's state): `held` is the viewer's screen, `next` the session's screen as this
// viewer's next update will leave it. Knowing both, an update can be made of copies of
// what the viewer already has (scrolls found in the pixels) plus only the tiles that
// still differ. An update leaves the viewer holding exactly the next screen's pixels
// (lossy tiles are flagged, not stored), so both are the session's shared snapshots
// (Session::snapshot_locked): a viewer costs no screen of memory of its own, and
// viewers in step hold the same one.
//
// Threading: take_changed() runs on the I/O thread under the session lock, plan() on a
// worker; the viewer's connection never runs them at the same time (one update at once).
class HeldScreen {
 public:
  // `shared`: copies found by other viewers between the same frames (may be null).
  HeldScreen(int w, int h, std::shared_ptr<CopySearchCache> shared = nullptr) : shared_(std::move(shared)) { reset(w, h); }
  // Black, as a viewer starts and after a Resize.
  void reset(int w, int h);

  // Takes `next` (the session's screen now) as the next screen and marks the tiles whose
  // version differs from `sent` as changed and sent. Returns how many tiles changed.
  // Call with the session lock held. `frame` names that screen, when known.
  int take_changed(std::shared_ptr<const Surface> next, const std::vector<std::uint64_t>& current,
                   std::vector<std::uint64_t>& sent, std::uint64_t now_us = 0,
                   std::optional<CopySearchCache::Frame> frame = std::nullopt);
  // The viewer's pixels in r are in doubt (it asked for a refresh): they are sent, and
  // not copied from, whatever the comparison says.
  void doubt(const Rect& r);

  struct Update {
    std::vector<CopyRectMsg> copies;  // to apply first, in order
    std::vector<RunSnapshot> runs;    // then these pixels
    std::int64_t copied_pixels = 0;
    int predicted_copies = 0;  // copies found by repeating the last update's (repeat_copy)
    int searched_groups = 0;   // groups of changed tiles the scroll and move search ran on
  };
  // Finds scrolls among the changed tiles (when `detect`), applies them to the held
  // screen, and returns them with the runs of tiles that still differ; afterwards the
  // held screen equals the next one.
  // Runs whose `lossless` is set are refreshes (below) and must not be lossy.
  Update plan(bool detect, std::uint64_t now_us = 0);

  // Between which two frames of the session this viewer's update goes, when its update
  // depends on nothing else: it holds a known frame exactly (nothing in doubt, lossy or
  // due for a refresh) and takes a known one. Viewers for which this gives the same pair
  // get the same update (SharedUpdates).
  std::optional<std::pair<CopySearchCache::Frame, CopySearchCache::Frame>> shareable() const;
  // Instead of plan(): another viewer in the same state planned this update (its copies
  // and runs); afterwards the held screen equals the next one, as after plan().
  void adopt_planned();

  // After an update is encoded: which rectangles went lossy (JPEG) and which exact.
  void record_sent(const Rect& r, bool lossy);

  // Lossless refresh (as TurboVNC's): tiles the viewer holds lossy whose content has not
  // changed for `idle_us` are sent again exactly by the next update. Returns how many
  // were scheduled; `next_due_us` gets when the next lossy tile becomes due (0: none).
  int schedule_refresh(std::uint64_t now_us, std::uint64_t idle_us, std::uint64_t* next_due_us);
  bool refresh_pending() const { return refresh_count_ > 0; }
  int lossy_tiles() const;

  const Surface& held() const { return *held_; }

 private:
  std::vector<Rect> changed_groups() const;
  void finish_update();
  GridGeometry g_;
  std::shared_ptr<const Surface> held_;
  std::shared_ptr<const Surface> next_;  // unchanged while this viewer's update is made
  std::vector<char> changed_, doubt_, lossy_, refresh_;
  std::vector<std::uint64_t> changed_at_us_;
  int refresh_count_ = 0;
  // Which frames of the session the held and next screens are, when known: the copy
  // search between two known frames is shared with other viewers.
  std::shared_ptr<CopySearchCache> shared_;
  std::optional<CopySearchCache::Frame> held_frame_, next_frame_;
  // The last update's copies, to try again one step further before searching.
  std::vector<CopyRectMsg> last_copies_;
  // A clock or a cursor beside a window that keeps moving is not worth a search.
  static constexpr int kUnexplainedTiles = 2;
};

}  // namespace rd
