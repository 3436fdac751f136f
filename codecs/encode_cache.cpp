#include "codecs/encode_cache.hpp"

#include "codecs/tile_cache.hpp"

namespace rd {

std::uint64_t EncodeCache::key(const PixelView& v, TileCodec chosen, const CodecPolicy& policy, const EncodeParams& params) {
  return key(tile_cache_key(v), chosen, policy, params);
}

std::uint64_t EncodeCache::key(std::uint64_t content, TileCodec chosen, const CodecPolicy& policy, const EncodeParams& params) {
  // Everything besides the pixels that changes the bytes: the codec asked for, the codecs
  // allowed, lossy or not and how (JPEG's entropy coding too). Mixed into the content key (a 64-bit hash of w, h and
  // the pixels) with odd multipliers so that settings never cancel out.
  std::uint64_t settings = static_cast<std::uint64_t>(chosen) | (static_cast<std::uint64_t>(policy.decodable) << 8) |
                           (static_cast<std::uint64_t>(policy.jpeg_arithmetic) << 24) |
                           (static_cast<std::uint64_t>(policy.lossy) << 40) |
                           (static_cast<std::uint64_t>(policy.forced ? 1 + static_cast<int>(*policy.forced) : 0) << 41) |
                           (static_cast<std::uint64_t>(params.jpeg_quality) << 44) |
                           (static_cast<std::uint64_t>(params.subsampling) << 52) |
                           (static_cast<std::uint64_t>(params.zstd_level & 0x3f) << 56);
  return content ^ (settings * 0x9E3779B97F4A7C15ull + 0x632BE59BD9B4E019ull);
}

std::optional<EncodedTile> EncodeCache::find(std::uint64_t key) {
  std::lock_guard lk(mu_);
  auto it = tiles_.find(key);
  if (it == tiles_.end()) {
    ++misses_;
    return std::nullopt;
  }
  ++hits_;
  lru_.touch(key);
  return it->second;
}

void EncodeCache::insert(std::uint64_t key, const EncodedTile& tile) {
  std::lock_guard lk(mu_);
  for (std::uint64_t gone : lru_.insert(key, tile.payload.size() + 64)) tiles_.erase(gone);
  tiles_[key] = tile;
}

std::uint64_t EncodeCache::hits() const {
  std::lock_guard lk(mu_);
  return hits_;
}

std::uint64_t EncodeCache::misses() const {
  std::lock_guard lk(mu_);
  return misses_;
}

}  // namespace rd
