#include "server/update_encoder.hpp"

#include <cstring>

#include "codecs/encode_cache.hpp"
#include "codecs/tile_cache.hpp"

namespace rd {

std::vector<RunSnapshot> snapshot_changed_tiles(const Surface& s, const TileGrid& grid,
                                                const std::vector<std::uint64_t>& current,
                                                std::vector<std::uint64_t>& sent) {
  std::vector<RunSnapshot> runs;
  for (int ty = 0; ty < grid.rows(); ++ty) {
    int tx = 0;
    while (tx < grid.cols()) {
      std::size_t i = static_cast<std::size_t>(ty * grid.cols() + tx);
      if (current[i] == sent[i]) {
        ++tx;
        continue;
      }
      int start = tx;
      while (tx < grid.cols() && tx - start < kMaxRunTiles) {
        std::size_t j = static_cast<std::size_t>(ty * grid.cols() + tx);
        if (current[j] == sent[j]) break;
        sent[j] = current[j];
        ++tx;
      }
      Rect r = grid.tile_rect(ty * grid.cols() + start).united(grid.tile_rect(ty * grid.cols() + tx - 1));
      RunSnapshot run;
      run.rect = r;
      run.px.resize(static_cast<std::size_t>(r.w) * r.h);
      for (int y = 0; y < r.h; ++y)
        std::memcpy(run.px.data() + static_cast<std::size_t>(y) * r.w, s.row32(r.y + y) + r.x,
                    static_cast<std::size_t>(r.w) * 4);
      runs.push_back(std::move(run));
    }
  }
  return runs;
}

std::vector<EncodedRect> encode_run(const RunSnapshot& run, const CodecPolicy& policy, const EncodeParams& params) {
  const PixelView all = run.view();
  const int ntiles = (run.rect.w + kTileSize - 1) / kTileSize;
  auto tile_view = [&](int t, int count) {
    int x0 = t * kTileSize;
    int x1 = std::min(run.rect.w, (t + count) * kTileSize);
    return PixelView{all.data + static_cast<std::ptrdiff_t>(x0) * 4, all.stride, x1 - x0, all.h};
  };
  std::vector<TileCodec> codec(static_cast<std::size_t>(ntiles));
  std::vector<std::uint32_t> colour(static_cast<std::size_t>(ntiles), 0);
  std::vector<std::uint64_t> key(static_cast<std::size_t>(ntiles), 0);
  std::vector<char> cached(static_cast<std::size_t>(ntiles), 0);
  for (int t = 0; t < ntiles; ++t) {
    auto i = static_cast<std::size_t>(t);
    PixelView v = tile_view(t, 1);
    codec[i] = choose_codec(v, policy);
    if (codec[i] == TileCodec::Solid) {
      colour[i] = v.row32(0)[0];
    } else if (policy.tile_cache) {
      key[i] = tile_cache_key(v);
      cached[i] = policy.tile_cache->contains(key[i]);
    }
  }
  std::vector<EncodedRect> out;
  // Encodes tiles [a, b) of the run, all of codec[a], as one rectangle; false when they
  // do not fit one palette.
  auto emit_stretch = [&](int a, int b) {
    PixelView v = tile_view(a, b - a);
    EncodedRect e;
    e.rect = {run.rect.x + a * kTileSize, run.rect.y, v.w, v.h};
    const TileCodec chosen = codec[static_cast<std::size_t>(a)];
    std::optional<EncodedTile> enc;
    std::uint64_t shared_key = 0;
    if (policy.shared_encodes && chosen != TileCodec::Solid) {
      // With the viewer's tile cache the tiles' content keys are known already.
      shared_key = policy.tile_cache ? EncodeCache::key(stretch_key(key.data() + a, b - a, v.w, v.h), chosen, policy, params)
                                     : EncodeCache::key(v, chosen, policy, params);
      enc = policy.shared_encodes->find(shared_key);
    }
    if (!enc) {
      enc = encode_chosen(chosen, v, e.rect.x, e.rect.y, policy, params);
      if (!enc) return false;
      if (shared_key) policy.shared_encodes->insert(shared_key, *enc);
    }
    e.codec = enc->codec;
    e.payload = std::move(enc->payload);
    // What the viewer will hold exactly (not solid: that costs less than a reference).
    if (policy.tile_cache && e.codec != TileCodec::Solid && !is_lossy_codec(e.codec))
      e.store_keys.assign(key.begin() + a, key.begin() + b);
    out.push_back(std::move(e));
    return true;
  };
  int t = 0;
  while (t < ntiles) {
    auto ti = static_cast<std::size_t>(t);
    if (cached[ti]) {
      EncodedRect e;
      PixelView v = tile_view(t, 1);
      e.rect = {run.rect.x + t * kTileSize, run.rect.y, v.w, v.h};
      e.cache_ref = true;
      e.cache_key = key[ti];
      out.push_back(std::move(e));
      ++t;
      continue;
    }
    int end = t + 1;
    while (end < ntiles && !cached[static_cast<std::size_t>(end)] && codec[static_cast<std::size_t>(end)] == codec[ti] &&
           (codec[ti] != TileCodec::Solid || colour[static_cast<std::size_t>(end)] == colour[ti]))
      ++end;
    // Tiles of up to 256 colours each may have more together: then each goes on its own
    // (not the first alone and the rest merged again, which would try ever shorter
    // stretches of the same many-coloured tiles).
    if (!emit_stretch(t, end))
      for (int k = t; k < end; ++k)
        if (!emit_stretch(k, k + 1)) throw std::logic_error("a tile of up to 256 colours would not take a palette");
    t = end;
  }
  return out;
}

}  // namespace rd
