#pragma once
#include <string>

#include "codecs/surface.hpp"

namespace rd {

// PNG files through libpng's simplified API. Both throw std::runtime_error.
void write_png(const std::string& path, const Surface& s);
Surface read_png(const std::string& path);

}  // namespace rd
