#include "x11bridge/private_xvfb.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace rd {

PrivateXvfb::PrivateXvfb(int width, int height) {
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::close(fds[0]);
    int devnull = ::open("/dev/null", O_RDWR);
    ::dup2(devnull, 0);
    ::dup2(devnull, 1);
    ::dup2(devnull, 2);
    std::string fd = std::to_string(fds[1]);
    std::string screen = std::to_string(width) + "x" + std::to_string(height) + "x24";
    ::setpgid(0, 0);  // a Ctrl-C meant for the server is not Xvfb's
    // Nor does it outlive a server that was killed (fires when the spawning thread ends).
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    // -noreset: without it the server resets whenever its last client leaves (between
    // two short-lived commands, say), dropping anyone who connects meanwhile.
    ::execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-nolisten", "tcp", "-noreset", "-screen", "0", screen.c_str(),
             nullptr);
    ::_exit(127);
  }
  ::close(fds[1]);
  // Xvfb writes the display number and a newline once it accepts connections.
  std::string num;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[32];
    ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n <= 0) break;
    num.append(buf, static_cast<std::size_t>(n));
    if (num.find('\n') != std::string::npos) break;
  }
  ::close(fds[0]);
  if (num.empty() || num.find('\n') == std::string::npos) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    throw std::runtime_error("Xvfb did not start (apt-get install xvfb)");
  }
  number_ = std::stoi(num);
}

PrivateXvfb::~PrivateXvfb() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int st = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &st, WNOHANG) == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (::waitpid(pid_, &st, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &st, 0);
    }
  }
  if (number_ >= 0) {
    // Only what our Xvfb left: its lock file names its pid.
    std::string lock = "/tmp/.X" + std::to_string(number_) + "-lock";
    char buf[32] = {};
    int fd = ::open(lock.c_str(), O_RDONLY);
    bool ours = fd < 0;  // no lock: a socket left beside it can only be ours
    if (fd >= 0) {
      ssize_t n = ::read(fd, buf, sizeof buf - 1);
      ::close(fd);
      ours = n > 0 && std::atoi(buf) == pid_;
      if (ours) ::unlink(lock.c_str());
    }
    if (ours) ::unlink(("/tmp/.X11-unix/X" + std::to_string(number_)).c_str());
  }
}

}  // namespace rd
