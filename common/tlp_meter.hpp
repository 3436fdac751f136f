#pragma once
#include <cstdint>
#include <mutex>
#include <vector>

namespace rd {

// Thread-level parallelism of a pool: TLP = sum(i * c_i) / (1 - c_0), where c_i is
// the share of wall time during which exactly i workers were busy (DESIGN §3).
class TlpMeter {
 public:
  explicit TlpMeter(int workers);
  void worker_started();  // one more worker busy
  void worker_stopped();  // one fewer worker busy

  struct Report {
    double tlp = 0.0;            // average busy workers while at least one is busy
    double busy_fraction = 0.0;  // 1 - c_0
    std::vector<double> c;       // c_i for i = 0..workers
  };
  Report report() const;

 private:
  void advance_locked(std::uint64_t now);
  mutable std::mutex mu_;
  int busy_ = 0;
  std::uint64_t start_us_;
  std::uint64_t last_us_;
  std::vector<std::uint64_t> time_at_;  // microseconds spent with exactly i busy
};

}  // namespace rd
