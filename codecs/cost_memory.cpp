#include "codecs/cost_memory.hpp"

#include "codecs/tile_grid.hpp"

namespace rd {

namespace {
constexpr std::uint8_t kUses = 0x1F;
static_assert(kTileCodecCount <= 8 && CostMemory::kRemeasureEvery < kUses);
}  // namespace

std::size_t CostMemory::slot(int x, int y) const {
  auto tx = static_cast<std::uint32_t>(x / kTileSize), ty = static_cast<std::uint32_t>(y / kTileSize);
  return ((tx * 0x9E3779B1u) ^ (ty * 0x85EBCA77u)) % kSlots;
}

std::optional<TileCodec> CostMemory::winner(int x, int y) const {
  std::uint8_t s = slots_[slot(x, y)].load(std::memory_order_relaxed);
  int uses = s & kUses;
  if (uses == 0 || uses >= kRemeasureEvery) return std::nullopt;
  return static_cast<TileCodec>(s >> 5);
}

void CostMemory::record(int x, int y, TileCodec winner) {
  slots_[slot(x, y)].store(static_cast<std::uint8_t>((static_cast<unsigned>(winner) << 5) | 1), std::memory_order_relaxed);
}

void CostMemory::used(int x, int y) {
  auto& s = slots_[slot(x, y)];
  std::uint8_t v = s.load(std::memory_order_relaxed);
  if ((v & kUses) < kUses) s.store(static_cast<std::uint8_t>(v + 1), std::memory_order_relaxed);
}

}  // namespace rd
