#include "tests/support/process.hpp"

#include "common/child_process.hpp"

#include <signal.h>
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

namespace {
// Logs the command line (doctest keeps it with the test's output) and passes it on.
const std::vector<std::string>& logged(const std::string& name, const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv) s += " " + a;
  MESSAGE("spawn " << name << ":" << s);
  return argv;
}
}  // namespace

Process::Process(std::vector<std::string> argv, const std::string& log_dir, const std::string& name,
                 std::map<std::string, std::string> env)
    : out_path_(log_dir + "/" + name + ".out"),
      err_path_(log_dir + "/" + name + ".err"),
      child_(logged(name, argv), out_path_, err_path_, env) {}

Process::~Process() = default;  // ChildProcess kills what still runs

std::optional<int> Process::wait(std::chrono::milliseconds timeout) { return child_.wait(timeout); }

void Process::signal(int sig) { child_.signal(sig); }

bool Process::catches(int sig) const {
  std::ifstream f("/proc/" + std::to_string(child_.pid()) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("SigCgt:", 0) == 0) {
      unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      return (mask >> (sig - 1)) & 1;
    }
  return false;
}

bool Process::signal_when_caught(int sig, std::chrono::milliseconds timeout) {
  if (!wait_until([&] { return catches(sig) || !running(); }, timeout) || !running()) return false;
  signal(sig);
  return true;
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

ServerProcess::ServerProcess(const std::string& dir, std::vector<std::string> args, const std::string& name)
    : stats_(dir + "/" + name + "-stats.json") {
  // A free RFB port too (tests run in parallel): libvncserver scans up from 5900.
  std::vector<std::string> argv{kServerBin, "--port", "0", "--rfb-port", "auto", "--stats", stats_};
  argv.insert(argv.end(), args.begin(), args.end());
  proc_ = std::make_unique<Process>(argv, dir, name);
  auto line = proc_->wait_for_line("listening on", 20s);
  if (!line) FAIL("server did not start; stderr:\n" << proc_->err());
  int port = listening_port(*line);
  if (port <= 0) FAIL("no port in: " << *line);
  port_ = static_cast<std::uint16_t>(port);
  rfb_port_ = ready_line_port(*line, "rfb ");
  web_port_ = ready_line_port(*line, "web http://");
}

std::string ServerProcess::poll_stats() {
  auto seq_of = [](const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    return j.is_object() && j.contains("stats_seq") ? j["stats_seq"].get<long>() : 0L;
  };
  long old_seq = seq_of(read_file(stats_));
  REQUIRE_MESSAGE(proc_->signal_when_caught(SIGUSR1), "the server does not take SIGUSR1; stderr:\n" << proc_->err());
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
