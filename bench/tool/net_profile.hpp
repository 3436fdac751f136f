#pragma once
#include <string>
#include <vector>

namespace rd::bench {

// A network between server and viewer, as the shaping relay imitates it. `rtt_ms` is
// the round trip the profile names (each direction gets half); `loss` is the chance
// that a 1448-byte segment is lost, which TCP repairs by fast retransmit: the segment
// and everything behind it arrive one round trip late (head-of-line blocking).
struct NetProfile {
  std::string name;
  double mbit_s = 0;  // 0: unlimited
  double rtt_ms = 0;
  double loss = 0;
  std::string describe() const;
};

const std::vector<NetProfile>& net_profiles();
const NetProfile* find_net_profile(const std::string& name);

}  // namespace rd::bench
