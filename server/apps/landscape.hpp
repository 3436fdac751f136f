#pragma once
#include <cstdint>

#include "codecs/surface.hpp"

namespace rd {

// Procedural natural-looking pictures for the photo and video apps: sky with sun and
// clouds, layered mountain ridges with haze, water or meadow in front. The same seed
// always gives the same picture.
Surface make_landscape(int w, int h, std::uint64_t seed);

// Value-noise fBm in [0, 1): the texture source of the landscapes.
double fbm2(double x, double y, int octaves, std::uint64_t seed);

}  // namespace rd
