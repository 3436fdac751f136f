#pragma once
#include <vector>

#include "protocol/geometry.hpp"

namespace rd {

// A set of pixels kept as disjoint rectangles. Damage is collected in it; when it
// fragments past kMaxRects it is simplified to its bounding box, which only ever
// makes it larger (safe for damage).
class Region {
 public:
  static constexpr std::size_t kMaxRects = 256;

  Region() = default;
  explicit Region(const Rect& r) { add(r); }

  void add(const Rect& r);
  void add(const Region& o);
  void subtract(const Rect& r);
  Region intersected(const Rect& r) const;
  void clear() { rects_.clear(); }

  bool empty() const { return rects_.empty(); }
  const std::vector<Rect>& rects() const { return rects_; }
  Rect bounds() const;
  long long area() const;
  bool contains(int x, int y) const;
  bool intersects(const Rect& r) const;

 private:
  std::vector<Rect> rects_;
};

// Appends to out the parts of a that lie outside b (at most four rectangles).
void subtract_rect(const Rect& a, const Rect& b, std::vector<Rect>& out);

}  // namespace rd
