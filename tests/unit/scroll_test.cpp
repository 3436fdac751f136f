// Scroll detection (codecs/scroll_detect) and the server's model of a viewer's screen
// (server/held_screen): whatever the content, a viewer that applies the copies and then
// the tiles of an update holds exactly the new screen; on scrolled content the copies
// carry most of it.
#include <doctest/doctest.h>

#include <cstring>

#include <random>

#include "codecs/raster.hpp"
#include "codecs/scroll_detect.hpp"
#include "codecs/tile_grid.hpp"
#include "server/held_screen.hpp"
#include "server/session.hpp"

using namespace rd;

namespace {

// Text-like content: every pixel row distinct (like lines of text), with some blank
// lines that repeat, as a terminal has.
Surface text_like(int w, int h, std::uint32_t seed, int blank_every = 0) {
  Surface s(w, h, rgb(20, 20, 20));
  std::mt19937 rng(seed);
  for (int y = 0; y < h; ++y) {
    if (blank_every && (y / 16) % blank_every == 0) continue;  // a blank text line
    for (int x = 0; x < w; ++x)
      if (rng() % 5 == 0) s.row32(y)[x] = rgb(static_cast<std::uint8_t>(rng()), 200, static_cast<std::uint8_t>(rng()));
  }
  return s;
}

// `before` with the rows of `area` moved by dy (content goes up for dy < 0) and the
// exposed rows filled with fresh content.
Surface scrolled(const Surface& before, const Rect& area, int dy, std::uint32_t seed) {
  Surface now = before;
  copy_area(now, {area.x, area.y, area.w, area.h}, area.x, area.y + dy, area);
  Surface fresh = text_like(before.width(), before.height(), seed);
  Rect exposed = dy < 0 ? Rect{area.x, area.bottom() + dy, area.w, -dy} : Rect{area.x, area.y, area.w, dy};
  now.copy_rect_from(fresh, exposed);
  return now;
}

// What a viewer holding `before` ends with after an update from HeldScreen.
struct Applied {
  Surface viewer;
  HeldScreen::Update update;
};

Applied run_update(HeldScreen& held, const Surface& before, const Surface& now, bool detect,
                   std::optional<CopySearchCache::Frame> frame = std::nullopt) {
  TileGrid grid(now);
  std::vector<std::uint64_t> current(static_cast<std::size_t>(grid.count()), 2), sent(current.size(), 2);
  TileGrid old_grid(before);
  for (int t = 0; t < grid.count(); ++t)
    if (grid.hash(t) != old_grid.hash(t)) sent[static_cast<std::size_t>(t)] = 1;  // changed since last sent
  held.take_changed(std::make_shared<const Surface>(now), current, sent, 0, frame);
  Applied a{before, held.plan(detect)};
  for (const CopyRectMsg& c : a.update.copies) copy_area(a.viewer, c.src(), c.dst.x, c.dst.y, a.viewer.bounds());
  for (const RunSnapshot& r : a.update.runs) put_image(a.viewer, r.rect.x, r.rect.y, r.view(), a.viewer.bounds());
  return a;
}

std::int64_t run_pixels(const HeldScreen::Update& u) {
  std::int64_t n = 0;
  for (const RunSnapshot& r : u.runs) n += r.rect.area();
  return n;
}

// A HeldScreen that holds `s` already (as after an earlier update).
void prime(HeldScreen& held, const Surface& s, std::optional<CopySearchCache::Frame> frame = std::nullopt) {
  TileGrid grid(s);
  std::vector<std::uint64_t> current(static_cast<std::size_t>(grid.count()), 1), sent(current.size(), 0);
  held.take_changed(std::make_shared<const Surface>(s), current, sent, 0, frame);
  held.plan(false);
}

}  // namespace

