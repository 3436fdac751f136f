// The tile cache: keys, the LRU both ends run, the viewer's store and its file, and the
// server's encoder turning held tiles into references.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "codecs/raster.hpp"
#include "codecs/tile_cache.hpp"
#include "server/update_encoder.hpp"

using namespace rd;

namespace {

Surface pattern(int w, int h, int seed) {
  Surface s(w, h, rgb(200, 200, 210));
  for (int i = 0; i < 6; ++i)
    fill_rect(s, {(seed * 7 + i * 9) % w, (seed * 3 + i * 11) % h, 5, 3}, rgb(static_cast<std::uint8_t>(seed), 40, 90), s.bounds());
  return s;
}

std::string temp_file(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("rdisplay-" + std::to_string(::getpid()) + "-" + name)).string();
}

}  // namespace

TEST_CASE("tile cache keys: same pixels same key, alpha ignored, size counts") {
  Surface a = pattern(64, 64, 1), b = pattern(64, 64, 1), c = pattern(64, 64, 2);
  CHECK(tile_cache_key(a.view()) == tile_cache_key(b.view()));
  CHECK(tile_cache_key(a.view()) != tile_cache_key(c.view()));
  b.row32(5)[5] &= 0x00FFFFFFu;  // alpha is not part of the picture
  CHECK(tile_cache_key(a.view()) == tile_cache_key(b.view()));
  // The same bytes seen as 32x128 are another tile.
  Surface flat(64, 64, rgb(1, 2, 3)), tall(32, 128, rgb(1, 2, 3));
  CHECK(tile_cache_key(flat.view()) != tile_cache_key(tall.view()));
  // A tile inside a wider surface keys the same as on its own.
  Surface wide(192, 64, rgb(9, 9, 9));
  for (int y = 0; y < 64; ++y) std::copy_n(a.row32(y), 64, wide.row32(y) + 64);
  CHECK(tile_cache_key(wide.view({64, 0, 64, 64})) == tile_cache_key(a.view()));
}

TEST_CASE("tile cache store: LRU under its budget, as the model the server mirrors") {
  TileCacheStore store(3 * tile_cache_cost(64, 64));
  TileCacheModel mirror(3 * tile_cache_cost(64, 64));
  std::vector<Surface> t;
  for (int i = 0; i < 5; ++i) t.push_back(pattern(64, 64, i + 1));
  auto both_insert = [&](int i) {
    store.insert(t[static_cast<std::size_t>(i)].view());
    mirror.insert(tile_cache_key(t[static_cast<std::size_t>(i)].view()), tile_cache_cost(64, 64));
  };
  both_insert(0);
  both_insert(1);
  both_insert(2);
  REQUIRE(store.use(tile_cache_key(t[0].view())));  // 0 is now the most recent
  mirror.touch(tile_cache_key(t[0].view()));
  both_insert(3);  // evicts 1, the least recently used
  CHECK(store.use(tile_cache_key(t[1].view())) == nullptr);
  CHECK_FALSE(mirror.contains(tile_cache_key(t[1].view())));
  const Surface* got = store.use(tile_cache_key(t[2].view()));
  REQUIRE(got);
  CHECK(got->hash() == t[2].hash());
  mirror.touch(tile_cache_key(t[2].view()));
  CHECK(tile_cache_digest(store.model()) == tile_cache_digest(mirror));
  CHECK(store.model().used_bytes() <= 3 * tile_cache_cost(64, 64));
  CHECK(tile_cache_bytes(0) == 0);
  CHECK(tile_cache_bytes(1) == 1u << 20);
  CHECK(tile_cache_bytes(64 * 1024) == 64u << 20);
  CHECK(tile_cache_bytes(1u << 30) == 256u << 20);
}

