#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "client/stream_receiver.hpp"

namespace rd {

// p-th percentile (0..100) by nearest rank; 0 for an empty sample.
double percentile(std::vector<std::uint32_t> v, double p);

// The viewer's statistics (the --stats file), without the fields main adds.
nlohmann::json receiver_stats_json(const ReceiverStats& s);

}  // namespace rd
