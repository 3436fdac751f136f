#include "common/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace rd {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path,
                           const std::map<std::string, std::string>& env) {
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // An empty path keeps the parent's stream.
    if (!out_path.empty()) ::dup2(::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 1);
    if (!err_path.empty()) ::dup2(::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644), 2);
    ::setpgid(0, 0);  // signals to the parent's group (a terminal's Ctrl-C) do not reach it
    // Nor does it outlive its parent. The signal fires when the spawning *thread* ends,
    // so spawn from a thread that lives as long as the child should (main, here).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);  // also here: whichever runs first, the group exists before anyone signals it
}

ChildProcess::~ChildProcess() {
  if (!running()) return;
  // Asked first: programs free what outlives them on a normal exit (x11vnc its SysV
  // shared memory, Xvfb its lock file), which SIGKILL leaves behind for good.
  ::kill(-pid_, SIGTERM);
  const bool ended = wait(std::chrono::seconds(2)).has_value();
  ::kill(-pid_, SIGKILL);  // what it started and left running goes too
  if (!ended) wait(std::chrono::seconds(5));
}

void ChildProcess::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

void ChildProcess::signal_group(int sig) {
  if (running()) ::kill(-pid_, sig);
}

bool ChildProcess::running() {
  if (status_) return false;
  int st = 0;
  if (::waitpid(pid_, &st, WNOHANG) == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

int listening_port(const std::string& out) {
  auto at = out.find("listening on ");
  if (at == std::string::npos) return 0;
  auto end = out.find(' ', at + 13);
  auto colon = out.rfind(':', end);
  if (colon == std::string::npos || colon < at) return 0;
  return std::atoi(out.c_str() + colon + 1);
}

int ready_line_port(const std::string& out, const std::string& key) {
  auto at = out.find("listening on ");
  if (at == std::string::npos) return 0;
  auto k = out.find(key, at);
  if (k == std::string::npos) return 0;
  auto colon = out.find(':', k + key.size());
  if (colon == std::string::npos) return 0;
  return std::atoi(out.c_str() + colon + 1);
}

}  // namespace rd
