#pragma once
#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rd {

// A program started with its stdout and stderr in files, in a process group of its own;
// ended (the whole group: SIGTERM, then SIGKILL after 2 s) if still running when this
// object goes.
class ChildProcess {
 public:
  // argv[0] is looked up in PATH; env adds to (or overrides) the parent's environment;
  // an empty out_path or err_path leaves that stream as the parent's.
  ChildProcess(const std::vector<std::string>& argv, const std::string& out_path, const std::string& err_path,
               const std::map<std::string, std::string>& env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  pid_t pid() const { return pid_; }
  void signal(int sig);        // to the process
  void signal_group(int sig);  // to its whole process group (what it started too)
  bool running();
  // Exit status, or nullopt when it has not exited within the timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
};

std::string slurp(const std::string& path);

// The port in rdisplay-server's ready line ("listening on ADDR:PORT ..."), or 0.
int listening_port(const std::string& server_stdout);
// The port after `key` ("rfb " or "web http://") in the ready line, or 0.
int ready_line_port(const std::string& server_stdout, const std::string& key);

}  // namespace rd
