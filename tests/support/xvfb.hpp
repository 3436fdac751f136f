#pragma once
#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace rd::test {

// A private X server on a free display number (chosen by the server itself through
// -displayfd), listening on its Unix socket only: Xvfb, or TigerVNC's Xvnc with extra
// arguments. Stopped when this object goes.
class Xvfb {
 public:
  Xvfb(const std::string& dir, int width, int height, const std::string& binary = "Xvfb",
       const std::vector<std::string>& extra_args = {});
  ~Xvfb();
  const std::string& display() const { return display_; }
  // For programs on this display. In the sanitizer build, windows on it do not check for
  // leaks: the X and GL libraries SDL loads allocate from code that ASan's fast unwinder
  // cannot walk, so their leaks cannot be told from ours (every other process checks).
  std::map<std::string, std::string> env() const;
  // Runs a command against this display; returns its stdout, or nullopt on failure.
  std::optional<std::string> run(std::vector<std::string> argv, std::chrono::milliseconds timeout = 20s);

 private:
  std::string dir_;
  std::string name_;  // prefix of this server's files in dir_
  std::unique_ptr<Process> proc_;
  std::string display_;
  int run_count_ = 0;
};

}  // namespace rd::test
