#pragma once
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/child_process.hpp"

namespace rd::test {

using namespace std::chrono_literals;

// Waits for pred() to become true, checking every few milliseconds, until the deadline.
bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// A child process with stdout and stderr captured to files in a scratch folder.
class Process {
 public:
  Process(std::vector<std::string> argv, const std::string& log_dir, const std::string& name,
          std::map<std::string, std::string> env = {});
  ~Process();  // kills the process if it is still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return child_.pid(); }
  bool running() { return child_.running(); }
  // Exit status (or 128 + signal), waiting up to timeout; nullopt if still running.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  void signal(int sig);
  // Whether the process has installed a handler for sig (/proc/PID/status SigCgt):
  // sending SIGUSR1 before that would kill it.
  bool catches(int sig) const;
  // Sends sig once the process catches it (waiting up to timeout for the handler).
  bool signal_when_caught(int sig, std::chrono::milliseconds timeout = 10s);
  std::string out() const;  // everything written to stdout so far
  std::string err() const;
  // The first stdout line containing `needle`, waiting up to timeout.
  std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::milliseconds timeout);

 private:
  std::string out_path_, err_path_;
  ChildProcess child_;
};

// A fresh scratch folder below the build tree for one test.
std::string scratch_dir(const std::string& name);
std::string read_file(const std::string& path);

// The rdisplay-server with a built-in app on a free port; waits until it listens.
class ServerProcess {
 public:
  // name prefixes its files in dir (stats, stdout, stderr): several servers may share it.
  ServerProcess(const std::string& dir, std::vector<std::string> args, const std::string& name = "server");
  std::uint16_t port() const { return port_; }
  int rfb_port() const { return rfb_port_; }
  int web_port() const { return web_port_; }
  std::string vnc_url() const { return "vnc://127.0.0.1:" + std::to_string(rfb_port_); }
  std::string url() const { return "rdisplay://127.0.0.1:" + std::to_string(port_); }
  Process& proc() { return *proc_; }
  // Asks the running server for its stats (SIGUSR1) and returns what it wrote; the
  // file is replaced atomically, so a read never sees half of it.
  std::string poll_stats();
  // SIGTERM, wait for the exit, and return the stats file it wrote.
  std::string stop_and_read_stats();
  std::string stats_path() const { return stats_; }

 private:
  std::unique_ptr<Process> proc_;
  std::uint16_t port_ = 0;
  int rfb_port_ = 0, web_port_ = 0;
  std::string stats_;
};

extern const char* const kServerBin;
extern const char* const kViewerBin;

}  // namespace rd::test