TEST_CASE("scroll detection finds a whole-screen scroll up and down") {
  Surface before = text_like(640, 480, 1);
  for (int dy : {-16, -48, 32}) {
    CAPTURE(dy);
    Surface now = scrolled(before, before.bounds(), dy, 7);
    auto copies = detect_vertical_scroll(before, now, before.bounds());
    REQUIRE(copies.size() == 1);
    CHECK(copies[0].dst.h == 480 - std::abs(dy));
    CHECK(static_cast<int>(copies[0].dst.y) - static_cast<int>(copies[0].src_y) == dy);
  }
}

TEST_CASE("scroll detection: a scrolling window among static content, blank lines included") {
  Surface before = text_like(800, 600, 2, 4);
  Rect window{96, 64, 448, 384};
  Surface now = scrolled(before, window, -32, 9);
  // The box covers whole tiles around the window, as the server's changed tiles do.
  auto copies = detect_vertical_scroll(before, now, window);
  REQUIRE_FALSE(copies.empty());
  std::int64_t area = 0;
  for (const auto& c : copies) {
    CHECK(window.contains(c.dst));
    CHECK(window.contains(c.src()));
    area += c.dst.area();
  }
  CHECK(area >= window.w * (window.h - 32) * 9 / 10);
}

TEST_CASE("scroll detection finds nothing in unrelated content or identical screens") {
  Surface a = text_like(320, 240, 3), b = text_like(320, 240, 4);
  CHECK(detect_vertical_scroll(a, b, a.bounds()).empty());
  CHECK(detect_vertical_scroll(a, a, a.bounds()).empty());
  Surface flat(320, 240, rgb(1, 2, 3)), flat2(320, 240, rgb(4, 5, 6));
  CHECK(detect_vertical_scroll(flat, flat2, flat.bounds()).empty());
}

TEST_CASE("held screen: a scroll goes as copies plus the exposed strip, and the viewer ends exact") {
  Surface before = text_like(1024, 768, 5, 6);
  HeldScreen held(1024, 768);
  prime(held, before);
  Surface now = scrolled(before, before.bounds(), -32, 11);
  Applied a = run_update(held, before, now, true);
  CHECK(a.viewer == now);
  CHECK(a.update.copies.size() >= 1);
  // Only the tile row(s) holding the 32 new rows go as pixels.
  CHECK(run_pixels(a.update) <= 1024 * 64);
  CHECK(held.held() == now);

  // Without detection every changed tile goes.
  HeldScreen plain(1024, 768);
  prime(plain, before);
  Applied b = run_update(plain, before, now, false);
  CHECK(b.viewer == now);
  CHECK(b.update.copies.empty());
  CHECK(run_pixels(b.update) >= 1024 * 700);
}

TEST_CASE("held screen: two windows scrolling apart, and a change far from both, are searched group by group") {
  Surface before = text_like(1280, 800, 9, 6);
  HeldScreen held(1280, 800);
  prime(held, before);
  Surface now = scrolled(before, {0, 0, 448, 384}, -16, 3);
  now = scrolled(now, {768, 320, 512, 448}, 24, 4);
  fill_rect(now, {1200, 20, 40, 10}, rgb(200, 10, 10), now.bounds());  // a clock ticking
  Applied a = run_update(held, before, now, true);
  CHECK(a.viewer == now);
  CHECK(held.held() == now);
  // Both scrolls were found, each in its own group of tiles.
  bool left = false, right = false;
  for (const CopyRectMsg& c : a.update.copies) {
    left |= c.dst.x < 448 && c.src_y == c.dst.y + 16;
    right |= c.dst.x >= 768 && c.src_y + 24 == c.dst.y;
  }
  CHECK(left);
  CHECK(right);
}

// A desktop: a plain background with a window (a frame and text inside) at `at`.
Surface desktop_with_window(int w, int h, const Rect& at, std::uint32_t seed) {
  Surface s(w, h, rgb(40, 90, 140));
  Surface win = text_like(at.w, at.h, seed);
  fill_rect(win, {0, 0, at.w, 20}, rgb(30, 60, 200), win.bounds());  // title bar
  for (int y = 0; y < at.h; ++y)
    for (int x = 0; x < at.w; ++x)
      if (Rect{0, 0, w, h}.contains(Rect{at.x + x, at.y + y, 1, 1})) s.row32(at.y + y)[at.x + x] = win.row32(y)[x];
  return s;
}

