#include "common/tlp_meter.hpp"

#include "common/clock.hpp"

namespace rd {

TlpMeter::TlpMeter(int workers) : start_us_(now_us()), last_us_(start_us_), time_at_(workers + 1, 0) {}

void TlpMeter::advance_locked(std::uint64_t now) {
  time_at_[busy_] += now - last_us_;
  last_us_ = now;
}

void TlpMeter::worker_started() {
  std::lock_guard lk(mu_);
  advance_locked(now_us());
  if (busy_ + 1 < static_cast<int>(time_at_.size())) ++busy_;
}

void TlpMeter::worker_stopped() {
  std::lock_guard lk(mu_);
  advance_locked(now_us());
  if (busy_ > 0) --busy_;
}

TlpMeter::Report TlpMeter::report() const {
  std::lock_guard lk(mu_);
  std::vector<std::uint64_t> t = time_at_;
  t[busy_] += now_us() - last_us_;
  std::uint64_t total = 0;
  for (auto v : t) total += v;
  Report r;
  r.c.resize(t.size());
  if (total == 0) return r;
  double weighted = 0.0;
  for (std::size_t i = 0; i < t.size(); ++i) {
    r.c[i] = static_cast<double>(t[i]) / static_cast<double>(total);
    weighted += static_cast<double>(i) * r.c[i];
  }
  r.busy_fraction = 1.0 - r.c[0];
  r.tlp = r.busy_fraction > 0 ? weighted / r.busy_fraction : 0.0;
  return r;
}

}  // namespace rd
