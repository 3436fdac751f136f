#pragma once
#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.hpp"

namespace rd::test {

// A headless rdisplay-viewer writing its stats and screenshot into the scratch folder.
class HeadlessViewer {
 public:
  HeadlessViewer(const std::string& dir, const std::string& name, const std::string& url, std::vector<std::string> args);
  // Waits for the exit (status 0 expected) and returns the stats.
  nlohmann::json finish(std::chrono::milliseconds timeout = 60s);
  std::string screenshot() const { return shot_; }
  // What the running viewer holds now (SIGUSR1): framebuffer_hash, frames, clipboard.
  nlohmann::json poll_stats();
  Process& proc() { return *proc_; }

 private:
  std::string name_, stats_, shot_;
  std::unique_ptr<Process> proc_;
};

nlohmann::json parse_json(const std::string& text, const std::string& what);

// A viewer expected to exit by itself (errors, usage): its exit status and stderr.
struct ViewerRun {
  int code = -1;
  std::string err;
};
ViewerRun run_viewer(const std::string& dir, const std::string& name, std::vector<std::string> args);

std::size_t lines_of(const std::string& s);

}  // namespace rd::test
