#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <vector>

namespace rd {

// What the HUD shows and --stats reports, fed while the session runs: the network thread
// reports each completed frame, the presenter each input's input-to-display latency.
// Thread-safe; figures "now" cover the last second (latency: the last 256 inputs).
class LiveMetrics {
 public:
  void frame_done(std::uint64_t at_us, std::uint32_t decode_us, std::uint64_t ops_bytes, std::uint64_t pixel_bytes);
  void input_shown(std::uint32_t latency_us);
  void presented(std::uint32_t cost_us);  // one present of the window: upload, draw, flip

  struct Now {
    double fps = 0;
    double decode_ms = 0;      // mean decode time per frame
    double ops_share = 0;      // of the update bytes (ops + pixels), 0..1
    double latency_p50_ms = 0, latency_p99_ms = 0;
    std::size_t latency_samples = 0;
  };
  Now now(std::uint64_t at_us) const;
  // Every latency measured (up to a million), for the stats file.
  std::vector<std::uint32_t> latencies() const;
  std::vector<std::uint32_t> present_costs() const;  // up to a million

 private:
  struct Frame {
    std::uint64_t at_us;
    std::uint32_t decode_us;
    std::uint64_t ops_bytes, pixel_bytes;
  };
  static constexpr std::uint64_t kWindowUs = 1'000'000;
  static constexpr std::size_t kRecentLatencies = 256, kMaxLatencies = 1'000'000;
  mutable std::mutex mu_;
  std::deque<Frame> frames_;
  std::deque<std::uint32_t> recent_latency_;
  std::vector<std::uint32_t> all_latency_;
  std::vector<std::uint32_t> present_us_;
};

}  // namespace rd
