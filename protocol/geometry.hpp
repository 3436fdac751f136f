#pragma once
#include <algorithm>
#include <cstdint>

namespace rd {

// A rectangle in surface pixels; x, y is the top-left corner, w, h may be zero (empty).
struct Rect {
  int x = 0, y = 0, w = 0, h = 0;

  bool empty() const { return w <= 0 || h <= 0; }
  int right() const { return x + w; }
  int bottom() const { return y + h; }
  long long area() const { return empty() ? 0 : static_cast<long long>(w) * h; }
  bool contains(int px, int py) const { return px >= x && py >= y && px < right() && py < bottom(); }
  bool contains(const Rect& o) const {
    return o.empty() || (o.x >= x && o.y >= y && o.right() <= right() && o.bottom() <= bottom());
  }
  bool intersects(const Rect& o) const { return !intersect(o).empty(); }
  Rect intersect(const Rect& o) const {
    int nx = std::max(x, o.x), ny = std::max(y, o.y);
    int nr = std::min(right(), o.right()), nb = std::min(bottom(), o.bottom());
    if (nr <= nx || nb <= ny) return {};
    return {nx, ny, nr - nx, nb - ny};
  }
  Rect united(const Rect& o) const {  // bounding box
    if (empty()) return o;
    if (o.empty()) return *this;
    int nx = std::min(x, o.x), ny = std::min(y, o.y);
    return {nx, ny, std::max(right(), o.right()) - nx, std::max(bottom(), o.bottom()) - ny};
  }
  Rect translated(int dx, int dy) const { return {x + dx, y + dy, w, h}; }
  bool operator==(const Rect&) const = default;
};

// 32-bit colour as it sits in a BGRA8888 surface: 0xAARRGGBB, so memory order is B, G, R, A.
using Color = std::uint32_t;
constexpr Color rgb(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  return 0xFF000000u | (static_cast<Color>(r) << 16) | (static_cast<Color>(g) << 8) | b;
}

}  // namespace rd
