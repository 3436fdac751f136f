#pragma once
#include <sys/types.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace rd::bench {

// Waits for cond() (checked every 10 ms) until the limit; returns its last value.
template <class F>
bool wait_for(F&& cond, std::chrono::milliseconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

// A stats file, or an empty object while it is not written yet (or half written).
nlohmann::json read_json(const std::string& path);
// Whether the process handles sig yet (SigCgt in /proc/PID/status): before it does,
// the signal would kill it.
bool catches(pid_t pid, int sig);
// Whether something listens on 127.0.0.1:port.
bool can_connect(int port);
// A port nothing listens on now (bound and let go), for peers that need one named.
int free_loopback_port();

}  // namespace rd::bench
