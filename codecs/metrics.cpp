#include "codecs/metrics.hpp"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace rd {

double squared_error(const PixelView& a, const PixelView& b) {
  if (a.w != b.w || a.h != b.h) throw std::invalid_argument("squared error of differently sized images");
  long double sse = 0;
  for (int y = 0; y < a.h; ++y) {
    const std::uint8_t* pa = a.row(y);
    const std::uint8_t* pb = b.row(y);
    for (int x = 0; x < a.w * 4; ++x) {
      if ((x & 3) == 3) continue;
      int d = static_cast<int>(pa[x]) - static_cast<int>(pb[x]);
      sse += d * d;
    }
  }
  return static_cast<double>(sse);
}

double psnr(const PixelView& a, const PixelView& b) {
  const long double sse = squared_error(a, b);
  if (sse == 0) return std::numeric_limits<double>::infinity();
  long double mse = sse / (static_cast<long double>(a.w) * a.h * 3);
  return static_cast<double>(10.0L * std::log10(255.0L * 255.0L / mse));
}

double psnr(const Surface& a, const Surface& b) { return psnr(a.view(), b.view()); }

}  // namespace rd
