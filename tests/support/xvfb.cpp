#include "tests/support/xvfb.hpp"

#include <cstdlib>

#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>

namespace rd::test {

Xvfb::Xvfb(const std::string& dir, int width, int height, const std::string& binary, const std::vector<std::string>& extra_args)
    : dir_(dir) {
  if (!std::filesystem::exists("/usr/bin/" + binary))
    FAIL(binary << " is not installed: run the README's test command (scripts/test.sh), which installs it");
  static int instance = 0;  // several X servers may share a scratch folder
  name_ = binary + "-" + std::to_string(instance++);
  const std::string& name = name_;
  std::string fd_file = dir + "/" + name + "-display";
  // -displayfd writes the display number to a descriptor; point it at a file.
  std::string geometry = binary == "Xvnc" ? "-geometry " + std::to_string(width) + "x" + std::to_string(height) + " -depth 24"
                                          : "-screen 0 " + std::to_string(width) + "x" + std::to_string(height) + "x24";
  // -noreset: an X server resets when its last client leaves, and a client connecting
  // during the reset is dropped ("Can't open display"); tests connect and leave often.
  std::string cmd = "exec " + binary + " -displayfd 3 -nolisten tcp -noreset " + geometry;
  for (const auto& a : extra_args) cmd += " " + a;
  cmd += " 3>" + fd_file;
  proc_ = std::make_unique<Process>(std::vector<std::string>{"/bin/sh", "-c", cmd}, dir, name);
  std::string num;
  bool ok = wait_until(
      [&] {
        num = read_file(fd_file);
        return (!num.empty() && num.back() == '\n') || !proc_->running();
      },
      20s);
  if (!ok || num.empty()) FAIL(binary << " did not start: " << proc_->err());
  num.pop_back();
  display_ = ":" + num;
}

Xvfb::~Xvfb() {
  proc_->signal(SIGTERM);
  proc_->wait(5s);
}

std::optional<std::string> Xvfb::run(std::vector<std::string> argv, std::chrono::milliseconds timeout) {
  Process p(argv, dir_, name_ + "-cmd" + std::to_string(run_count_++), {{"DISPLAY", display_}});
  auto rc = p.wait(timeout);
  if (!rc || *rc != 0) {
    MESSAGE(argv[0] << " failed: " << p.err());
    return std::nullopt;
  }
  return p.out();
}

std::map<std::string, std::string> Xvfb::env() const {
  std::map<std::string, std::string> e{{"DISPLAY", display_}, {"SDL_VIDEODRIVER", "x11"}};
  if (std::getenv("RDISPLAY_SANITIZED")) {
    const char* asan = std::getenv("ASAN_OPTIONS");
    e["ASAN_OPTIONS"] = std::string(asan ? asan : "") + ":detect_leaks=0";
  }
  return e;
}

}  // namespace rd::test
