#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace rd {

// Writes JSON to path atomically (a temporary file renamed into place), so that a
// reader never sees half a file. Throws on I/O errors.
void write_json_file(const std::string& path, const nlohmann::json& j);

}  // namespace rd
