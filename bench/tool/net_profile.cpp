#include "bench/tool/net_profile.hpp"

#include <cstdio>

namespace rd::bench {

std::string NetProfile::describe() const {
  char buf[128];
  std::snprintf(buf, sizeof buf, "%s, %.1f ms RTT%s", mbit_s > 0 ? (std::to_string(static_cast<int>(mbit_s)) + " Mbit/s").c_str() : "unlimited",
                rtt_ms, loss > 0 ? (", " + std::to_string(loss * 100).substr(0, 3) + " % loss").c_str() : "");
  return buf;
}

const std::vector<NetProfile>& net_profiles() {
  static const std::vector<NetProfile> all = {
      {"lan", 1000, 0.2, 0},
      {"wan", 20, 40, 0},
      {"mobile", 4, 100, 0.01},
  };
  return all;
}

const NetProfile* find_net_profile(const std::string& name) {
  for (const auto& p : net_profiles())
    if (p.name == name) return &p;
  return nullptr;
}

}  // namespace rd::bench
