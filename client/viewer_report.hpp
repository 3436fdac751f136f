#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "common/percentile.hpp"
#include "client/stream_receiver.hpp"

namespace rd {

// The viewer's statistics (the --stats file), without the fields main adds.
nlohmann::json receiver_stats_json(const ReceiverStats& s);

}  // namespace rd
