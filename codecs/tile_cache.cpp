#include "codecs/tile_cache.hpp"

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack
#include <xxhash.h>

#include <array>
#include <vector>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "protocol/bytes.hpp"

namespace rd {

namespace {
constexpr char kFileMagic[8] = {'R', 'D', 'T', 'I', 'L', 'E', 'S', '1'};
}  // namespace

std::uint64_t tile_cache_key(const PixelView& v) {
  // Alpha is not part of the picture (decoders force it to 0xFF): the pixels are hashed
  // with alpha forced, gathered into one buffer after the size so that XXH3 runs once
  // (its streaming interface costs more per call than a 64-pixel row piece takes).
  thread_local std::vector<std::uint32_t> buf;
  buf.resize(1 + static_cast<std::size_t>(v.w) * static_cast<std::size_t>(v.h));
  const std::uint16_t size[2] = {static_cast<std::uint16_t>(v.w), static_cast<std::uint16_t>(v.h)};
  std::memcpy(buf.data(), size, sizeof size);
  std::uint32_t* o = buf.data() + 1;
  for (int y = 0; y < v.h; ++y) {
    const std::uint32_t* p = v.row32(y);
    for (int x = 0; x < v.w; ++x) o[x] = p[x] | 0xFF000000u;
    o += v.w;
  }
  return XXH3_64bits(buf.data(), buf.size() * 4);
}

std::uint64_t stretch_key(const std::uint64_t* tile_keys, int n, int w, int h) {
  if (n == 1) return tile_keys[0];
  thread_local std::vector<std::uint64_t> buf;
  buf.assign(tile_keys, tile_keys + n);
  buf.push_back(static_cast<std::uint64_t>(w) << 16 | static_cast<std::uint64_t>(h));
  return XXH3_64bits(buf.data(), buf.size() * 8);
}

void TileCacheStore::insert(const PixelView& v) {
  std::uint64_t key = tile_cache_key(v);
  Surface s(v.w, v.h);
  for (int y = 0; y < v.h; ++y) std::memcpy(s.row32(y), v.row(y), static_cast<std::size_t>(v.w) * 4);
  for (std::uint64_t gone : model_.insert(key, tile_cache_cost(v.w, v.h))) tiles_.erase(gone);
  tiles_[key] = std::move(s);
}

const Surface* TileCacheStore::use(std::uint64_t key) {
  if (!model_.touch(key)) return nullptr;
  return &tiles_.at(key);
}

std::vector<CacheEntry> TileCacheStore::entries() const {
  std::vector<CacheEntry> out;
  for (std::uint64_t k : model_.oldest_first()) {
    const Surface& s = tiles_.at(k);
    out.push_back({k, static_cast<std::uint16_t>(s.width()), static_cast<std::uint16_t>(s.height())});
  }
  return out;
}

void TileCacheStore::save(const std::string& path) const {
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw std::runtime_error("cannot write the tile cache file " + tmp);
    Bytes head;
    ByteWriter w(head);
    w.bytes(ByteView(reinterpret_cast<const std::uint8_t*>(kFileMagic), sizeof kFileMagic));
    w.u32(static_cast<std::uint32_t>(model_.size()));
    f.write(reinterpret_cast<const char*>(head.data()), static_cast<std::streamsize>(head.size()));
    for (const CacheEntry& e : entries()) {
      Bytes rec;
      ByteWriter r(rec);
      r.u64(e.key);
      r.u16(e.w);
      r.u16(e.h);
      f.write(reinterpret_cast<const char*>(rec.data()), static_cast<std::streamsize>(rec.size()));
      const Surface& s = tiles_.at(e.key);
      for (int y = 0; y < s.height(); ++y) f.write(reinterpret_cast<const char*>(s.row32(y)), static_cast<std::streamsize>(s.width()) * 4);
    }
    if (!f) throw std::runtime_error("writing the tile cache file " + tmp + " failed");
  }
  // Whole or not at all: a viewer killed while saving leaves the previous file.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot replace the tile cache file " + path);
}

void TileCacheStore::load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return;  // no cache yet
  auto fail = [&](const std::string& why) { throw std::runtime_error("tile cache file " + path + ": " + why); };
  char magic[sizeof kFileMagic];
  std::uint8_t count_le[4];
  if (!f.read(magic, sizeof magic) || std::memcmp(magic, kFileMagic, sizeof magic) != 0) fail("not a tile cache file");
  if (!f.read(reinterpret_cast<char*>(count_le), 4)) fail("truncated");
  std::uint32_t count = ByteReader(ByteView(count_le, 4)).u32("count");
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint8_t rec[12];
    if (!f.read(reinterpret_cast<char*>(rec), sizeof rec)) fail("truncated");
    ByteReader r(ByteView(rec, sizeof rec));
    std::uint64_t key = r.u64("key");
    int w = r.u16("w"), h = r.u16("h");
    if (w < 1 || h < 1 || w > kMaxCachedTileSide || h > kMaxCachedTileSide) fail("a tile of " + std::to_string(w) + "x" + std::to_string(h));
    Surface s(w, h);
    for (int y = 0; y < h; ++y)
      if (!f.read(reinterpret_cast<char*>(s.row32(y)), static_cast<std::streamsize>(w) * 4)) fail("truncated");
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) s.row32(y)[x] |= 0xFF000000u;
    if (tile_cache_key(s.view()) != key) continue;  // damaged on disk: not worth trusting
    insert(s.view());
  }
}

std::uint64_t tile_cache_digest(const TileCacheModel& m) {
  std::vector<std::uint64_t> keys = m.oldest_first();
  return XXH3_64bits(keys.data(), keys.size() * sizeof(std::uint64_t));
}

}  // namespace rd
