#pragma once
#include <chrono>
#include <map>
#include <mutex>
#include <string>

namespace rd {

// Slows down password guessing, per client address: after three wrong passwords in a
// row, every attempt from that address is refused for 2 s, then 4, 8 ... up to 60 s,
// whether the next guess would be right or not. A right password clears the address.
// Shared by the native listener and the RFB front (thread-safe).
class AuthThrottle {
 public:
  static constexpr int kFreeFailures = 3;
  static constexpr std::chrono::seconds kMaxBlock{60};

  // Seconds the address must still wait (0: it may try now).
  long blocked_for(const std::string& host) {
    std::lock_guard lk(mu_);
    auto it = failures_.find(host);
    if (it == failures_.end()) return 0;
    auto left = it->second.until - std::chrono::steady_clock::now();
    return left.count() > 0 ? std::chrono::duration_cast<std::chrono::seconds>(left).count() + 1 : 0;
  }
  // A wrong password: returns the failures in a row and the block now imposed (0 s for
  // the first kFreeFailures).
  std::pair<int, std::chrono::seconds> failed(const std::string& host) {
    std::lock_guard lk(mu_);
    Entry& e = failures_[host];
    ++e.count;
    std::chrono::seconds block{0};
    if (e.count >= kFreeFailures) {
      block = std::min<std::chrono::seconds>(kMaxBlock, std::chrono::seconds(2 << std::min(e.count - kFreeFailures, 5)));
      e.until = std::chrono::steady_clock::now() + block;
    }
    return {e.count, block};
  }
  void succeeded(const std::string& host) {
    std::lock_guard lk(mu_);
    failures_.erase(host);
  }

 private:
  struct Entry {
    int count = 0;
    std::chrono::steady_clock::time_point until{};
  };
  std::mutex mu_;
  std::map<std::string, Entry> failures_;
};

}  // namespace rd
