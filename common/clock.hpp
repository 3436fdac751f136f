#pragma once
#include <chrono>
#include <cstdint>

namespace rd {

using Clock = std::chrono::steady_clock;

inline std::uint64_t now_us() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch()).count());
}

}  // namespace rd
