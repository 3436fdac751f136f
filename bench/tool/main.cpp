// rdisplay-bench: X11 style against VNC style, on scripted apps and real X programs,
// through imitated networks, against real peers. Runs workloads × encodings × network
// profiles, one server and one headless viewer at a time, and writes results.csv,
// results.json, report.md and plots into --out.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "bench/tool/catalog.hpp"
#include "bench/tool/net_profile.hpp"
#include "bench/tool/report.hpp"
#include "bench/tool/runner.hpp"
#include "common/child_process.hpp"

using namespace rd;
using namespace rd::bench;

namespace {

bool selected(const std::string& name, const std::vector<std::string>& filter) {
  if (filter.empty()) return true;
  for (const auto& f : filter)
    if (name == f || (f.back() == '*' && name.rfind(f.substr(0, f.size() - 1), 0) == 0)) return true;
  return false;
}

std::string machine() {
  std::ifstream f("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(f, line))
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " CPUs";
}

void list() {
  std::printf("workloads (* = in --quick):\n");
  for (const auto& w : workloads()) std::printf("  %-20s %s %s\n", w.name.c_str(), w.quick ? "*" : " ", w.description.c_str());
  std::printf("encodings (style; * = in --quick):\n");
  for (const auto& e : encodings())
    std::printf("  %-16s %-5s %s %s%s\n", e.name.c_str(), e.style.c_str(), e.quick ? "*" : " ", e.description.c_str(),
                e.for_apps && e.for_x ? "" : (e.for_apps ? " [apps]" : " [X]"));
  std::printf("network profiles (--quick: lan, and all for workloads that measure input latency):\n");
  for (const auto& p : net_profiles()) std::printf("  %-8s %s\n", p.name.c_str(), p.describe().c_str());
}

void progress(std::size_t done, std::size_t total, const std::string& what, double elapsed, bool tty) {
  if (!tty) {
    if (!what.empty()) std::fprintf(stderr, "[%zu/%zu] %s\n", done + 1, total, what.c_str());
    return;
  }
  const int width = 30;
  int filled = total ? static_cast<int>(width * done / total) : width;
  std::string bar(static_cast<std::size_t>(filled), '#');
  bar.resize(width, '.');
  double eta = done ? elapsed / static_cast<double>(done) * static_cast<double>(total - done) : 0;
  std::fprintf(stderr, "\r\033[K[%s] %zu/%zu %3.0fs elapsed, ~%3.0fs left  %s", bar.c_str(), done, total, elapsed, eta, what.c_str());
  std::fflush(stderr);
}

void write_results(const nlohmann::json& rows, const RunInfo& info, const std::string& out) {
  std::ofstream(out + "/results.json") << nlohmann::json{{"command", info.command}, {"machine", info.machine}, {"started", info.started},
                                                          {"seconds", info.seconds}, {"runs", rows}}
                                              .dump(2)
                                       << "\n";
  write_csv(rows, out + "/results.csv");
}

int report_from(const std::vector<std::string>& files, const std::string& out) {
  RunInfo info;
  std::map<std::string, std::size_t> at;  // workload|encoding|profile|repeat -> row
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& f : files) {
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(slurp(f));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rdisplay-bench: %s: %s\n", f.c_str(), e.what());
      return 2;
    }
    info.command += (info.command.empty() ? "" : " + ") + j.value("command", f);
    info.machine = j.value("machine", info.machine);
    if (info.started.empty()) info.started = j.value("started", "");
    info.seconds += j.value("seconds", 0.0);
    for (const auto& r : j["runs"]) {
      std::string k = r["workload"].get<std::string>() + "|" + r["encoding"].get<std::string>() + "|" + r["profile"].get<std::string>() + "|" +
                      std::to_string(r.value("repeat", 0));
      if (auto it = at.find(k); it != at.end()) {
        rows[it->second] = r;
      } else {
        at[k] = rows.size();
        rows.push_back(r);
      }
    }
  }
  std::filesystem::create_directories(out);
  write_results(rows, info, out);
  std::string plot_problem = write_report(rows, info, out);
  if (!plot_problem.empty()) std::fprintf(stderr, "rdisplay-bench: %s\n", plot_problem.c_str());
  std::printf("%zu runs from %zu files: %s/report.md\n", rows.size(), files.size(), out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bin = std::filesystem::path(argv[0]).parent_path().parent_path().string();
  Programs programs{bin + "/server/rdisplay-server", bin + "/client/rdisplay-viewer"};
  std::string out = "bench-out";
  std::vector<std::string> wl_filter, enc_filter, prof_filter;
  bool quick = false, do_list = false;
  int repeat = 1;
  CLI::App cli{"rdisplay-bench: X11 style (drawing commands) against VNC style (pixels), on demo apps and real X programs, through imitated "
               "networks, against real VNC peers"};
  cli.add_option("--out", out, "folder for results.csv, results.json, report.md, plots and each run's logs")->capture_default_str();
  cli.add_flag("--quick", quick, "the starred workloads and encodings, shorter scripts, lan only (all profiles for input latency): < 3 min");
  cli.add_flag("--list", do_list, "list workloads, encodings and network profiles, then exit");
  cli.add_option("--workloads,-w", wl_filter, "run only these workloads (comma-separated; a trailing * matches a prefix)")->delimiter(',');
  cli.add_option("--encodings,-e", enc_filter, "run only these encodings")->delimiter(',');
  cli.add_option("--profiles,-p", prof_filter, "run only these network profiles")->delimiter(',');
  cli.add_option("--repeat", repeat, "run each combination this many times (the report shows how far the bytes moved)")
      ->check(CLI::Range(1, 20))
      ->capture_default_str();
  std::vector<std::string> from_results;
  cli.add_option("--from-results", from_results,
                 "run nothing: write the report and plots into --out from these results.json files (repeatable; a later file's run "
                 "replaces an earlier one's of the same workload, encoding, profile and repeat)")
      ->check(CLI::ExistingFile);
  std::vector<std::string> traces;
  cli.add_option("--trace", traces, "also replay this trace (rdisplay-server --record) through every encoding; repeatable")
      ->check(CLI::ExistingFile);
  cli.add_option("--server", programs.server, "rdisplay-server binary")->capture_default_str();
  cli.add_option("--viewer", programs.viewer, "rdisplay-viewer binary")->capture_default_str();
  CLI11_PARSE(cli, argc, argv);
  if (do_list) {
    list();
    return 0;
  }
  if (!from_results.empty()) return report_from(from_results, out);
  for (const auto& [names, kind] : {std::pair{&wl_filter, "workload"}, {&enc_filter, "encoding"}, {&prof_filter, "profile"}})
    for (const auto& n : *names) {
      bool known = false;
      if (std::string(kind) == "workload") for (const auto& w : workloads()) known = known || selected(w.name, {n});
      if (std::string(kind) == "encoding") for (const auto& e : encodings()) known = known || selected(e.name, {n});
      if (std::string(kind) == "profile") for (const auto& p : net_profiles()) known = known || selected(p.name, {n});
      if (!known) {
        std::fprintf(stderr, "rdisplay-bench: no %s named %s (see --list)\n", kind, n.c_str());
        return 2;
      }
    }

  std::vector<Workload> all_workloads = workloads();
  for (const auto& t : traces) all_workloads.push_back(trace_workload(t));
  std::vector<RunSpec> plan;
  for (const auto& p : net_profiles())
    for (const auto& w : all_workloads)
      for (const auto& e : encodings()) {
        // Traces named with --trace run whatever -w says.
        if (!applies(e, w) || (w.trace.empty() && !selected(w.name, wl_filter)) || !selected(e.name, enc_filter) || !selected(p.name, prof_filter))
          continue;
        if (quick && wl_filter.empty() && !w.quick) continue;
        if (quick && enc_filter.empty() && !e.quick) continue;
        if (quick && prof_filter.empty() && p.name != "lan" && !w.all_profiles) continue;
        for (int i = 0; i < repeat; ++i)
          plan.push_back({&w, &e, &p, quick, i, out + "/runs/" + w.name + "." + e.name + "." + p.name + (repeat > 1 ? "." + std::to_string(i) : ""),
                          out + "/media"});
      }
  if (plan.empty()) {
    std::fprintf(stderr, "rdisplay-bench: nothing to run with these filters (see --list)\n");
    return 2;
  }
  std::filesystem::create_directories(out);
  RunInfo info;
  for (int i = 0; i < argc; ++i) info.command += (i ? " " : "") + std::string(argv[i]);
  info.machine = machine();
  std::time_t now = std::time(nullptr);
  char when[64];
  std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", std::gmtime(&now));
  info.started = when;

  const bool tty = isatty(STDERR_FILENO);
  auto t0 = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  nlohmann::json rows = nlohmann::json::array();
  int failed = 0;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const RunSpec& s = plan[i];
    std::string what = s.workload->name + " × " + s.encoding->name + " × " + s.profile->name;
    progress(i, plan.size(), what, elapsed(), tty);
    try {
      rows.push_back(run_one(s, programs));
      // A long run interrupted still leaves what it measured.
      info.seconds = elapsed();
      write_results(rows, info, out);
    } catch (const std::exception& e) {
      ++failed;
      rows.push_back({{"workload", s.workload->name}, {"encoding", s.encoding->name}, {"style", s.encoding->style}, {"profile", s.profile->name},
                      {"repeat", s.repeat}, {"error", e.what()}});
      if (tty) std::fprintf(stderr, "\n");
      std::fprintf(stderr, "rdisplay-bench: %s failed: %s\n", what.c_str(), e.what());
    }
  }
  progress(plan.size(), plan.size(), "", elapsed(), tty);
  if (tty) std::fprintf(stderr, "\n");
  info.seconds = elapsed();
  add_cross_run_figures(rows);
  write_results(rows, info, out);
  std::string plot_problem = write_report(rows, info, out);
  if (!plot_problem.empty()) std::fprintf(stderr, "rdisplay-bench: %s\n", plot_problem.c_str());
  std::printf("%zu runs (%d failed) in %.0f s: %s/report.md, results.csv, results.json\n", plan.size(), failed, info.seconds, out.c_str());
  return failed ? 1 : 0;
}
