#include "tests/support/process.hpp"

#include "bench/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace rd::test {

const char* const kServerBin = RDISPLAY_SERVER_BIN;
const char* const kViewerBin = RDISPLAY_VIEWER_BIN;

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);  // polling interval of the condition, not a wait for an event
  }
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string scratch_dir(const std::string& name) {
  std::string safe;
  for (char c : name) safe += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  auto dir = std::filesystem::path(RDISPLAY_TEST_SCRATCH) / (safe + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

Process::Process(std::vector<std::string> argv, const std::string& log_dir, const std::string& name,
                 std::map<std::string, std::string> env)
    : out_path_(log_dir + "/" + name + ".out"), err_path_(log_dir + "/" + name + ".err") {
  MESSAGE("spawn " << name << ":" << [&] {
    std::string s;
    for (auto& a : argv) s += " " + a;
    return s;
  }());
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, 1);
    ::dup2(err, 2);
    ::setpgid(0, 0);
    for (auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(5000ms);
  }
}

bool Process::running() {
  if (status_) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return r == 0;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  wait_until([&] { return !running(); }, timeout);
  return status_;
}

void Process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::string Process::out() const { return read_file(out_path_); }
std::string Process::err() const { return read_file(err_path_); }

std::optional<std::string> Process::wait_for_line(const std::string& needle, std::chrono::milliseconds timeout) {
  std::optional<std::string> found;
  wait_until(
      [&] {
        std::istringstream in(out());
        std::string line;
        while (std::getline(in, line))
          if (line.find(needle) != std::string::npos) {
            found = line;
            return true;
          }
        return !running();
      },
      timeout);
  return found;
}

ServerProcess::ServerProcess(const std::string& dir, std::vector<std::string> args) : stats_(dir + "/server-stats.json") {
  std::vector<std::string> argv{kServerBin, "--port", "0", "--stats", stats_};
  argv.insert(argv.end(), args.begin(), args.end());
  proc_ = std::make_unique<Process>(argv, dir, "server");
  auto line = proc_->wait_for_line("listening on", 20s);
  if (!line) FAIL("server did not start; stderr:\n" << proc_->err());
  int port = bench::listening_port(*line);
  if (port <= 0) FAIL("no port in: " << *line);
  port_ = static_cast<std::uint16_t>(port);
}

std::string ServerProcess::poll_stats() {
  auto seq_of = [](const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    return j.is_object() && j.contains("stats_seq") ? j["stats_seq"].get<long>() : 0L;
  };
  long old_seq = seq_of(read_file(stats_));
  proc_->signal(SIGUSR1);
  std::string now;
  bool fresh = wait_until([&] {
    now = read_file(stats_);
    return seq_of(now) > old_seq;
  }, 10s);
  REQUIRE_MESSAGE(fresh, "the server did not write its stats after SIGUSR1");
  return now;
}

std::string ServerProcess::stop_and_read_stats() {
  proc_->signal(SIGTERM);
  auto rc = proc_->wait(20s);
  REQUIRE_MESSAGE(rc.has_value(), "server did not exit after SIGTERM");
  CHECK_MESSAGE(*rc == 0, "server exit status " << *rc << "; stderr:\n" << proc_->err());
  return read_file(stats_);
}

}  // namespace rd::test
