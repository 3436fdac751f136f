#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "bench/tool/catalog.hpp"
#include "bench/tool/net_profile.hpp"

namespace rd::bench {

struct Programs {
  std::string server, viewer;
};

struct RunSpec {
  const Workload* workload;
  const Encoding* encoding;
  const NetProfile* profile;
  bool quick = false;
  int repeat = 0;
  std::string dir;        // this run's own folder (logs, stats, screenshot)
  std::string media_dir;  // made once, shared by every run (slides, clips)
};

// Runs one workload × encoding × profile and returns its row of results (see
// docs/benchmarks.md, "rdisplay-bench", for each field). Throws on failure.
nlohmann::json run_one(const RunSpec& spec, const Programs& programs);

}  // namespace rd::bench
