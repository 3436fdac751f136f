#include "codecs/region.hpp"

namespace rd {

void subtract_rect(const Rect& a, const Rect& b, std::vector<Rect>& out) {
  Rect i = a.intersect(b);
  if (i.empty()) {
    if (!a.empty()) out.push_back(a);
    return;
  }
  if (i.y > a.y) out.push_back({a.x, a.y, a.w, i.y - a.y});                       // above
  if (i.bottom() < a.bottom()) out.push_back({a.x, i.bottom(), a.w, a.bottom() - i.bottom()});  // below
  if (i.x > a.x) out.push_back({a.x, i.y, i.x - a.x, i.h});                       // left
  if (i.right() < a.right()) out.push_back({i.right(), i.y, a.right() - i.right(), i.h});  // right
}

void Region::add(const Rect& r) {
  if (r.empty()) return;
  // Keep rects disjoint: add only the parts of r no existing rect covers.
  std::vector<Rect> pieces{r}, next;
  for (const Rect& have : rects_) {
    next.clear();
    for (const Rect& p : pieces) subtract_rect(p, have, next);
    pieces.swap(next);
    if (pieces.empty()) return;
  }
  rects_.insert(rects_.end(), pieces.begin(), pieces.end());
  if (rects_.size() > kMaxRects) {
    Rect b = bounds();
    rects_.assign(1, b);
  }
}

void Region::add(const Region& o) {
  for (const Rect& r : o.rects_) add(r);
}

void Region::subtract(const Rect& r) {
  std::vector<Rect> out;
  for (const Rect& have : rects_) subtract_rect(have, r, out);
  rects_.swap(out);
}

Region Region::intersected(const Rect& r) const {
  Region out;
  for (const Rect& have : rects_) {
    Rect i = have.intersect(r);
    if (!i.empty()) out.rects_.push_back(i);  // still disjoint
  }
  return out;
}

Rect Region::bounds() const {
  Rect b;
  for (const Rect& r : rects_) b = b.united(r);
  return b;
}

long long Region::area() const {
  long long a = 0;
  for (const Rect& r : rects_) a += r.area();
  return a;
}

bool Region::contains(int x, int y) const {
  for (const Rect& r : rects_)
    if (r.contains(x, y)) return true;
  return false;
}

bool Region::intersects(const Rect& r) const {
  for (const Rect& have : rects_)
    if (have.intersects(r)) return true;
  return false;
}

}  // namespace rd