TEST_CASE("move detection: a window dragged by a few pixels both ways goes as one copy") {
  for (auto [dx, dy] : {std::pair{3, 1}, {-7, 5}, {12, -9}, {1, 0}}) {
    CAPTURE(dx);
    CAPTURE(dy);
    Rect at{200, 150, 420, 300};
    Surface before = desktop_with_window(1024, 768, at, 5);
    Surface now = desktop_with_window(1024, 768, {at.x + dx, at.y + dy, at.w, at.h}, 5);
    Rect box = Rect{at.x, at.y, at.w, at.h}.united({at.x + dx, at.y + dy, at.w, at.h});
    auto m = detect_move(before, now, box);
    REQUIRE(m);
    CHECK(static_cast<int>(m->dst.x) - m->src_x == dx);
    CHECK(static_cast<int>(m->dst.y) - m->src_y == dy);
    CHECK(m->dst.area() > at.area() * 3 / 4);  // most of the window
    // The copy is exact: what it writes equals the new screen.
    Surface applied = before;
    copy_area(applied, m->src(), m->dst.x, m->dst.y, applied.bounds());
    for (int y = m->dst.y; y < m->dst.bottom(); ++y)
      CHECK(std::memcmp(applied.row32(y) + m->dst.x, now.row32(y) + m->dst.x, static_cast<std::size_t>(m->dst.w) * 4) == 0);

    // Through the held screen: a copy plus the exposed strips, and the viewer ends exact.
    HeldScreen held(1024, 768);
    prime(held, before);
    Applied a = run_update(held, before, now, true);
    CHECK(a.viewer == now);
    CHECK(a.update.copies.size() == 1);
    CHECK(run_pixels(a.update) < at.area() / 2);
  }
  // Nothing moved, or content unrelated: no copy.
  Surface a = desktop_with_window(800, 600, {100, 100, 300, 200}, 1), b = desktop_with_window(800, 600, {100, 100, 300, 200}, 2);
  CHECK_FALSE(detect_move(a, b, {100, 100, 300, 200}));
  CHECK_FALSE(detect_move(a, a, a.bounds()));
}

TEST_CASE("held screen: motion that goes on is found by repeating the last copy, and a new motion still by searching") {
  // A window dragged 3 right and 1 down per frame, and a terminal scrolling 16 rows.
  const int w = 1024, h = 768;
  Surface term = text_like(300, 2000, 9);
  auto frame = [&](int k, bool second_window) {
    Surface s = desktop_with_window(w, h, {100 + 3 * k, 100 + k, 420, 300}, 5);
    put_image(s, 700, 480, term.view({0, 16 * k, 300, 256}), s.bounds());
    if (second_window) {  // next to the first (touching tiles: one group), still until frame 10, then 2 left and 1 down a frame
      Surface win = desktop_with_window(200, 150, {0, 0, 200, 150}, 77);
      const int j = std::max(0, k - 10);
      put_image(s, 640 - 2 * j, 150 + j, win.view({0, 0, 200, 150}), s.bounds());
    }
    return s;
  };
  for (bool second_window : {false, true}) {
    CAPTURE(second_window);
    HeldScreen held(w, h);
    Surface before = frame(0, second_window);
    prime(held, before);
    int predicted_updates = 0, searched_after_new_motion = 0;
    for (int k = 1; k <= 24; ++k) {
      CAPTURE(k);
      Surface now = frame(k, second_window);
      Applied a = run_update(held, before, now, true);
      REQUIRE(a.viewer == now);
      CHECK(held.held() == now);
      if (k >= 2) {
        CHECK(a.update.predicted_copies >= 2);  // the window's move and the terminal's scroll
        ++predicted_updates;
      }
      // Most of the window and the terminal come by copies, every frame.
      CHECK(run_pixels(a.update) < (420 * 300 + 300 * 256) / 4);
      // The second window starts moving at frame 11: its tiles are touched by no repeated
      // copy, so its group is searched and its move found (a copy shifting 2 left).
      if (second_window && k >= 11)
        for (const CopyRectMsg& c : a.update.copies)
          if (static_cast<int>(c.dst.x) - c.src_x == -2) ++searched_after_new_motion;
      before = std::move(now);
    }
    CHECK(predicted_updates == 23);
    if (second_window) CHECK(searched_after_new_motion == 14);
  }
}

