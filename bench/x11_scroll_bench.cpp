// rdisplay-bench-x11-scroll: scrolling text on a real X server, against x11vnc. On a
// private Xvfb, xterm runs `seq 1 N` (the classic scroll workload) while one server
// watches the display and one headless viewer receives what it sends:
//   rdisplay-server --x11 with scroll detection on, the same with it off, and x11vnc
//   (Debian's, its own scroll and copy detection at their defaults) read by
//   `rdisplay-viewer vnc://` (libvncclient).
// Each peer gets a fresh Xvfb and xterm and the same workload; the figures are the bytes
// the viewer received from the start of `seq` until the screen is idle, as ratios to
// rdisplay's in the same run, and every viewer's last frame must match the display.
#include <signal.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/child_process.hpp"
#include "bench/tool/process_watch.hpp"
#include "common/process_stats.hpp"

using namespace rd;
using namespace rd::bench;
using namespace std::chrono_literals;

namespace {

struct Peer {
  std::string name;
  enum Kind { Rdisplay, X11vnc } kind;
  std::vector<std::string> args;
};

nlohmann::json run(const Peer& peer, const std::string& bin, const std::string& dir, int lines, const std::string& geometry, bool jump) {
  std::string base = dir + "/" + peer.name;
  for (const char* f : {"-xvfb.out", "-go", "-done", "-viewer.json", "-server.out"}) std::filesystem::remove(base + f);
  ChildProcess xvfb({"Xvfb", "-displayfd", "1", "-nolisten", "tcp", "-noreset", "-screen", "0", geometry + "x24"}, base + "-xvfb.out",
                    base + "-xvfb.err");
  std::string num;
  if (!wait_for([&] { num = slurp(base + "-xvfb.out"); return !num.empty() && num.back() == '\n'; }, 20s))
    throw std::runtime_error("Xvfb did not start: " + slurp(base + "-xvfb.err"));
  std::string display = ":" + num.substr(0, num.size() - 1);
  std::map<std::string, std::string> env{{"DISPLAY", display}};
  // The workload waits for the go file, so that the viewer holds the first screen first.
  std::string script = "while [ ! -e " + base + "-go ]; do sleep 0.05; done; seq 1 " + std::to_string(lines) + "; touch " + base + "-done";
  ChildProcess xterm({"xterm", jump ? "-j" : "+j", "-geometry", "120x50+0+0", "-e", "sh", "-c", script}, base + "-xterm.out", base + "-xterm.err", env);

  std::unique_ptr<ChildProcess> server;
  std::string url;
  if (peer.kind == Peer::Rdisplay) {
    std::vector<std::string> a{bin + "/server/rdisplay-server", "--x11", display, "--port", "0", "--rfb-port", "0", "--log-level", "warn",
                               "--stats", base + "-server.json"};
    a.insert(a.end(), peer.args.begin(), peer.args.end());
    server = std::make_unique<ChildProcess>(a, base + "-server.out", base + "-server.err");
    int port = 0;
    wait_for([&] { return (port = listening_port(slurp(base + "-server.out"))) != 0; }, 20s);
    if (!port) throw std::runtime_error("rdisplay-server did not start: " + slurp(base + "-server.err"));
    url = "rdisplay://127.0.0.1:" + std::to_string(port);
  } else {
    int port = free_loopback_port();
    std::vector<std::string> a{"x11vnc", "-display", display, "-rfbport", std::to_string(port), "-localhost", "-nopw", "-forever",
                               "-shared", "-quiet"};
    a.insert(a.end(), peer.args.begin(), peer.args.end());
    server = std::make_unique<ChildProcess>(a, base + "-server.out", base + "-server.err");
    wait_for([&] { return slurp(base + "-server.out").find("PORT=") != std::string::npos; }, 20s);
    url = "vnc://127.0.0.1:" + std::to_string(port);
  }
  ChildProcess viewer({bin + "/client/rdisplay-viewer", url, "--headless", "--exit-when-idle", "3000", "--stats", base + "-viewer.json"},
                      base + "-viewer.out", base + "-viewer.err");
  // The first screen has arrived: the viewer has frames (SIGUSR1 rewrites its stats).
  if (!wait_for([&] {
        if (!catches(viewer.pid(), SIGUSR1)) return false;
        viewer.signal(SIGUSR1);
        return read_json(base + "-viewer.json").value("frames", 0) > 0;
      }, 20s))
    throw std::runtime_error(peer.name + ": the viewer got no first frame: " + slurp(base + "-viewer.err"));
  viewer.signal(SIGUSR1);
  std::this_thread::sleep_for(100ms);
  auto before = read_json(base + "-viewer.json");
  auto t0 = std::chrono::steady_clock::now();
  std::ofstream(base + "-go") << "go";
  if (!wait_for([&] { return std::filesystem::exists(base + "-done"); }, 600s)) throw std::runtime_error("seq did not finish");
  double seq_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto rc = viewer.wait(120s);
  if (!rc || *rc != 0) throw std::runtime_error(peer.name + ": viewer failed: " + slurp(base + "-viewer.err"));
  auto v = read_json(base + "-viewer.json");
  // The screen as X has it, against what the viewer ended with.
  ChildProcess xwd({"xwd", "-root", "-silent", "-out", base + ".xwd"}, "", base + "-xwd.err", env);
  xwd.wait(30s);
  double server_cpu = cpu_seconds_of(server->pid());
  server->signal(SIGTERM);
  server->wait(10s);
  nlohmann::json r = {{"peer", peer.name},
                      {"bytes", v["bytes_received"].get<double>() - before.value("bytes_received", 0.0)},
                      {"frames", v["frames"]},
                      {"seq_seconds", seq_s},
                      {"server_cpu_s", server_cpu},
                      {"viewer_hash", v["framebuffer_hash"]}};
  if (v.contains("copies")) r["copies"] = v["copies"];
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"rdisplay-bench-x11-scroll: xterm running seq on Xvfb, streamed by rdisplay-server (scroll detection on, off) and x11vnc"};
  std::string bin = std::filesystem::path(argv[0]).parent_path().parent_path().string(), dir = "bench-x11-scroll-out", json_out;
  std::string geometry = "1280x800";
  int lines = 200000;
  bool jump = false;
  cli.add_option("--lines", lines, "seq 1 LINES")->check(CLI::Range(100, 10000000))->capture_default_str();
  cli.add_option("--geometry", geometry, "Xvfb screen WxH")->capture_default_str();
  cli.add_flag("--jump-scroll", jump, "let xterm skip lines (-j): it then redraws a few screens instead of scrolling each line");
  cli.add_option("--build-dir", bin, "where server/ and client/ are")->capture_default_str();
  cli.add_option("--work-dir", dir, "folder for logs")->capture_default_str();
  cli.add_option("--json", json_out, "also write the results as JSON");
  CLI11_PARSE(cli, argc, argv);
  std::filesystem::create_directories(dir);
  std::vector<Peer> peers = {{"rdisplay", Peer::Rdisplay, {}},
                             {"rdisplay-scroll-off", Peer::Rdisplay, {"--scroll-detection", "off"}},
                             {"x11vnc", Peer::X11vnc, {}}};
  std::printf("xterm %s 120x50 running `seq 1 %d` on a %s Xvfb; bytes received from the start of seq until idle\n\n", jump ? "-j" : "+j",
              lines, geometry.c_str());
  std::printf("| peer | seq s | frames | MB | bytes vs rdisplay | server CPU s | copies |\n|---|---:|---:|---:|---:|---:|---:|\n");
  nlohmann::json all = nlohmann::json::array();
  double ours = 0;
  for (const Peer& p : peers) {
    try {
      auto r = run(p, bin, dir, lines, geometry, jump);
      if (p.name == "rdisplay") ours = r["bytes"].get<double>();
      std::printf("| %s | %.1f | %d | %.2f | %.2f | %.2f | %s |\n", p.name.c_str(), r["seq_seconds"].get<double>(), r["frames"].get<int>(),
                  r["bytes"].get<double>() / 1e6, ours > 0 ? r["bytes"].get<double>() / ours : 0.0, r["server_cpu_s"].get<double>(),
                  r.contains("copies") ? std::to_string(r["copies"].get<long>()).c_str() : "-");
      std::fflush(stdout);
      all.push_back(r);
    } catch (const std::exception& e) {
      std::printf("| %s | failed: %s |\n", p.name.c_str(), e.what());
    }
  }
  if (!json_out.empty()) std::ofstream(json_out) << all.dump(2) << "\n";
  return 0;
}
