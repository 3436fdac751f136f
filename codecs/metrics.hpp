#pragma once
#include "codecs/surface.hpp"

namespace rd {

// Peak signal-to-noise ratio in dB over the B, G and R channels of two equally sized
// surfaces; identical surfaces give +infinity.
double psnr(const Surface& a, const Surface& b);
double psnr(const PixelView& a, const PixelView& b);
// The sum of squared differences over the B, G and R channels of two equally sized views.
double squared_error(const PixelView& a, const PixelView& b);

}  // namespace rd