TEST_CASE("held screen: a window dragged under another one is still repeated as one copy") {
  // The window slides 3 right and 1 down a frame under windows that stay on top: its right
  // edge goes under one from frame 13, its bottom edge under another from frame 27. The
  // repeated copy gives up the columns and rows that went under and keeps bringing the rest.
  const int w = 1024, h = 768;
  // A wallpaper of 8-pixel bands (as the desktop app's): no copy over it holds a shift.
  const Rect right_cover{560, 0, 300, h}, bottom_cover{0, 430, 560, h - 430};
  Surface window = desktop_with_window(420, 300, {0, 0, 420, 300}, 5);
  auto frame = [&](int k) {
    Surface s(w, h);
    for (int y = 0; y < h; y += 8) fill_rect(s, {0, y, w, 8}, rgb(30, static_cast<std::uint8_t>(y / 4), 110), s.bounds());
    put_image(s, 100 + 3 * k, 100 + k, window.view(window.bounds()), s.bounds());
    for (const Rect& r : {right_cover, bottom_cover}) {
      Surface cover = text_like(r.w, r.h, 99);
      put_image(s, r.x, r.y, cover.view(cover.bounds()), s.bounds());
    }
    return s;
  };
  HeldScreen held(w, h);
  Surface before = frame(0);
  prime(held, before);
  int repeated = 0;
  for (int k = 1; k <= 30; ++k) {
    CAPTURE(k);
    Surface now = frame(k);
    Applied a = run_update(held, before, now, true);
    REQUIRE(a.viewer == now);
    // The search takes a few frames to find the window's body (its first anchors lie on
    // the wallpaper); from then on repeating the copy is enough.
    if (k >= 4) {
      CHECK(a.update.searched_groups == 0);
      repeated += a.update.predicted_copies >= 1 ? 1 : 0;
      CHECK(run_pixels(a.update) < 420 * 300 * 2 / 3);  // not the whole window
    }
    before = std::move(now);
  }
  CHECK(repeated == 27);
}

TEST_CASE("held screen: a terminal that keeps scrolling is not searched again for its new lines") {
  // Output scrolls the whole screen up by two 17-pixel lines a frame, new lines appear at
  // the bottom: the repeated scroll explains every changed tile, the new lines included.
  const int w = 640, h = 480;
  Surface text = text_like(w, h + 34 * 30, 21);
  auto frame = [&](int k) {
    Surface s(w, h);
    put_image(s, 0, 0, text.view({0, 34 * k, w, h}), s.bounds());
    return s;
  };
  HeldScreen held(w, h);
  Surface before = frame(0);
  prime(held, before);
  for (int k = 1; k <= 24; ++k) {
    CAPTURE(k);
    Surface now = frame(k);
    Applied a = run_update(held, before, now, true);
    REQUIRE(a.viewer == now);
    if (k >= 2) {
      CHECK(a.update.predicted_copies >= 1);
      CHECK(a.update.searched_groups == 0);
      CHECK(run_pixels(a.update) <= w * (34 + 64));  // the new lines, at most a tile row more
    }
    before = std::move(now);
  }
}

