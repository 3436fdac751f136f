#include <zstd.h>

#include <array>
#include <string>

#include "codecs/tile_codec.hpp"
#include "codecs/zstd_contexts.hpp"

namespace rd {

namespace {

int index_bits(int colors) { return colors <= 2 ? 1 : colors <= 4 ? 2 : colors <= 16 ? 4 : 8; }
std::size_t row_bytes(int w, int bits) { return (static_cast<std::size_t>(w) * bits + 7) / 8; }

// Colour -> index for up to 256 colours: open addressing in 1024 slots.
class PaletteMap {
 public:
  // The index of c, adding it; -1 once a 257th colour comes.
  int index(std::uint32_t c) {
    std::uint32_t h = (c * 2654435761u) >> 22;
    while (used_[h] && slot_[h] != c) h = (h + 1) & 1023;
    if (used_[h]) return idx_[h];
    if (colors_.size() == 256) return -1;
    used_[h] = true;
    slot_[h] = c;
    idx_[h] = static_cast<std::uint8_t>(colors_.size());
    colors_.push_back(c);
    return idx_[h];
  }
  const std::vector<std::uint32_t>& colors() const { return colors_; }

 private:
  std::array<std::uint32_t, 1024> slot_{};
  std::array<bool, 1024> used_{};
  std::array<std::uint8_t, 1024> idx_{};
  std::vector<std::uint32_t> colors_;
};

}  // namespace

std::optional<Bytes> encode_palette(const PixelView& src, int level) {
  PaletteMap map;
  thread_local std::vector<std::uint8_t> index;
  index.resize(static_cast<std::size_t>(src.w) * src.h);
  std::uint8_t* o = index.data();
  for (int y = 0; y < src.h; ++y) {
    const std::uint32_t* r = src.row32(y);
    std::uint32_t last = ~r[0];
    int last_i = 0;
    for (int x = 0; x < src.w; ++x) {
      std::uint32_t c = r[x] | 0xFF000000u;
      if (c != last) {  // runs of one colour are the common case in UI and text
        last_i = map.index(c);
        if (last_i < 0) return std::nullopt;
        last = c;
      }
      *o++ = static_cast<std::uint8_t>(last_i);
    }
  }
  const int n = static_cast<int>(map.colors().size());
  const int bits = index_bits(n);
  const std::size_t rb = row_bytes(src.w, bits);
  thread_local Bytes packed;
  packed.assign(rb * src.h, 0);
  for (int y = 0; y < src.h; ++y) {
    const std::uint8_t* in = index.data() + static_cast<std::size_t>(y) * src.w;
    std::uint8_t* p = packed.data() + rb * y;
    if (bits == 8) {
      std::copy_n(in, src.w, p);
      continue;
    }
    const int per = 8 / bits;
    for (int x = 0; x < src.w; ++x) p[x / per] |= static_cast<std::uint8_t>(in[x] << (8 - bits * (x % per + 1)));
  }
  Bytes out;
  out.reserve(1 + static_cast<std::size_t>(n) * 3 + ZSTD_compressBound(packed.size()));
  out.push_back(static_cast<std::uint8_t>(n - 1));
  for (std::uint32_t c : map.colors()) {
    out.push_back(static_cast<std::uint8_t>(c));
    out.push_back(static_cast<std::uint8_t>(c >> 8));
    out.push_back(static_cast<std::uint8_t>(c >> 16));
  }
  std::size_t head = out.size();
  out.resize(head + ZSTD_compressBound(packed.size()));
  std::size_t z = ZSTD_compressCCtx(zstd_contexts().c.get(), out.data() + head, out.size() - head, packed.data(), packed.size(), level);
  if (ZSTD_isError(z)) throw std::runtime_error(std::string("zstd compression failed: ") + ZSTD_getErrorName(z));
  out.resize(head + z);
  return out;
}

void decode_palette(ByteView payload, const MutablePixelView& dst) {
  if (payload.empty()) throw DecodeError("palette tile: empty");
  const int n = payload[0] + 1;
  const std::size_t head = 1 + static_cast<std::size_t>(n) * 3;
  if (payload.size() < head) throw DecodeError("palette tile: truncated palette");
  std::array<std::uint32_t, 256> colors{};
  for (int i = 0; i < n; ++i) {
    const std::uint8_t* c = payload.data() + 1 + i * 3;
    colors[static_cast<std::size_t>(i)] = c[0] | static_cast<std::uint32_t>(c[1]) << 8 | static_cast<std::uint32_t>(c[2]) << 16 | 0xFF000000u;
  }
  const int bits = index_bits(n);
  const std::size_t rb = row_bytes(dst.w, bits), want = rb * dst.h;
  ByteView z = payload.subspan(head);
  unsigned long long size = ZSTD_getFrameContentSize(z.data(), z.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) throw DecodeError("palette tile: not a zstd frame");
  if (size != want) throw DecodeError("palette tile: " + std::to_string(size) + " index bytes, " + std::to_string(want) + " expected");
  thread_local Bytes packed;
  packed.resize(want);
  std::size_t got = ZSTD_decompressDCtx(zstd_contexts().d.get(), packed.data(), packed.size(), z.data(), z.size());
  if (ZSTD_isError(got)) throw DecodeError(std::string("palette tile: ") + ZSTD_getErrorName(got));
  if (got != want) throw DecodeError("palette tile: decompressed to a different size than announced");
  const int per = 8 / bits;
  const unsigned mask = (1u << bits) - 1;
  for (int y = 0; y < dst.h; ++y) {
    const std::uint8_t* p = packed.data() + rb * y;
    std::uint32_t* d = dst.row32(y);
    for (int x = 0; x < dst.w; ++x) {
      unsigned i = bits == 8 ? p[x] : (p[x / per] >> (8 - bits * (x % per + 1))) & mask;
      if (i >= static_cast<unsigned>(n)) throw DecodeError("palette tile: index " + std::to_string(i) + " past the palette's end");
      d[x] = colors[i];
    }
  }
}

}  // namespace rd