TEST_CASE("tile cache file: saved and loaded in LRU order, damage is dropped or refused") {
  std::string path = temp_file("tiles.bin");
  TileCacheStore a(tile_cache_bytes(1024));
  for (int i = 0; i < 4; ++i) a.insert(pattern(64, 64, i + 1).view());
  a.insert(pattern(16, 40, 9).view());  // an edge tile
  a.use(tile_cache_key(pattern(64, 64, 2).view()));
  a.save(path);
  TileCacheStore b(tile_cache_bytes(1024));
  b.load(path);
  CHECK(b.model().size() == 5);
  CHECK(tile_cache_digest(b.model()) == tile_cache_digest(a.model()));
  REQUIRE(b.use(tile_cache_key(pattern(16, 40, 9).view())));
  CHECK(b.use(tile_cache_key(pattern(16, 40, 9).view()))->hash() == pattern(16, 40, 9).hash());

  // A smaller budget keeps the most recent tiles.
  TileCacheStore small(2 * tile_cache_cost(64, 64));
  small.load(path);
  CHECK(small.model().size() == 2);

  // A flipped pixel byte: that tile no longer matches its key and is dropped.
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(8 + 4 + 12 + 100);
    f.put('\x5a');
  }
  TileCacheStore c(tile_cache_bytes(1024));
  c.load(path);
  CHECK(c.model().size() == 4);

  // Cut short, or not a cache file at all: refused with a reason.
  std::filesystem::resize_file(path, 8 + 4 + 12 + 50);
  TileCacheStore d(tile_cache_bytes(1024));
  CHECK_THROWS_AS(d.load(path), std::runtime_error);
  std::ofstream(path, std::ios::trunc) << "hello";
  CHECK_THROWS_AS(d.load(path), std::runtime_error);
  std::filesystem::remove(path);
  TileCacheStore e(tile_cache_bytes(1024));
  e.load(path);  // no file yet: an empty cache
  CHECK(e.model().size() == 0);
}

TEST_CASE("encoder with a tile cache: held tiles become references, exact tiles are stored") {
  // A run of three tiles: a pattern the viewer holds, a solid tile, another pattern.
  Surface screen(192, 64, rgb(0, 0, 0));
  Surface held = pattern(64, 64, 3), fresh = pattern(64, 64, 4);
  for (int y = 0; y < 64; ++y) {
    std::copy_n(held.row32(y), 64, screen.row32(y));
    std::copy_n(fresh.row32(y), 64, screen.row32(y) + 128);
  }
  RunSnapshot run;
  run.rect = {0, 64, 192, 64};
  run.ext = screen.view();
  auto mirror = std::make_shared<TileCacheModel>(tile_cache_bytes(1024));
  mirror->insert(tile_cache_key(held.view()), tile_cache_cost(64, 64));
  CodecPolicy policy{kAllCodecs, false, std::nullopt};
  policy.tile_cache = mirror;
  auto out = encode_run(run, policy, EncodeParams{});
  REQUIRE(out.size() == 3);
  CHECK(out[0].cache_ref);
  CHECK(out[0].cache_key == tile_cache_key(held.view()));
  CHECK(out[0].rect == Rect{0, 64, 64, 64});
  CHECK(out[0].payload.empty());
  CHECK(out[1].codec == TileCodec::Solid);
  CHECK(out[1].store_keys.empty());  // four bytes: cheaper than a reference
  CHECK_FALSE(out[2].cache_ref);
  CHECK(out[2].store_keys == std::vector<std::uint64_t>{tile_cache_key(fresh.view())});

  // JPEG tiles are not what the viewer would hold exactly: never stored.
  CodecPolicy lossy{kAllCodecs, true, TileCodec::Jpeg};
  lossy.tile_cache = mirror;
  for (const auto& e : encode_run(run, lossy, EncodeParams{}))
    if (e.codec == TileCodec::Jpeg) CHECK(e.store_keys.empty());

  // Without a cache nothing is keyed.
  CodecPolicy plain{kAllCodecs, false, std::nullopt};
  for (const auto& e : encode_run(run, plain, EncodeParams{})) {
    CHECK_FALSE(e.cache_ref);
    CHECK(e.store_keys.empty());
  }
}