TEST_CASE("held screen: random scrolls with changes mixed in always end exact") {
  std::mt19937 rng(42);
  for (int round = 0; round < 40; ++round) {
    CAPTURE(round);
    int w = 200 + static_cast<int>(rng() % 600), h = 200 + static_cast<int>(rng() % 400);
    Surface before = text_like(w, h, rng(), static_cast<int>(rng() % 4));
    HeldScreen held(w, h);
    prime(held, before);
    Rect area{static_cast<int>(rng() % (w / 2)), static_cast<int>(rng() % (h / 2)), 0, 0};
    area.w = 1 + static_cast<int>(rng() % static_cast<unsigned>(w - area.x));
    area.h = 40 + static_cast<int>(rng() % static_cast<unsigned>(std::max(1, h - area.y - 40)));
    area = area.intersect(before.bounds());
    int dy = static_cast<int>(rng() % 31) - 15;
    if (dy == 0 || std::abs(dy) >= area.h) dy = area.h > 2 ? -1 : 0;
    Surface now = dy ? scrolled(before, area, dy, rng()) : before;
    // Scribbles over the new screen, inside and outside the scrolled area.
    for (int k = 0, n = static_cast<int>(rng() % 6); k < n; ++k) {
      Rect r{static_cast<int>(rng() % static_cast<unsigned>(w)), static_cast<int>(rng() % static_cast<unsigned>(h)), 1 + static_cast<int>(rng() % 80), 1 + static_cast<int>(rng() % 30)};
      fill_rect(now, r, rgb(static_cast<std::uint8_t>(rng()), 0, 0), now.bounds());
    }
    Applied a = run_update(held, before, now, true);
    CHECK(a.viewer == now);
    CHECK(held.held() == now);
  }
}

TEST_CASE("held screen: tiles the viewer asked to refresh are sent, and are no source for copies") {
  Surface before = text_like(512, 512, 6);
  HeldScreen held(512, 512);
  prime(held, before);
  held.doubt({0, 0, 64, 64});
  Applied a = run_update(held, before, before, true);
  REQUIRE(a.update.runs.size() == 1);
  CHECK(a.update.runs[0].rect == Rect{0, 0, 64, 64});

  // A scroll whose source rows lie in doubt: the copied rows are sent again as tiles.
  held.doubt({0, 64, 512, 64});
  Surface now = scrolled(before, before.bounds(), -64, 12);
  Applied b = run_update(held, before, now, true);
  CHECK(b.viewer == now);
  bool row0_sent = false;
  for (const RunSnapshot& r : b.update.runs) row0_sent |= r.rect.y == 0;
  CHECK(row0_sent);
}

