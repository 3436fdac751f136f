#include "client/png_file.hpp"

#include <png.h>

#include <cstring>
#include <stdexcept>

namespace rd {

void write_png(const std::string& path, const Surface& s) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  img.width = static_cast<png_uint_32>(s.width());
  img.height = static_cast<png_uint_32>(s.height());
  img.format = PNG_FORMAT_BGR;
  // The simplified API wants packed BGR rows for this format: drop the alpha bytes.
  std::vector<std::uint8_t> bgr(static_cast<std::size_t>(s.width()) * s.height() * 3);
  std::uint8_t* o = bgr.data();
  for (int y = 0; y < s.height(); ++y) {
    const std::uint8_t* p = reinterpret_cast<const std::uint8_t*>(s.row32(y));
    for (int x = 0; x < s.width(); ++x, p += 4, o += 3) {
      o[0] = p[0];
      o[1] = p[1];
      o[2] = p[2];
    }
  }
  if (!png_image_write_to_file(&img, path.c_str(), 0, bgr.data(), s.width() * 3, nullptr))
    throw std::runtime_error("cannot write " + path + ": " + img.message);
}

Surface read_png(const std::string& path) {
  png_image img;
  std::memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path.c_str())) throw std::runtime_error("cannot read " + path + ": " + img.message);
  img.format = PNG_FORMAT_BGRA;
  Surface s(static_cast<int>(img.width), static_cast<int>(img.height));
  if (!png_image_finish_read(&img, nullptr, s.data(), s.stride(), nullptr)) {
    png_image_free(&img);
    throw std::runtime_error("cannot decode " + path + ": " + img.message);
  }
  for (int y = 0; y < s.height(); ++y)
    for (int x = 0; x < s.width(); ++x) s.row32(y)[x] |= 0xFF000000u;
  return s;
}

}  // namespace rd
