#pragma once
#include <chrono>
#include <cstdint>

#include <spdlog/spdlog.h>

namespace rd {

// Lets through at most `per_second` log lines a second and counts the rest, so that a
// flood of hostile connections cannot turn the server's log (and its CPU) into the
// attack's amplifier. One thread only (the I/O thread).
class LogBudget {
 public:
  explicit LogBudget(int per_second) : per_second_(per_second) {}
  // Whether this line may be written now. When a new second starts after lines were
  // held back, `suppressed` says how many (once), for a summary line.
  // allow(), writing the summary of the lines held back itself.
  bool allow_line() {
    std::uint64_t suppressed = 0;
    bool ok = allow(&suppressed);
    if (suppressed) spdlog::warn("{} lines about failed or dropped connections were left out in the last second", suppressed);
    return ok;
  }
  bool allow(std::uint64_t* suppressed) {
    auto now = std::chrono::steady_clock::now();
    *suppressed = 0;
    if (now - window_start_ >= std::chrono::seconds(1)) {
      *suppressed = held_back_;
      held_back_ = 0;
      used_ = 0;
      window_start_ = now;
    }
    if (used_ < per_second_) {
      ++used_;
      return true;
    }
    ++held_back_;
    return false;
  }

 private:
  int per_second_;
  int used_ = 0;
  std::uint64_t held_back_ = 0;
  std::chrono::steady_clock::time_point window_start_{};
};

}  // namespace rd
