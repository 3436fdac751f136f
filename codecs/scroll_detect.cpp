#include "codecs/scroll_detect.hpp"

#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <unordered_map>

namespace rd {

namespace {

constexpr int kMaxShifts = 3;

std::vector<std::uint64_t> row_hashes(const Surface& s, const Rect& box) {
  std::vector<std::uint64_t> h(static_cast<std::size_t>(box.h));
  for (int i = 0; i < box.h; ++i) h[static_cast<std::size_t>(i)] = XXH3_64bits(s.row32(box.y + i) + box.x, static_cast<std::size_t>(box.w) * 4);
  return h;
}

// Cheaper row keys for a first look: three 32-pixel pieces of each row (left, middle,
// right of the box). A row that moved whole moved these too, so when no shift gets
// enough votes on them, none would on whole rows: full-motion video costs this pass only.
std::vector<std::uint64_t> sample_hashes(const Surface& s, const Rect& box) {
  const int seg = 32;
  std::vector<std::uint64_t> h(static_cast<std::size_t>(box.h));
  const int xs[3] = {box.x, box.x + box.w / 2 - seg / 2, box.right() - seg};
  for (int i = 0; i < box.h; ++i) {
    const std::uint32_t* row = s.row32(box.y + i);
    std::uint64_t v = 0;
    for (int x : xs) v = XXH3_64bits_withSeed(row + x, seg * 4, v);
    h[static_cast<std::size_t>(i)] = v;
  }
  return h;
}

// The shift most rows that changed in place agree on, counting only contents that occur
// once in `old_h`; 0 when none has `min_votes`.
int best_shift(const std::vector<std::uint64_t>& old_h, const std::vector<std::uint64_t>& new_h, int min_votes) {
  const int n = static_cast<int>(old_h.size());
  std::unordered_map<std::uint64_t, int> where;
  where.reserve(static_cast<std::size_t>(n) * 2);
  for (int i = 0; i < n; ++i) {
    auto [it, fresh] = where.emplace(old_h[static_cast<std::size_t>(i)], i);
    if (!fresh) it->second = -1;
  }
  std::unordered_map<int, int> votes;
  for (int i = 0; i < n; ++i) {
    if (old_h[static_cast<std::size_t>(i)] == new_h[static_cast<std::size_t>(i)]) continue;
    auto it = where.find(new_h[static_cast<std::size_t>(i)]);
    if (it != where.end() && it->second >= 0) ++votes[i - it->second];
  }
  int best = 0, best_votes = 0;
  for (auto [dy, v] : votes)
    if (v > best_votes || (v == best_votes && std::abs(dy) < std::abs(best))) best = dy, best_votes = v;
  return best_votes >= min_votes ? best : 0;
}

}  // namespace

std::vector<CopyRectMsg> detect_vertical_scroll(const Surface& before, const Surface& now, const Rect& box_in, int min_rows) {
  std::vector<CopyRectMsg> out;
  Rect box = box_in.intersect(before.bounds()).intersect(now.bounds());
  if (box.h < 2 * min_rows || box.w <= 0) return out;
  if (box.w > 96 && best_shift(sample_hashes(before, box), sample_hashes(now, box), min_rows) == 0) return out;
  const std::vector<std::uint64_t> old_h = row_hashes(before, box), new_h = row_hashes(now, box);
  const int n = box.h;

  // Old rows by content; -1 where a content occurs more than once (blank lines): such
  // rows would vote for every shift at once.
  std::unordered_map<std::uint64_t, int> where;
  where.reserve(static_cast<std::size_t>(n) * 2);
  for (int i = 0; i < n; ++i) {
    auto [it, fresh] = where.emplace(old_h[static_cast<std::size_t>(i)], i);
    if (!fresh) it->second = -1;
  }

  // The state of the viewer's rows as copies are applied: which content each row holds.
  std::vector<std::uint64_t> held = old_h;
  std::vector<char> settled(static_cast<std::size_t>(n), 0);  // already equal to `now`
  for (int i = 0; i < n; ++i) settled[static_cast<std::size_t>(i)] = held[static_cast<std::size_t>(i)] == new_h[static_cast<std::size_t>(i)];

  std::vector<int> tried;
  for (int pass = 0; pass < kMaxShifts; ++pass) {
    std::unordered_map<int, int> votes;
    for (int i = 0; i < n; ++i) {
      if (settled[static_cast<std::size_t>(i)]) continue;
      auto it = where.find(new_h[static_cast<std::size_t>(i)]);
      if (it == where.end() || it->second < 0) continue;
      int dy = i - it->second;
      if (dy != 0 && std::find(tried.begin(), tried.end(), dy) == tried.end()) ++votes[dy];
    }
    int best = 0, best_votes = 0;
    for (auto [dy, v] : votes)
      if (v > best_votes || (v == best_votes && std::abs(dy) < std::abs(best))) best = dy, best_votes = v;
    if (best_votes < min_rows) break;
    tried.push_back(best);

    // Runs of rows whose new content is the old content `best` rows away, read from
    // rows the viewer still holds unchanged. Rows that already show their content (blank
    // lines between moved text) may extend a run: the copy rewrites what is there.
    auto source_intact = [&](int src) { return held[static_cast<std::size_t>(src)] == old_h[static_cast<std::size_t>(src)]; };
    auto match = [&](int r) {
      int src = r - best;
      return src >= 0 && src < n && source_intact(src) && new_h[static_cast<std::size_t>(r)] == old_h[static_cast<std::size_t>(src)];
    };
    std::vector<std::pair<int, int>> runs;  // [start, end) in box rows
    for (int i = 0; i < n;) {
      if (!match(i)) {
        ++i;
        continue;
      }
      int start = i, useful = 0;
      for (; i < n && match(i); ++i) useful += settled[static_cast<std::size_t>(i)] ? 0 : 1;
      if (i - start >= min_rows && useful > 0) runs.emplace_back(start, i);
    }
    for (auto [d0, d1] : runs) {
      // An earlier copy may have overwritten this one's source rows: then it is dropped
      // and its rows go as tiles.
      bool intact = true;
      for (int r = d0; r < d1 && intact; ++r) intact = source_intact(r - best);
      if (!intact) continue;
      std::vector<std::uint64_t> moved(held.begin() + (d0 - best), held.begin() + (d1 - best));
      std::copy(moved.begin(), moved.end(), held.begin() + d0);
      for (int r = d0; r < d1; ++r) settled[static_cast<std::size_t>(r)] = 1;
      out.push_back({{box.x, box.y + d0, box.w, d1 - d0}, static_cast<std::uint16_t>(box.x), static_cast<std::uint16_t>(box.y + d0 - best)});
    }
  }
  return out;
}

std::optional<CopyRectMsg> detect_move(const Surface& before, const Surface& now, const Rect& box_in, int range, int min_area) {
  constexpr int kPiece = 16, kMaxAnchors = 48;
  const Rect screen = before.bounds().intersect(now.bounds());
  const Rect box = box_in.intersect(screen);
  if (box.w < 2 * kPiece || box.h < 8) return std::nullopt;
  auto piece_eq = [&](int x, int y, int dx, int dy, int len) {
    int sx = x - dx, sy = y - dy;
    if (sx < 0 || sy < 0 || sx + len > screen.w || sy >= screen.h) return false;
    return std::memcmp(now.row32(y) + x, before.row32(sy) + sx, static_cast<std::size_t>(len) * 4) == 0;
  };
  // Anchors: pieces of `now` that changed in place and are not one colour.
  struct Anchor {
    int x, y;
  };
  std::vector<Anchor> anchors;
  for (int y = box.y + 3; y < box.bottom() && static_cast<int>(anchors.size()) < kMaxAnchors; y += 7)
    for (int x = box.x + 5; x + kPiece <= box.right() && static_cast<int>(anchors.size()) < kMaxAnchors; x += 3 * kPiece) {
      const std::uint32_t* p = now.row32(y) + x;
      if (std::all_of(p, p + kPiece, [&](std::uint32_t c) { return c == p[0]; })) continue;
      if (piece_eq(x, y, 0, 0, kPiece)) continue;
      anchors.push_back({x, y});
    }
  if (anchors.size() < 4) return std::nullopt;
  // Votes per shift.
  int best_dx = 0, best_dy = 0, best_votes = 0;
  for (int dy = -range; dy <= range; ++dy)
    for (int dx = -range; dx <= range; ++dx) {
      if (dx == 0) continue;  // vertical shifts are the scroll detector's
      int votes = 0;
      for (const Anchor& a : anchors) votes += piece_eq(a.x, a.y, dx, dy, kPiece) ? 1 : 0;
      if (votes > best_votes) best_dx = dx, best_dy = dy, best_votes = votes;
    }
  if (best_votes < std::max(4, static_cast<int>(anchors.size()) / 6)) return std::nullopt;
  const int dx = best_dx, dy = best_dy;
  // Where the source would leave the screen, nothing can be copied.
  const Rect allowed = box.intersect(Rect{dx, dy, screen.w, screen.h}).intersect(screen);
  auto row_ok = [&](int y, int x0, int x1) { return piece_eq(x0, y, dx, dy, x1 - x0); };
  auto col_ok = [&](int x, int y0, int y1) {
    for (int y = y0; y < y1; ++y)
      if (now.row32(y)[x] != before.row32(y - dy)[x - dx]) return false;
    return true;
  };
  std::optional<CopyRectMsg> best;
  int tried = 0;
  for (const Anchor& a : anchors) {
    if (!piece_eq(a.x, a.y, dx, dy, kPiece) || !allowed.contains(Rect{a.x, a.y, kPiece, 1})) continue;
    if (best && best->dst.contains(Rect{a.x, a.y, kPiece, 1})) continue;  // grown from already
    if (++tried > 4) break;
    int x0 = a.x, x1 = a.x + kPiece, y0 = a.y, y1 = a.y + 1;
    for (int round = 0; round < 2; ++round) {
      while (x0 > allowed.x && col_ok(x0 - 1, y0, y1)) --x0;
      while (x1 < allowed.right() && col_ok(x1, y0, y1)) ++x1;
      while (y0 > allowed.y && row_ok(y0 - 1, x0, x1)) --y0;
      while (y1 < allowed.bottom() && row_ok(y1, x0, x1)) ++y1;
    }
    Rect r{x0, y0, x1 - x0, y1 - y0};
    if (r.area() >= min_area && (!best || r.area() > best->dst.area()))
      best = CopyRectMsg{r, static_cast<std::uint16_t>(r.x - dx), static_cast<std::uint16_t>(r.y - dy)};
  }
  return best;
}

std::optional<CopyRectMsg> repeat_copy(const Surface& before, const Surface& now, const Rect& box, const CopyRectMsg& last,
                                       int min_area) {
  const int dx = last.dst.x - last.src_x, dy = last.dst.y - last.src_y;
  if (dx == 0 && dy == 0) return std::nullopt;
  const Rect screen = before.bounds().intersect(now.bounds());
  // Where the source stays on the screen.
  const Rect allowed = box.intersect(screen).intersect(Rect{dx, dy, screen.w, screen.h});
  auto row_ok = [&](int y, int x0, int x1) {
    return std::memcmp(now.row32(y) + x0, before.row32(y - dy) + (x0 - dx), static_cast<std::size_t>(x1 - x0) * 4) == 0;
  };
  // A window dragged under another one loses a few columns or rows at an edge each step:
  // edges that do not hold the shift any more are cut off (columns that miss in more
  // rows than a move may, then rows that miss), so the copy follows what stays visible.
  auto trim_move = [&](Rect d, int max_misses) {
    auto col_misses = [&](int x) {
      int n = 0;
      for (int y = d.y; y < d.bottom() && n <= max_misses; ++y) n += now.row32(y)[x] != before.row32(y - dy)[x - dx] ? 1 : 0;
      return n;
    };
    while (d.w > 0 && col_misses(d.x) > max_misses) ++d.x, --d.w;
    while (d.w > 0 && col_misses(d.right() - 1) > max_misses) --d.w;
    while (d.h > 0 && d.w > 0 && !row_ok(d.y, d.x, d.right())) ++d.y, --d.h;
    while (d.h > 0 && d.w > 0 && !row_ok(d.bottom() - 1, d.x, d.right())) --d.h;
    return d;
  };
  std::optional<CopyRectMsg> best;
  for (const Rect& candidate : {last.dst, last.dst.translated(dx, dy)}) {
    Rect d = candidate.intersect(allowed);
    if (d.area() < min_area || (best && d.area() <= best->dst.area())) continue;
    // A scroll is rigid, and its search finds exact runs: only an exact repeat is taken.
    // A dragged window may animate inside, and the copy still brings the rest of it.
    const int max_misses = dx == 0 ? 0 : d.h / 16;
    if (dx != 0) {
      d = trim_move(d, max_misses);
      if (d.area() < min_area || (best && d.area() <= best->dst.area())) continue;
    }
    int misses = 0;
    bool useful = false;
    for (int y = d.y; y < d.bottom() && misses <= max_misses; ++y) {
      if (!row_ok(y, d.x, d.right())) ++misses;
      else if (!useful) useful = std::memcmp(now.row32(y) + d.x, before.row32(y) + d.x, static_cast<std::size_t>(d.w) * 4) != 0;
    }
    if (misses <= max_misses && useful)
      best = CopyRectMsg{d, static_cast<std::uint16_t>(d.x - dx), static_cast<std::uint16_t>(d.y - dy)};
  }
  // A scroll region grows as a terminal fills up: a vertical shift is extended over the
  // rows above and below that still hold it, as the scroll search would have found them.
  // (A window's move is not: grown over a plain background it would overwrite what other
  // copies read.)
  if (best && dx == 0) {
    int y0 = best->dst.y, y1 = best->dst.bottom();
    const int x0 = best->dst.x, x1 = best->dst.right();
    while (y0 > allowed.y && row_ok(y0 - 1, x0, x1)) --y0;
    while (y1 < allowed.bottom() && row_ok(y1, x0, x1)) ++y1;
    const Rect r{x0, y0, x1 - x0, y1 - y0};
    best = CopyRectMsg{r, static_cast<std::uint16_t>(r.x), static_cast<std::uint16_t>(r.y - dy)};
  }
  return best;
}

}  // namespace rd
