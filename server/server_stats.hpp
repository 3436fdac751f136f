#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/worker_pool.hpp"
#include "server/session.hpp"
#include "server/viewer_stats.hpp"

namespace rd {

nlohmann::json viewer_stats_json(const ViewerStats& v);
nlohmann::json tlp_json(const TlpMeter::Report& r, int threads);

}  // namespace rd
