#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "codecs/lru_model.hpp"
#include "codecs/pixel_view.hpp"
#include "codecs/tile_classifier.hpp"
#include "codecs/tile_codec.hpp"

namespace rd {

// Encoded tiles shared by every viewer of a server: viewers that are sent the same
// pixels with the same codec settings (a crowd watching one screen) cost one encode,
// not one each. Keyed by the pixels' content (tile_cache_key) and everything that
// decides the output; thread-safe (encoder workers of all viewers use it), bounded by a
// byte budget, least recently used out.
class EncodeCache {
 public:
  explicit EncodeCache(std::size_t budget_bytes) : lru_(budget_bytes) {}

  static std::uint64_t key(const PixelView& v, TileCodec chosen, const CodecPolicy& policy, const EncodeParams& params);
  // The same from a content key already known (tile_cache_key or stretch_key).
  static std::uint64_t key(std::uint64_t content, TileCodec chosen, const CodecPolicy& policy, const EncodeParams& params);
  std::optional<EncodedTile> find(std::uint64_t key);
  void insert(std::uint64_t key, const EncodedTile& tile);

  std::uint64_t hits() const;
  std::uint64_t misses() const;

 private:
  mutable std::mutex mu_;
  LruModel<std::uint64_t> lru_;
  std::unordered_map<std::uint64_t, EncodedTile> tiles_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace rd
