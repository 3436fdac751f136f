// Whole pixel updates shared between viewers in the same state (server/shared_updates,
// HeldScreen::shareable): one viewer makes the update, the others in the same state
// take it, and every one of them ends holding the new screen exactly; viewers whose
// update depends on more than the two frames make their own.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>

#include "codecs/raster.hpp"
#include "codecs/tile_codec.hpp"
#include "codecs/tile_grid.hpp"
#include "common/worker_pool.hpp"
#include "server/held_screen.hpp"
#include "server/shared_updates.hpp"
#include "server/update_jobs.hpp"

using namespace rd;
using namespace std::chrono_literals;

namespace {

using Frame = CopySearchCache::Frame;

SharedUpdates::Key key(std::uint64_t from, std::uint64_t to) { return {Frame{1, from}, Frame{1, to}, 7}; }

std::shared_ptr<const SharedUpdate> an_update(int copies) {
  auto u = std::make_shared<SharedUpdate>();
  u->copies.resize(static_cast<std::size_t>(copies));
  u->rects = std::make_shared<const std::vector<std::vector<EncodedRect>>>();
  return u;
}

// Text-like rows, as a terminal shows.
Surface text_like(int w, int h, std::uint32_t seed) {
  Surface s(w, h, rgb(20, 20, 20));
  std::mt19937 rng(seed);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      if (rng() % 5 == 0) s.row32(y)[x] = rgb(static_cast<std::uint8_t>(rng()), 200, static_cast<std::uint8_t>(rng()));
  return s;
}

// The tile versions of a screen: a tile's version is the frame it last changed in.
std::vector<std::uint64_t> versions_between(const Surface& before, const Surface& now, std::uint64_t before_v,
                                            std::uint64_t now_v) {
  TileGrid a(before), b(now);
  std::vector<std::uint64_t> v(static_cast<std::size_t>(b.count()), before_v);
  for (int t = 0; t < b.count(); ++t)
    if (a.hash(t) != b.hash(t)) v[static_cast<std::size_t>(t)] = now_v;
  return v;
}

// What a viewer holding `before` shows after applying an encoded update.
Surface apply(const Surface& before, const EncodedUpdate& u) {
  Surface s = before;
  for (const CopyRectMsg& c : u.copies) copy_area(s, c.src(), c.dst.x, c.dst.y, s.bounds());
  for (const auto& group : u.pixel_rects())
    for (const EncodedRect& e : group) decode_tile(e.codec, ByteView(e.payload.data(), e.payload.size()), s.mutable_view(e.rect));
  return s;
}

}  // namespace

TEST_CASE("shared updates: the first viewer makes it, viewers waiting get it when made, later ones take it") {
  SharedUpdates shared;
  std::shared_ptr<const SharedUpdate> ready;
  CHECK(shared.claim(key(1, 2), ready, nullptr) == SharedUpdates::Claim::Maker);
  std::shared_ptr<const SharedUpdate> got_a, got_b;
  int calls = 0;
  CHECK(shared.claim(key(1, 2), ready, [&](auto u) { got_a = u, ++calls; }) == SharedUpdates::Claim::Waiting);
  CHECK(shared.claim(key(1, 2), ready, [&](auto u) { got_b = u, ++calls; }) == SharedUpdates::Claim::Waiting);
  // Another pair of frames, or the same frames for other codecs, is another update.
  CHECK(shared.claim(key(0, 2), ready, nullptr) == SharedUpdates::Claim::Maker);
  SharedUpdates::Key other_codecs = key(1, 2);
  other_codecs.codecs = 8;
  CHECK(shared.claim(other_codecs, ready, nullptr) == SharedUpdates::Claim::Maker);
  CHECK(calls == 0);

  auto made = an_update(3);
  shared.fulfil(key(1, 2), made);
  CHECK(calls == 2);
  CHECK(got_a == made);
  CHECK(got_b == made);
  CHECK(shared.claim(key(1, 2), ready, nullptr) == SharedUpdates::Claim::Ready);
  CHECK(ready == made);
  CHECK(shared.made() == 1);
  CHECK(shared.reused() == 3);
}

TEST_CASE("shared updates: when the maker fails, the waiters are told and the next viewer makes it again") {
  SharedUpdates shared;
  std::shared_ptr<const SharedUpdate> ready;
  REQUIRE(shared.claim(key(4, 5), ready, nullptr) == SharedUpdates::Claim::Maker);
  bool told = false;
  std::shared_ptr<const SharedUpdate> got = an_update(1);
  REQUIRE(shared.claim(key(4, 5), ready, [&](auto u) { told = true, got = u; }) == SharedUpdates::Claim::Waiting);
  shared.fulfil(key(4, 5), nullptr);
  CHECK(told);
  CHECK(got == nullptr);
  CHECK(shared.claim(key(4, 5), ready, nullptr) == SharedUpdates::Claim::Maker);
}

