#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "codecs/pixel_view.hpp"
#include "protocol/geometry.hpp"

namespace rd {

// A BGRA8888 framebuffer, rows packed at width*4 bytes. Every pixel's alpha byte is
// 0xFF: writers keep it so, which makes the hash below a plain hash of the buffer.
class Surface {
 public:
  Surface() = default;
  Surface(int w, int h, Color fill = 0xFF000000u);

  int width() const { return w_; }
  int height() const { return h_; }
  int stride() const { return w_ * 4; }
  Rect bounds() const { return {0, 0, w_, h_}; }
  bool empty() const { return w_ == 0 || h_ == 0; }

  std::uint32_t* row32(int y) { return px_.data() + static_cast<std::size_t>(y) * w_; }
  const std::uint32_t* row32(int y) const { return px_.data() + static_cast<std::size_t>(y) * w_; }
  std::uint8_t* data() { return reinterpret_cast<std::uint8_t*>(px_.data()); }
  const std::uint8_t* data() const { return reinterpret_cast<const std::uint8_t*>(px_.data()); }
  std::uint32_t pixel(int x, int y) const { return row32(y)[x]; }
  std::size_t size_bytes() const { return px_.size() * 4; }

  PixelView view() const { return {data(), stride(), w_, h_}; }
  PixelView view(const Rect& r) const;  // r must lie inside bounds()
  MutablePixelView mutable_view(const Rect& r);

  void resize(int w, int h, Color fill = 0xFF000000u);
  // Copies r of src into this surface at the same position (both must contain r).
  void copy_rect_from(const Surface& src, const Rect& r);

  // XXH3-64 of the pixels, rows packed at width*4 bytes, alpha 0xFF.
  std::uint64_t hash() const;
  std::string hash_hex() const;

  bool operator==(const Surface& o) const { return w_ == o.w_ && h_ == o.h_ && px_ == o.px_; }

 private:
  int w_ = 0, h_ = 0;
  std::vector<std::uint32_t> px_;
};

std::string hash_to_hex(std::uint64_t h);

}  // namespace rd
