#include "codecs/surface.hpp"

#include <xxhash.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace rd {

Surface::Surface(int w, int h, Color fill) { resize(w, h, fill); }

void Surface::resize(int w, int h, Color fill) {
  if (w < 0 || h < 0) throw std::invalid_argument("negative surface size");
  w_ = w;
  h_ = h;
  px_.assign(static_cast<std::size_t>(w) * h, fill | 0xFF000000u);
}

PixelView Surface::view(const Rect& r) const {
  return {data() + (static_cast<std::size_t>(r.y) * w_ + r.x) * 4, stride(), r.w, r.h};
}

MutablePixelView Surface::mutable_view(const Rect& r) {
  return {data() + (static_cast<std::size_t>(r.y) * w_ + r.x) * 4, stride(), r.w, r.h};
}

void Surface::copy_rect_from(const Surface& src, const Rect& r) {
  for (int y = r.y; y < r.bottom(); ++y)
    std::memcpy(row32(y) + r.x, src.row32(y) + r.x, static_cast<std::size_t>(r.w) * 4);
}

std::uint64_t Surface::hash() const { return XXH3_64bits(px_.data(), px_.size() * 4); }

std::string Surface::hash_hex() const { return hash_to_hex(hash()); }

std::string hash_to_hex(std::uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace rd