TEST_CASE("held screen: lossy tiles are refreshed exactly once idle, and copies carry lossiness along") {
  Surface before = text_like(512, 256, 8);
  HeldScreen held(512, 256);
  prime(held, before);
  held.record_sent({0, 0, 128, 64}, true);  // two tiles went as JPEG at t = 0
  CHECK(held.lossy_tiles() == 2);
  std::uint64_t next_due = 0;
  CHECK(held.schedule_refresh(100'000, 400'000, &next_due) == 0);
  CHECK(next_due == 400'000);
  CHECK(held.schedule_refresh(400'000, 400'000, &next_due) == 2);
  CHECK(held.refresh_pending());
  HeldScreen::Update u = held.plan(true, 400'000);
  REQUIRE(u.runs.size() == 1);
  CHECK(u.runs[0].rect == Rect{0, 0, 128, 64});
  CHECK(u.runs[0].lossless);
  held.record_sent(u.runs[0].rect, false);
  CHECK(held.lossy_tiles() == 0);
  CHECK_FALSE(held.refresh_pending());

  // Lossy rows scrolled up by a tile row: where they land is lossy now.
  held.record_sent({0, 64, 512, 64}, true);
  Surface now = scrolled(before, before.bounds(), -64, 13);
  Applied a = run_update(held, before, now, true);
  CHECK(a.viewer == now);
  REQUIRE_FALSE(a.update.copies.empty());
  // The new bottom row went as tiles (recorded exact here); the copied row 0 is lossy.
  for (const RunSnapshot& r : a.update.runs) held.record_sent(r.rect, false);
  CHECK(held.lossy_tiles() >= 8);
  CHECK(held.schedule_refresh(2'000'000'000, 400'000, &next_due) == held.lossy_tiles());
  HeldScreen::Update r = held.plan(true, 2'000'000'000);
  for (const RunSnapshot& run : r.runs) CHECK(run.lossless);
}

TEST_CASE("held screen: viewers going between the same frames share one copy search and get the same update") {
  const int w = 640, h = 480;
  Surface f0 = text_like(w, h, 1, 3);
  Surface f1 = scrolled(f0, {0, 64, w, 320}, -32, 2);  // a window's text scrolls
  Surface f2 = scrolled(f1, {0, 0, w, h}, 48, 3);      // then the whole screen
  auto shared = std::make_shared<CopySearchCache>();
  const CopySearchCache::Frame k0{1, 10}, k1{1, 11}, k2{1, 12};
  HeldScreen a(w, h, shared), b(w, h, shared), late(w, h, shared), alone(w, h);
  for (HeldScreen* v : {&a, &b, &late, &alone}) prime(*v, f0, k0);
  CHECK(shared->misses() == 0);  // priming searched nothing: no frame was held before

  Applied a1 = run_update(a, f0, f1, true, k1);  // searches and shares
  CHECK(shared->misses() == 1);
  Applied b1 = run_update(b, f0, f1, true, k1);  // reuses
  CHECK(shared->hits() == 1);
  Applied alone1 = run_update(alone, f0, f1, true, k1);
  REQUIRE_FALSE(a1.update.copies.empty());
  CHECK(b1.update.copies == a1.update.copies);
  CHECK(alone1.update.copies == a1.update.copies);
  CHECK(run_pixels(b1.update) == run_pixels(a1.update));
  CHECK(b1.viewer == f1);

  // The next step is another pair; a viewer that skipped f1 goes f0 -> f2, its own pair.
  Applied a2 = run_update(a, f1, f2, true, k2);
  Applied b2 = run_update(b, f1, f2, true, k2);
  Applied late2 = run_update(late, f0, f2, true, k2);
  CHECK(shared->hits() == 2);
  CHECK(shared->misses() == 3);
  CHECK(b2.update.copies == a2.update.copies);
  CHECK(a2.viewer == f2);
  CHECK(b2.viewer == f2);
  CHECK(late2.viewer == f2);

  // After a reset (a resize) nothing is known about the held screen: it searches itself.
  b.reset(w, h);
  prime(b, f0, CopySearchCache::Frame{2, 20});
  Applied b3 = run_update(b, f0, f1, true, CopySearchCache::Frame{2, 21});
  CHECK(shared->misses() == 4);
  CHECK(b3.viewer == f1);
}

TEST_CASE("session snapshots: shared while the screen is unchanged, never changed while held, reused once free") {
  Session session(320, 200, "t");
  Surface frame(320, 200, rgb(0, 0, 0));
  auto publish = [&](const Rect& r, std::uint32_t colour) {
    fill_rect(frame, r, colour, frame.bounds());
    session.publish(frame, Region(r));
  };
  auto snapshot = [&] {
    auto lk = session.lock();
    return session.snapshot_locked();
  };
  publish({0, 0, 100, 100}, rgb(200, 0, 0));
  auto a = snapshot();
  CHECK(*a == frame);
  CHECK(snapshot() == a);  // the same surface while nothing changed
  const Surface at_a = frame;
  publish({150, 50, 100, 100}, rgb(0, 200, 0));
  auto b = snapshot();
  CHECK(b != a);
  CHECK(*a == at_a);  // held: untouched by the publish
  CHECK(*b == frame);
  // Nobody holds the first any more: the next snapshot is it, brought up to date.
  const Surface* first = a.get();
  a.reset();
  publish({10, 120, 300, 40}, rgb(0, 0, 200));
  auto c = snapshot();
  CHECK(c.get() == first);
  CHECK(*c == frame);
  CHECK(*b != frame);  // b still shows the screen it was taken at
  session.resize(128, 64);
  Surface black(128, 64);
  CHECK(*snapshot() == black);
}
