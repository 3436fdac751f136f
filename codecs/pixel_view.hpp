#pragma once
#include <cstdint>

namespace rd {

// A window onto BGRA8888 pixels owned by someone else: `stride` bytes between rows.
struct PixelView {
  const std::uint8_t* data = nullptr;
  int stride = 0;
  int w = 0, h = 0;
  const std::uint8_t* row(int y) const { return data + static_cast<std::ptrdiff_t>(y) * stride; }
  const std::uint32_t* row32(int y) const { return reinterpret_cast<const std::uint32_t*>(row(y)); }
};

struct MutablePixelView {
  std::uint8_t* data = nullptr;
  int stride = 0;
  int w = 0, h = 0;
  std::uint8_t* row(int y) const { return data + static_cast<std::ptrdiff_t>(y) * stride; }
  std::uint32_t* row32(int y) const { return reinterpret_cast<std::uint32_t*>(row(y)); }
  operator PixelView() const { return {data, stride, w, h}; }
};

}  // namespace rd
