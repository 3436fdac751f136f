#include "tests/support/viewer.hpp"

#include <signal.h>

#include <doctest/doctest.h>

namespace rd::test {

HeadlessViewer::HeadlessViewer(const std::string& dir, const std::string& name, const std::string& url,
                               std::vector<std::string> args)
    : name_(name), stats_(dir + "/" + name + "-stats.json"), shot_(dir + "/" + name + ".png") {
  std::vector<std::string> argv{kViewerBin, url, "--headless", "--stats", stats_, "--screenshot", shot_};
  argv.insert(argv.end(), args.begin(), args.end());
  proc_ = std::make_unique<Process>(argv, dir, name);
}

nlohmann::json HeadlessViewer::finish(std::chrono::milliseconds timeout) {
  auto rc = proc_->wait(timeout);
  REQUIRE_MESSAGE(rc.has_value(), name_ << " did not exit in time; stderr:\n" << proc_->err());
  CHECK_MESSAGE(*rc == 0, name_ << " exit status " << *rc << "; stderr:\n" << proc_->err());
  return parse_json(read_file(stats_), name_ + " stats");
}

nlohmann::json HeadlessViewer::poll_stats() {
  auto seq_of = [](const std::string& text) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    return j.is_object() && j.contains("stats_seq") ? j["stats_seq"].get<long>() : 0L;
  };
  long old_seq = seq_of(read_file(stats_));
  REQUIRE_MESSAGE(proc_->signal_when_caught(SIGUSR1), name_ << " does not take SIGUSR1; stderr:\n" << proc_->err());
  std::string now;
  bool fresh = wait_until([&] {
    now = read_file(stats_);
    return seq_of(now) > old_seq;
  }, 10s);
  REQUIRE_MESSAGE(fresh, name_ << " did not write its stats after SIGUSR1");
  return parse_json(now, name_ + " live stats");
}

nlohmann::json parse_json(const std::string& text, const std::string& what) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  REQUIRE_MESSAGE(!j.is_discarded(), what << " is not JSON: " << text.substr(0, 200));
  return j;
}

ViewerRun run_viewer(const std::string& dir, const std::string& name, std::vector<std::string> args) {
  args.insert(args.begin(), kViewerBin);
  Process p(args, dir, name);
  auto code = p.wait(30s);
  REQUIRE_MESSAGE(code, name << " did not exit");
  return {*code, p.err()};
}

std::size_t lines_of(const std::string& s) {
  std::size_t n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

}  // namespace rd::test
