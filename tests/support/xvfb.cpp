#include "tests/support/xvfb.hpp"

#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

namespace rd::test {

Xvfb::Xvfb(const std::string& dir, int width, int height) : dir_(dir) {
  if (!std::filesystem::exists("/usr/bin/Xvfb"))
    FAIL("Xvfb is not installed: run the README's test command (scripts/test.sh), which installs it");
  std::string fd_file = dir + "/xvfb-display";
  // -displayfd writes the display number to a descriptor; point it at a file.
  std::string cmd = "exec Xvfb -displayfd 3 -nolisten tcp -screen 0 " + std::to_string(width) + "x" +
                    std::to_string(height) + "x24 3>" + fd_file;
  proc_ = std::make_unique<Process>(std::vector<std::string>{"/bin/sh", "-c", cmd}, dir, "xvfb");
  std::string num;
  bool ok = wait_until(
      [&] {
        num = read_file(fd_file);
        return (!num.empty() && num.back() == '\n') || !proc_->running();
      },
      20s);
  if (!ok || num.empty()) FAIL("Xvfb did not start: " << proc_->err());
  num.pop_back();
  display_ = ":" + num;
}

Xvfb::~Xvfb() {
  proc_->signal(SIGTERM);
  proc_->wait(5s);
}

std::optional<std::string> Xvfb::run(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  Process p(argv, dir_, "xcmd" + std::to_string(run_count_++), {{"DISPLAY", display_}});
  auto rc = p.wait(timeout);
  if (!rc || *rc != 0) {
    MESSAGE(argv[0] << " failed: " << p.err());
    return std::nullopt;
  }
  return p.out();
}

}  // namespace rd::test
