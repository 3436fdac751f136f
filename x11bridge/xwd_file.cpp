#include "x11bridge/xwd_file.hpp"

#include <fstream>
#include <iterator>
#include <stdexcept>
#include <vector>

namespace rd {

namespace {
std::uint32_t be32(const std::vector<std::uint8_t>& d, std::size_t at) {
  if (at + 4 > d.size()) throw std::runtime_error("xwd: truncated header");
  return static_cast<std::uint32_t>(d[at]) << 24 | static_cast<std::uint32_t>(d[at + 1]) << 16 |
         static_cast<std::uint32_t>(d[at + 2]) << 8 | d[at + 3];
}
int shift_of(std::uint32_t mask) {
  int s = 0;
  while (mask && !(mask & 1)) {
    mask >>= 1;
    ++s;
  }
  return s;
}
}  // namespace

Surface read_xwd(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<std::uint8_t> d((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  // The header is 25 big-endian 32-bit fields (X11 XWDFileHeader), then the window name.
  std::uint32_t header_size = be32(d, 0), version = be32(d, 4), format = be32(d, 8);
  std::uint32_t width = be32(d, 16), height = be32(d, 20), byte_order = be32(d, 28);
  std::uint32_t bpp = be32(d, 44), bytes_per_line = be32(d, 48);
  std::uint32_t red_mask = be32(d, 56), green_mask = be32(d, 60), blue_mask = be32(d, 64), ncolors = be32(d, 76);
  if (version != 7 || format != 2) throw std::runtime_error("xwd: not a version 7 ZPixmap");
  if (bpp != 32) throw std::runtime_error("xwd: only 32 bits per pixel are read");
  std::size_t data = header_size + static_cast<std::size_t>(ncolors) * 12;
  if (data + static_cast<std::size_t>(bytes_per_line) * height > d.size()) throw std::runtime_error("xwd: truncated pixels");
  Surface s(static_cast<int>(width), static_cast<int>(height));
  int rs = shift_of(red_mask), gs = shift_of(green_mask), bs = shift_of(blue_mask);
  for (std::uint32_t y = 0; y < height; ++y) {
    const std::uint8_t* row = d.data() + data + static_cast<std::size_t>(y) * bytes_per_line;
    for (std::uint32_t x = 0; x < width; ++x) {
      const std::uint8_t* p = row + x * 4;
      std::uint32_t v = byte_order == 0 ? (p[0] | p[1] << 8 | p[2] << 16 | static_cast<std::uint32_t>(p[3]) << 24)
                                        : (static_cast<std::uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]);
      std::uint32_t r = (v & red_mask) >> rs, g = (v & green_mask) >> gs, b = (v & blue_mask) >> bs;
      s.row32(static_cast<int>(y))[x] = 0xFF000000u | r << 16 | g << 8 | b;
    }
  }
  return s;
}

}  // namespace rd
