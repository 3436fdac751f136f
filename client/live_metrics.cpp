#include "client/live_metrics.hpp"

#include "common/percentile.hpp"

namespace rd {

void LiveMetrics::frame_done(std::uint64_t at_us, std::uint32_t decode_us, std::uint64_t ops_bytes,
                             std::uint64_t pixel_bytes) {
  std::lock_guard lk(mu_);
  frames_.push_back({at_us, decode_us, ops_bytes, pixel_bytes});
  while (!frames_.empty() && frames_.front().at_us + kWindowUs < at_us) frames_.pop_front();
}

void LiveMetrics::input_shown(std::uint32_t latency_us) {
  std::lock_guard lk(mu_);
  recent_latency_.push_back(latency_us);
  if (recent_latency_.size() > kRecentLatencies) recent_latency_.pop_front();
  if (all_latency_.size() < kMaxLatencies) all_latency_.push_back(latency_us);
}

LiveMetrics::Now LiveMetrics::now(std::uint64_t at_us) const {
  std::lock_guard lk(mu_);
  Now n;
  std::uint64_t decode = 0, ops = 0, pixels = 0;
  std::size_t count = 0;
  for (const Frame& f : frames_) {
    if (f.at_us + kWindowUs < at_us) continue;
    ++count;
    decode += f.decode_us;
    ops += f.ops_bytes;
    pixels += f.pixel_bytes;
  }
  n.fps = static_cast<double>(count);
  n.decode_ms = count ? static_cast<double>(decode) / 1000.0 / static_cast<double>(count) : 0.0;
  n.ops_share = ops + pixels ? static_cast<double>(ops) / static_cast<double>(ops + pixels) : 0.0;
  std::vector<std::uint32_t> lat(recent_latency_.begin(), recent_latency_.end());
  n.latency_samples = lat.size();
  n.latency_p50_ms = percentile(lat, 50) / 1000.0;
  n.latency_p99_ms = percentile(lat, 99) / 1000.0;
  return n;
}

void LiveMetrics::presented(std::uint32_t cost_us) {
  std::lock_guard lk(mu_);
  if (present_us_.size() < kMaxLatencies) present_us_.push_back(cost_us);
}

std::vector<std::uint32_t> LiveMetrics::present_costs() const {
  std::lock_guard lk(mu_);
  return present_us_;
}

std::vector<std::uint32_t> LiveMetrics::latencies() const {
  std::lock_guard lk(mu_);
  return all_latency_;
}

}  // namespace rd
