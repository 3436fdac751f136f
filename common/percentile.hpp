#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace rd {

// p-th percentile (0..100) by nearest rank; 0 for an empty sample.
inline double percentile(std::vector<std::uint32_t> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  rank = std::clamp<std::size_t>(rank, 1, v.size());
  return v[rank - 1];
}

}  // namespace rd
