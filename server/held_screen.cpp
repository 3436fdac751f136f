#include "server/held_screen.hpp"

#include <algorithm>
#include <cstring>

#include "codecs/raster.hpp"
#include "codecs/scroll_detect.hpp"

namespace rd {

namespace {

// What a copy uncovers, where new content is expected: for a vertical scroll the rows
// beyond its destination on the side its content came from (a terminal's new lines), for
// a move where the window was.
Rect exposed_by(const CopyRectMsg& c) {
  const int dx = c.dst.x - c.src_x, dy = c.dst.y - c.src_y;
  if (dx != 0) return c.src();
  if (dy == 0) return {};
  return dy < 0 ? Rect{c.dst.x, c.dst.bottom(), c.dst.w, -dy} : Rect{c.dst.x, c.dst.y - dy, c.dst.w, dy};
}

bool same_pixels(const Surface& a, const Surface& b, const Rect& r) {
  for (int y = r.y; y < r.bottom(); ++y)
    if (std::memcmp(a.row32(y) + r.x, b.row32(y) + r.x, static_cast<std::size_t>(r.w) * 4) != 0) return false;
  return true;
}

}  // namespace

void HeldScreen::reset(int w, int h) {
  g_ = {w, h, (w + kTileSize - 1) / kTileSize, (h + kTileSize - 1) / kTileSize};
  held_ = std::make_shared<const Surface>(w, h);
  next_.reset();
  changed_.assign(static_cast<std::size_t>(g_.count()), 0);
  doubt_.assign(static_cast<std::size_t>(g_.count()), 0);
  lossy_.assign(static_cast<std::size_t>(g_.count()), 0);
  refresh_.assign(static_cast<std::size_t>(g_.count()), 0);
  changed_at_us_.assign(static_cast<std::size_t>(g_.count()), 0);
  refresh_count_ = 0;
  held_frame_.reset();
  next_frame_.reset();
  last_copies_.clear();
}

int HeldScreen::take_changed(std::shared_ptr<const Surface> next, const std::vector<std::uint64_t>& current,
                             std::vector<std::uint64_t>& sent, std::uint64_t now_us,
                             std::optional<CopySearchCache::Frame> frame) {
  next_ = std::move(next);
  next_frame_ = frame;
  int n = 0;
  for (std::size_t k = 0; k < current.size(); ++k) {
    if (current[k] == sent[k]) continue;
    sent[k] = current[k];
    changed_[k] = 1;
    changed_at_us_[k] = now_us;
    ++n;
  }
  return n;
}

void HeldScreen::doubt(const Rect& r) {
  g_.for_tiles(r, [&](int t) { doubt_[static_cast<std::size_t>(t)] = 1; });
}

void HeldScreen::record_sent(const Rect& r, bool lossy) {
  g_.for_tiles(r, [&](int t) { lossy_[static_cast<std::size_t>(t)] = lossy; });
}

int HeldScreen::lossy_tiles() const { return static_cast<int>(std::count(lossy_.begin(), lossy_.end(), 1)); }

int HeldScreen::schedule_refresh(std::uint64_t now_us, std::uint64_t idle_us, std::uint64_t* next_due_us) {
  int n = 0;
  std::uint64_t next = 0;
  for (std::size_t k = 0; k < lossy_.size(); ++k) {
    if (!lossy_[k] || refresh_[k]) continue;
    std::uint64_t due = changed_at_us_[k] + idle_us;
    if (due <= now_us) {
      refresh_[k] = 1;
      ++refresh_count_;
      ++n;
    } else if (next == 0 || due < next) {
      next = due;
    }
  }
  if (next_due_us) *next_due_us = next;
  return n;
}

std::vector<Rect> HeldScreen::changed_groups() const {
  // Connected groups of changed tiles (sharing an edge), as bounding boxes.
  std::vector<Rect> boxes;
  std::vector<char> seen(changed_.size(), 0);
  std::vector<int> stack;
  for (int start = 0; start < g_.count(); ++start) {
    if (!changed_[static_cast<std::size_t>(start)] || seen[static_cast<std::size_t>(start)]) continue;
    Rect box;
    stack.assign(1, start);
    seen[static_cast<std::size_t>(start)] = 1;
    while (!stack.empty()) {
      int t = stack.back();
      stack.pop_back();
      box = box.empty() ? g_.tile_rect(t) : box.united(g_.tile_rect(t));
      int tx = t % g_.cols, ty = t / g_.cols;
      for (auto [dx, dy] : {std::pair{1, 0}, {-1, 0}, {0, 1}, {0, -1}}) {
        int nx = tx + dx, ny = ty + dy;
        if (nx < 0 || ny < 0 || nx >= g_.cols || ny >= g_.rows) continue;
        auto n = static_cast<std::size_t>(ny * g_.cols + nx);
        if (changed_[n] && !seen[n]) {
          seen[n] = 1;
          stack.push_back(static_cast<int>(n));
        }
      }
    }
    boxes.push_back(box);
  }
  return boxes;
}

HeldScreen::Update HeldScreen::plan(bool detect, std::uint64_t now_us) {
  Update u;
  if (!next_) return u;  // nothing taken since the reset
  const int nt = g_.count();
  // Changed tiles go unless a copy may have brought their content; tiles a copy wrote
  // are compared with the next screen.
  // Per tile, what the copies did to it: nothing, wrote it (compare with the next screen),
  // or wrote all of it with pixels already checked against the next screen.
  enum : char { kUntouched = 0, kCompare = 1, kKnownSame = 2 };
  std::vector<char> send(changed_.begin(), changed_.end()), compare(static_cast<std::size_t>(nt), kUntouched);
  for (int t = 0; t < nt; ++t)
    if (doubt_[static_cast<std::size_t>(t)] || refresh_[static_cast<std::size_t>(t)]) send[static_cast<std::size_t>(t)] = 1;

  // What the viewer will hold once this update's copies are applied: the held screen
  // itself until a copy is found (the snapshots are shared and immutable), then a
  // scratch screen, one per thread and reused, into which tiles of the held screen are
  // brought only where this plan reads or writes them (a whole-screen copy per update
  // cost more than the rest of the plan).
  // A copy whose source no earlier copy wrote reads the held screen itself: it is
  // applied to the scratch only where, and when, a tile of the scratch is brought over
  // (a whole-screen scroll whose tiles all match the next screen is never written).
  static thread_local Surface scratch;
  std::vector<char> valid;    // per tile: the scratch holds it, with the copies so far
  std::vector<char> written;  // per tile: a copy wrote into it
  std::vector<CopyRectMsg> lazy;
  // The part of a lazy copy inside `clip`, read from the held screen.
  auto replay = [&](const CopyRectMsg& c, const Rect& clip) {
    const Rect d = c.dst.intersect(clip);
    if (!d.empty()) put_image(scratch, d.x, d.y, held_->view(d.translated(c.src_x - c.dst.x, c.src_y - c.dst.y)), d);
  };
  const Surface* base = held_.get();
  auto ensure = [&](const Rect& area) {
    if (base != &scratch) return;
    g_.for_tiles(area.intersect(scratch.bounds()), [&](int t) {
      if (valid[static_cast<std::size_t>(t)]) return;
      const Rect tile = g_.tile_rect(t);
      scratch.copy_rect_from(*held_, tile);
      if (written[static_cast<std::size_t>(t)])
        for (const CopyRectMsg& c : lazy) replay(c, tile);
      valid[static_cast<std::size_t>(t)] = 1;
    });
  };
  // The searches read around their box (a move up to 16 pixels away): a tile's margin.
  auto around = [](const Rect& r) { return Rect{r.x - kTileSize, r.y - kTileSize, r.w + 2 * kTileSize, r.h + 2 * kTileSize}; };
  if (detect) {
    // Each group of touching changed tiles is searched on its own: a clock in one corner
    // and a graph in another would otherwise make one box of the whole screen to hash.
    // Copies apply to what the viewer holds in order, so each group's search sees the
    // copies of the groups before it.
    // `exact`: the copy was checked pixel by pixel against the next screen (a repeated
    // scroll, a found move): the tiles it covers whole need no comparison afterwards.
    auto apply = [&](const CopyRectMsg& c, bool exact) {
      if (base != &scratch) {
        if (scratch.width() != held_->width() || scratch.height() != held_->height()) scratch.resize(held_->width(), held_->height());
        valid.assign(static_cast<std::size_t>(nt), 0);
        written.assign(static_cast<std::size_t>(nt), 0);
        lazy.clear();
        base = &scratch;
      }
      bool from_held = true;
      g_.for_tiles(c.src(), [&](int t) { from_held &= !written[static_cast<std::size_t>(t)]; });
      if (from_held) {
        g_.for_tiles(c.dst, [&](int t) {
          if (valid[static_cast<std::size_t>(t)]) replay(c, g_.tile_rect(t));
        });
        lazy.push_back(c);
      } else {
        ensure(c.src());
        ensure(c.dst);
        copy_area(scratch, c.src(), c.dst.x, c.dst.y, scratch.bounds());
      }
      u.copied_pixels += c.dst.area();
      // Pixels the viewer holds in doubt stay in doubt where they are copied to.
      // So do lossy pixels (they are refreshed where they land, once idle).
      bool from_doubt = false, from_lossy = false;
      g_.for_tiles(c.src(), [&](int t) {
        from_doubt |= doubt_[static_cast<std::size_t>(t)] != 0;
        from_lossy |= lossy_[static_cast<std::size_t>(t)] != 0;
      });
      g_.for_tiles(c.dst, [&](int t) {
        auto k = static_cast<std::size_t>(t);
        compare[k] = exact && c.dst.contains(g_.tile_rect(t)) ? kKnownSame : kCompare;
        written[k] = 1;
        if (from_doubt) doubt_[k] = 1;
        if (from_lossy) lossy_[k] = 1;
        changed_at_us_[k] = now_us;
      });
      u.copies.push_back(c);
    };
    // The search depends only on the two screens (and the tiles changed between them,
    // which the frames also decide): between two known frames, another viewer may have
    // searched already.
    const bool known = shared_ && held_frame_ && next_frame_;
    std::optional<std::vector<CopyRectMsg>> found_before;
    if (known) found_before = shared_->find(*held_frame_, *next_frame_);
    if (found_before) {
      for (const CopyRectMsg& c : *found_before) apply(c, false);
    } else {
      // What the viewer will hold around `box` once the copies so far are applied. Where
      // no earlier copy has been (no tile of the scratch brought over), the held screen is
      // what the viewer will have: search it as it is.
      // `reads` is where the caller will read it (the scratch is brought up to date there).
      auto before_for = [&](const Rect& reads) {
        const Surface* before = held_.get();
        if (base == &scratch) {
          bool touched = false;
          g_.for_tiles(reads.intersect(scratch.bounds()), [&](int t) { touched |= written[static_cast<std::size_t>(t)] != 0; });
          if (touched) {
            ensure(reads);
            before = &scratch;
          }
        }
        return before;
      };
      // Motion that goes on is found by checking the last update's copies one step
      // further (a verification pass over the pixels) instead of searching. The group is
      // still searched when more than a couple of its changed tiles are touched by none of
      // those copies (nor lie in the lines a repeated scroll uncovers): something else
      // moved there too.
      const std::vector<CopyRectMsg> last = std::move(last_copies_);
      for (const Rect& box : changed_groups()) {
        const std::size_t first = u.copies.size();
        for (const CopyRectMsg& l : last) {
          const int ldx = l.dst.x - l.src_x, ldy = l.dst.y - l.src_y;
          const Rect ahead = l.dst.translated(ldx, ldy);
          if (!l.dst.intersects(box) && !ahead.intersects(box)) continue;  // it cannot repeat in this group
          // repeat_copy reads the last copy's source and destination and one step further;
          // a vertical repeat grows over the group's rows in its columns, read shifted too.
          Rect reads = l.src().united(l.dst).united(ahead);
          if (ldx == 0) {
            const Rect columns{l.dst.x, box.y, l.dst.w, box.h};
            reads = reads.united(columns).united(columns.translated(0, -ldy));
          }
          if (auto c = repeat_copy(*before_for(reads), *next_, box, l)) {
            apply(*c, c->src_x == c->dst.x);  // a repeated scroll matched every row; a move most
            ++u.predicted_copies;
          }
        }
        if (u.copies.size() > first) {
          int unexplained = 0;
          g_.for_tiles(box, [&](int t) {
            if (!changed_[static_cast<std::size_t>(t)]) return;
            const Rect tile = g_.tile_rect(t);
            for (std::size_t i = first; i < u.copies.size(); ++i)
              if (u.copies[i].dst.intersects(tile) || exposed_by(u.copies[i]).intersects(tile)) return;
            ++unexplained;
          });
          if (unexplained <= kUnexplainedTiles) continue;
        }
        ++u.searched_groups;
        const Surface* before = before_for(around(box));
        // Scrolls are found by row hashes (not exact), moves verified (exact).
        std::vector<CopyRectMsg> found = detect_vertical_scroll(*before, *next_, box);
        bool exact = false;
        // No scroll: perhaps a window moved both ways (groups of at least 2x2 tiles).
        if (found.empty() && box.w >= 2 * kTileSize && box.h >= 2 * kTileSize)
          if (auto m = detect_move(*before, *next_, box)) found.push_back(*m), exact = true;
        for (const CopyRectMsg& c : found) apply(c, exact);
      }
      if (known) shared_->insert(*held_frame_, *next_frame_, u.copies);
    }
  }

  last_copies_ = u.copies;
  for (int t = 0; t < nt; ++t) {
    auto k = static_cast<std::size_t>(t);
    if (compare[k] == kUntouched) continue;
    if (compare[k] == kKnownSame) {
      send[k] = doubt_[k];
      continue;
    }
    ensure(g_.tile_rect(t));
    send[k] = doubt_[k] || !same_pixels(*base, *next_, g_.tile_rect(t));
  }
  // The tiles to send, as runs along each tile row. They are views of the next screen,
  // which stays as it is until this update is encoded (the connection takes no changes
  // meanwhile).
  for (int ty = 0; ty < g_.rows; ++ty) {
    int tx = 0;
    while (tx < g_.cols) {
      if (!send[static_cast<std::size_t>(ty * g_.cols + tx)]) {
        ++tx;
        continue;
      }
      // A refresh (the content is what the viewer has, but lossy) goes exactly; changed
      // tiles take the viewer's quality. Runs hold one kind.
      auto refresh_only = [&](int t) { return refresh_[static_cast<std::size_t>(t)] && !changed_[static_cast<std::size_t>(t)] && !compare[static_cast<std::size_t>(t)]; };
      int start = tx;
      const bool kind = refresh_only(ty * g_.cols + start);
      while (tx < g_.cols && tx - start < kMaxRunTiles && send[static_cast<std::size_t>(ty * g_.cols + tx)] &&
             refresh_only(ty * g_.cols + tx) == kind)
        ++tx;
      Rect r = g_.tile_rect(ty * g_.cols + start).united(g_.tile_rect(ty * g_.cols + tx - 1));
      // Where the viewer holds these tiles exactly, only the rows that differ go: after
      // a scroll's copy that is the exposed strip, for a blinking cursor its few rows.
      // (Tiles in doubt or held lossy go whole: their other rows need sending too.)
      bool exact = !kind;
      for (int t = start; t < tx && exact; ++t) {
        auto k = static_cast<std::size_t>(ty * g_.cols + t);
        exact = !doubt_[k] && !lossy_[k];
      }
      if (exact) {
        ensure(r);
        auto row_same = [&](int y) { return std::memcmp(base->row32(y) + r.x, next_->row32(y) + r.x, static_cast<std::size_t>(r.w) * 4) == 0; };
        int y0 = r.y, y1 = r.bottom();
        while (y0 < y1 && row_same(y0)) ++y0;
        while (y1 > y0 && row_same(y1 - 1)) --y1;
        if (y0 == y1) continue;  // redrawn with the same pixels: nothing to send
        r = {r.x, y0, r.w, y1 - y0};
      }
      RunSnapshot run;
      run.rect = r;
      run.ext = next_->view(r);
      run.lossless = kind;
      u.runs.push_back(std::move(run));
    }
  }
  finish_update();
  return u;
}

void HeldScreen::finish_update() {
  std::fill(changed_.begin(), changed_.end(), 0);
  std::fill(doubt_.begin(), doubt_.end(), 0);
  std::fill(refresh_.begin(), refresh_.end(), 0);
  refresh_count_ = 0;
  // Copied tiles are the same, sent tiles are the next screen's, the rest never
  // changed: the viewer holds the next screen's pixels.
  held_ = next_;
  held_frame_ = next_frame_;
}

std::optional<std::pair<CopySearchCache::Frame, CopySearchCache::Frame>> HeldScreen::shareable() const {
  if (!next_ || !held_frame_ || !next_frame_ || refresh_count_ > 0) return std::nullopt;
  if (std::find(doubt_.begin(), doubt_.end(), 1) != doubt_.end()) return std::nullopt;
  if (std::find(lossy_.begin(), lossy_.end(), 1) != lossy_.end()) return std::nullopt;
  return std::pair{*held_frame_, *next_frame_};
}

void HeldScreen::adopt_planned() {
  last_copies_.clear();  // what this viewer found itself no longer describes the last step
  if (next_) finish_update();
}

}  // namespace rd