TEST_CASE("shared updates: old finished updates are forgotten, one still being made is not") {
  SharedUpdates shared;
  std::shared_ptr<const SharedUpdate> ready;
  REQUIRE(shared.claim(key(0, 1), ready, nullptr) == SharedUpdates::Claim::Maker);  // never fulfilled here
  for (std::uint64_t f = 1; f <= 20; ++f) {
    REQUIRE(shared.claim(key(f, f + 1), ready, nullptr) == SharedUpdates::Claim::Maker);
    shared.fulfil(key(f, f + 1), an_update(0));
  }
  CHECK(shared.claim(key(1, 2), ready, nullptr) == SharedUpdates::Claim::Maker);   // forgotten
  CHECK(shared.claim(key(20, 21), ready, nullptr) == SharedUpdates::Claim::Ready);  // recent
  bool told = false;
  CHECK(shared.claim(key(0, 1), ready, [&](auto) { told = true; }) == SharedUpdates::Claim::Waiting);
  shared.fulfil(key(0, 1), an_update(0));
  CHECK(told);
}

TEST_CASE("shared updates: a crowd of held screens in step gets one update made once, and every viewer ends exact") {
  const Surface before = text_like(640, 480, 1);
  Surface now = before;
  copy_area(now, {0, 32, 640, 448}, 0, 0, now.bounds());  // a scroll up by 32 rows
  Surface fresh = text_like(640, 480, 2);
  now.copy_rect_from(fresh, {0, 448, 640, 32});
  fill_rect(now, {600, 8, 30, 10}, rgb(200, 10, 10), now.bounds());  // and a clock
  auto before_s = std::make_shared<const Surface>(before);
  auto now_s = std::make_shared<const Surface>(now);
  const Frame f1{1, 10}, f2{1, 11};

  auto shared = std::make_shared<SharedUpdates>();
  auto copy_search = std::make_shared<CopySearchCache>();
  const int kViewers = 6;
  std::vector<std::shared_ptr<HeldScreen>> held;
  std::vector<std::uint64_t> v1 = versions_between(before, before, 10, 10);
  for (int i = 0; i < kViewers; ++i) {
    held.push_back(std::make_shared<HeldScreen>(640, 480, copy_search));
    // Every viewer holds frame 10 exactly, as after an earlier update.
    std::vector<std::uint64_t> sent(v1.size(), 0);
    held.back()->take_changed(before_s, v1, sent, 0, f1);
    held.back()->plan(false);
  }
  // The last viewer asked for a refresh of part of its screen: not in the same state.
  held.back()->doubt({0, 0, 64, 64});
  CHECK_FALSE(held.back()->shareable());

  std::vector<std::uint64_t> v2 = versions_between(before, now, 10, 11);
  for (auto& h : held) {
    std::vector<std::uint64_t> sent = v1;
    h->take_changed(now_s, v2, sent, 0, f2);
  }
  REQUIRE(held.front()->shareable());

  WorkerPool pool(2);
  CodecPolicy policy;
  policy.decodable = kAllCodecs;
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::shared_ptr<EncodedUpdate>> out(kViewers);
  int finished = 0;
  for (int i = 0; i < kViewers; ++i)
    encode_held_pixels_async(pool, held[static_cast<std::size_t>(i)], true, policy, EncodeParams{},
                             [&, i](std::shared_ptr<EncodedUpdate> u) {
                               std::lock_guard lk(mu);
                               out[static_cast<std::size_t>(i)] = std::move(u);
                               ++finished;
                               cv.notify_all();
                             },
                             false, shared);
  {
    std::unique_lock lk(mu);
    REQUIRE(cv.wait_for(lk, 20s, [&] { return finished == kViewers; }));
  }
  // One update made for the five in step, one for the viewer in doubt (not shared).
  CHECK(shared->made() == 1);
  CHECK(shared->reused() == kViewers - 2);
  int taken = 0;
  for (int i = 0; i < kViewers; ++i) {
    CAPTURE(i);
    const EncodedUpdate& u = *out[static_cast<std::size_t>(i)];
    REQUIRE(u.error.empty());
    taken += u.shared ? 1 : 0;
    CHECK(apply(before, u) == now);
    CHECK(held[static_cast<std::size_t>(i)]->held() == now);
    if (i < kViewers - 1) {
      CHECK_FALSE(u.copies.empty());  // the scroll went as a copy, for the taker too
      CHECK(u.pixel_rects().data() == out[0]->pixel_rects().data());  // the same bytes, not a copy
    }
  }
  CHECK(taken == kViewers - 2);
  // Afterwards they hold the session's snapshot itself: no screen of their own.
  CHECK(&held.front()->held() == now_s.get());
}
