#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <optional>

#include "protocol/messages.hpp"

namespace rd {

// Which codec won the last time a tile at this position was measured with several
// (palette against zstd, and JPEG against both for lossy viewers). Contents at one place tend to stay alike (a terminal
// stays text, a video stays video), so the winner is reused for the next tiles there
// and measured again every kRemeasureEvery-th time. Positions are hashed into a fixed
// table: a collision only costs a needless measurement or a worse pick, never
// correctness, and a resize needs no reset while encode jobs are in flight. Encode
// workers share it without locks (one byte per position, relaxed atomics).
class CostMemory {
 public:
  static constexpr int kRemeasureEvery = 16;

  // The codec that won last time at the tile whose top-left pixel is (x, y), or
  // nothing when it is time to measure both.
  std::optional<TileCodec> winner(int x, int y) const;
  void record(int x, int y, TileCodec winner);
  // Counts a use of the remembered winner towards the next measurement.
  void used(int x, int y);

 private:
  static constexpr std::size_t kSlots = 8192;
  std::size_t slot(int x, int y) const;
  // bits 5..7: the winner's TileCodec; bits 0..4: uses since the measurement (0: never measured)
  mutable std::array<std::atomic<std::uint8_t>, kSlots> slots_{};
};

}  // namespace rd
