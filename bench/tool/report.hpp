#pragma once
#include <nlohmann/json.hpp>
#include <string>

namespace rd::bench {

struct RunInfo {
  std::string command, machine, started;
  double seconds = 0;
};

// Adds what needs several rows (PSNR against the lossless run of the same workload)
// to each row.
void add_cross_run_figures(nlohmann::json& rows);
void write_csv(const nlohmann::json& rows, const std::string& path);
// report.md, with the plots it names (PNG, drawn by gnuplot when it is installed).
// Returns the plot files that could not be drawn, if any, as a message.
std::string write_report(const nlohmann::json& rows, const RunInfo& info, const std::string& dir);

}  // namespace rd::bench
