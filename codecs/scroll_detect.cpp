#include "codecs/scroll_detect.hpp"

#include <xxhash.h>

#include <algorithm>
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

}  // namespace rd
