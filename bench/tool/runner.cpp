#include "bench/tool/runner.hpp"

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <thread>

#include "bench/tool/media.hpp"
#include "bench/tool/process_watch.hpp"
#include "bench/tool/shaped_relay.hpp"
#include "common/child_process.hpp"
#include "common/process_stats.hpp"
#include "x11bridge/xwd_file.hpp"

namespace rd::bench {

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The viewer's stats as of now (SIGUSR1 makes it rewrite the file).
nlohmann::json viewer_stats_now(ChildProcess& viewer, const std::string& path) {
  if (!catches(viewer.pid(), SIGUSR1)) return nlohmann::json::object();
  auto before = read_json(path).value("stats_seq", -1);
  viewer.signal(SIGUSR1);
  nlohmann::json j;
  wait_for([&] { j = read_json(path); return j.value("stats_seq", -1) != before && j.contains("frames"); }, 2s);
  return j;
}

// Debian's x0vncserver is a Perl wrapper that runs X0tigervnc as a child; the bench
// starts the binary itself so that its CPU and memory are the ones measured.
std::string x0vncserver_binary() { return std::filesystem::exists("/usr/bin/X0tigervnc") ? "/usr/bin/X0tigervnc" : "x0vncserver"; }

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) s.replace(at, from.size(), to);
  return s;
}

double ms(const nlohmann::json& v, const char* group, const char* key) {
  return v.contains(group) ? v[group].value(key, 0.0) : 0.0;
}

// The viewer's side of a result row.
void add_viewer_figures(nlohmann::json& r, const nlohmann::json& v, const nlohmann::json& before) {
  r["frames"] = v.value("frames", 0) - before.value("frames", 0);
  bool rfb = v.contains("update_ms");
  r["update_p50_ms"] = rfb ? ms(v, "update_ms", "p50") : ms(v, "decode_ms", "p50");
  r["update_p99_ms"] = rfb ? ms(v, "update_ms", "p99") : ms(v, "decode_ms", "p99");
  r["viewer_cpu_s"] = v.value("cpu_seconds", 0.0) - before.value("cpu_seconds", 0.0);
  r["viewer_peak_rss_mib"] = v.value("peak_rss_kib", 0.0) / 1024;
  r["decoder_tlp"] = v.contains("decode_pool") ? v["decode_pool"].value("tlp", 0.0) : 0.0;
  if (v.contains("input_latency_ms") && v["input_latency_ms"].value("count", 0) > 0) {
    r["input_p50_ms"] = ms(v, "input_latency_ms", "p50");
    r["input_p99_ms"] = ms(v, "input_latency_ms", "p99");
    r["inputs"] = v["input_latency_ms"]["count"];
  }
}

// The bench ends a run (SIGTERM) once the workload is done and the wire quiet; an
// input-latency run ends after its probing time.
std::vector<std::string> viewer_argv(const Programs& p, const std::string& url, const RunSpec& s, const std::string& base) {
  std::vector<std::string> a{p.viewer, url, "--headless", "--stats", base + "viewer.json", "--screenshot", base + "viewer.png"};
  if (s.workload->probe_seconds > 0) {
    double secs = s.quick ? 2 : s.workload->probe_seconds;
    a.insert(a.end(), {"--probe-input", "20", "--exit-after", std::to_string(secs)});
  }
  a.insert(a.end(), s.encoding->viewer_args.begin(), s.encoding->viewer_args.end());
  return a;
}

nlohmann::json run_app(const RunSpec& s, const Programs& p, nlohmann::json r) {
  const Workload& w = *s.workload;
  const Encoding& e = *s.encoding;
  const std::string base = s.dir + "/";
  const bool rfb = e.server == Encoding::Rfb;
  int frames = s.quick ? w.frames_quick : w.frames;
  std::vector<std::string> sargs{p.server, "--fps", std::to_string(w.fps), "--port", "0", "--rfb-port", rfb ? "auto" : "0",
                                 "--stats", base + "server.json", "--log-level", "warn", "--wait-for-viewer"};
  if (w.trace.empty())
    sargs.insert(sargs.end(), {"--app", w.app, "--geometry", w.geometry, "--frames", std::to_string(frames)});
  else
    sargs.insert(sargs.end(), {"--play", w.trace});  // to its end, then still
  sargs.insert(sargs.end(), e.server_args.begin(), e.server_args.end());
  ChildProcess server(sargs, base + "server.out", base + "server.err");
  int port = 0;
  wait_for([&] {
    std::string out = slurp(base + "server.out");
    port = rfb ? ready_line_port(out, "rfb ") : listening_port(out);
    return port != 0 || !server.running();
  }, 20s);
  if (!port) throw std::runtime_error("server did not start: " + slurp(base + "server.err"));
  ShapedRelay relay(*s.profile, {port, {}});
  std::string url = (rfb ? "vnc://127.0.0.1:" : "rdisplay://127.0.0.1:") + std::to_string(relay.port());
  auto t0 = Clock::now();
  ChildProcess viewer(viewer_argv(p, url, s, base), base + "viewer.out", base + "viewer.err");
  if (s.workload->probe_seconds <= 0) {
    // The end: the app's script (or trace) is done and nothing has gone on the wire for
    // a second: on a slow network the last updates take their time, so the viewer's own
    // idle timeout is not the measure.
    const std::string stats = base + "server.json";
    auto script_done = [&] {
      if (!catches(server.pid(), SIGUSR1)) return false;
      auto seq = read_json(stats).value("stats_seq", -1);
      server.signal(SIGUSR1);
      nlohmann::json j;
      wait_for([&] { j = read_json(stats); return j.value("stats_seq", -1) != seq; }, 2s);
      return j.value("app_script_done", false) || (j.contains("app_state") && j["app_state"].is_object() && j["app_state"].value("trace_ended", false));
    };
    // Asked only once the wire is quiet: each question makes the server write its stats,
    // which must not count in the CPU it spends serving.
    if (!wait_for([&] { return !viewer.running() || (relay.quiet_for() > 1000ms && script_done()); }, 600s))
      throw std::runtime_error("the app's script did not end within 600 s");
    r["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count() - 1.0;
    viewer.signal(SIGTERM);
  }
  auto rc = viewer.wait(60s);
  if (!rc || *rc != 0) throw std::runtime_error("viewer failed: " + slurp(base + "viewer.err"));
  if (!r.contains("seconds")) r["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
  server.signal(SIGTERM);
  server.wait(30s);
  auto sv = read_json(base + "server.json");
  auto v = read_json(base + "viewer.json");
  r["bytes_down"] = relay.bytes_down();
  r["bytes_up"] = relay.bytes_up();
  add_viewer_figures(r, v, nlohmann::json::object());
  // Serving: the server's CPU after start-up but for the app's own (drawing, publishing).
  r["server_cpu_s"] = sv.value("cpu_seconds", 0.0) - sv.value("cpu_seconds_at_ready", 0.0) -
                      (sv.contains("app_timing") ? sv["app_timing"].value("cpu_seconds", 0.0) : 0.0);
  r["server_peak_rss_mib"] = sv.value("peak_rss_kib", 0.0) / 1024;
  if (!rfb && sv.contains("viewers") && !sv["viewers"].empty()) r["encode_mpix_s"] = sv["viewers"][0].value("encode_mpix_per_s", 0.0);
  if (!rfb && sv.contains("encoder_pool")) r["encoder_tlp"] = sv["encoder_pool"].value("tlp", 0.0);
  r["bit_exact"] = v.value("framebuffer_hash", std::string("v")) == sv.value("surface_hash", std::string("s"));
  r["screenshot"] = base + "viewer.png";
  return r;
}

// A private Xvfb for one run, and its X client(s).
struct XRig {
  std::unique_ptr<ChildProcess> xvfb;
  std::string display;  // ":N"
  int number = 0;
};

// `no_shm`: without MIT-SHM, as for an X client on another machine: images then go on
// the wire (PutImage) instead of through shared memory beside it.
XRig start_xvfb(const std::string& base, const std::string& geometry, bool no_shm) {
  XRig x;
  std::vector<std::string> argv{"Xvfb", "-displayfd", "1", "-nolisten", "tcp", "-noreset", "-screen", "0", geometry + "x24"};
  if (no_shm) argv.insert(argv.end(), {"-extension", "MIT-SHM"});
  x.xvfb = std::make_unique<ChildProcess>(argv, base + "xvfb.out", base + "xvfb.err");
  std::string num;
  if (!wait_for([&] { num = slurp(base + "xvfb.out"); return !num.empty() && num.back() == '\n'; }, 20s))
    throw std::runtime_error("Xvfb did not start: " + slurp(base + "xvfb.err"));
  x.number = std::stoi(num);
  x.display = std::string(":").append(std::to_string(x.number));
  return x;
}

nlohmann::json run_x(const RunSpec& s, const Programs& p, nlohmann::json r) {
  const Workload& w = *s.workload;
  const Encoding& e = *s.encoding;
  const std::string base = s.dir + "/";
  for (const char* f : {"GO", "DONE", "READY"}) std::filesystem::remove(base + f);
  const bool wire = e.server == Encoding::X11Wire;
  XRig x = start_xvfb(base, w.geometry, wire);
  const int scale = s.quick ? w.scale_quick : w.scale;
  if (w.media == Workload::Slides) ensure_slides(s.media_dir, scale, 800, 600);
  if (w.media == Workload::Clip) ensure_clip(s.media_dir, scale);
  auto fill = [&](const std::string& cmd) {
    std::string c = replace_all(cmd, "GO", base + "GO");
    c = replace_all(c, "DONE", base + "DONE");
    c = replace_all(c, "READY", base + "READY");
    c = replace_all(c, "MEDIA", s.media_dir);
    return replace_all(c, "SCALE", std::to_string(scale));
  };
  std::unique_ptr<ShapedRelay> relay;
  std::string app_display = x.display;
  if (wire) {
    // The X client reaches the X server over TCP, display 127.0.0.1:M = port 6000+M.
    for (int m = 20; m < 100 && !relay; ++m) {
      try {
        relay = std::make_unique<ShapedRelay>(*s.profile, ShapedRelay::Target{0, "/tmp/.X11-unix/X" + std::to_string(x.number)}, 6000 + m);
        app_display = "127.0.0.1:" + std::to_string(m);
      } catch (const std::exception&) {
      }
    }
    if (!relay) throw std::runtime_error("no free X display port for the relay (6020-6099)");
  }
  ChildProcess app({"sh", "-c", fill(w.x_app)}, base + "app.out", base + "app.err", {{"DISPLAY", app_display}});
  // Over a slow imitated network an X client's start-up (a round trip per query) is slow.
  if (w.x_app_waits_ready &&
      (!wait_for([&] { return std::filesystem::exists(base + "READY") || !app.running(); }, 90s) || !std::filesystem::exists(base + "READY")))
    throw std::runtime_error("the X app did not start: " + slurp(base + "app.err"));
  std::unique_ptr<ChildProcess> server, viewer;
  nlohmann::json before = nlohmann::json::object();
  if (!wire) {
    int port = 0;
    const std::string out = base + "server.out", err = base + "server.err";
    if (e.server == Encoding::Native || e.server == Encoding::Rfb) {
      const bool rfb = e.server == Encoding::Rfb;
      std::vector<std::string> a{p.server, "--x11", x.display, "--port", "0", "--rfb-port", rfb ? "auto" : "0", "--log-level", "warn",
                                 "--stats", base + "server.json"};
      a.insert(a.end(), e.server_args.begin(), e.server_args.end());
      server = std::make_unique<ChildProcess>(a, out, err);
      wait_for([&] {
        std::string o = slurp(out);
        port = rfb ? ready_line_port(o, "rfb ") : listening_port(o);
        return port != 0 || !server->running();
      }, 20s);
    } else {
      port = free_loopback_port();
      std::vector<std::string> a = e.server == Encoding::X11vnc
                                       ? std::vector<std::string>{"x11vnc", "-display", x.display, "-rfbport", std::to_string(port), "-localhost",
                                                                  "-nopw", "-forever", "-shared", "-quiet"}
                                       : std::vector<std::string>{x0vncserver_binary(), "-display", x.display, "-rfbport", std::to_string(port),
                                                                  "-interface", "127.0.0.1", "-SecurityTypes", "None"};
      server = std::make_unique<ChildProcess>(a, out, err);
      if (!wait_for([&] { return can_connect(port) || !server->running(); }, 20s) || !server->running()) port = 0;
    }
    if (!port) throw std::runtime_error(e.name + " did not start: " + slurp(err));
    relay = std::make_unique<ShapedRelay>(*s.profile, ShapedRelay::Target{port, {}});
    std::string url = (e.server == Encoding::Native ? "rdisplay://127.0.0.1:" : "vnc://127.0.0.1:") + std::to_string(relay->port());
    viewer = std::make_unique<ChildProcess>(viewer_argv(p, url, s, base), base + "viewer.out", base + "viewer.err");
    // The first screen has arrived before the workload starts.
    if (!wait_for([&] { return viewer_stats_now(*viewer, base + "viewer.json").value("frames", 0) > 0 || !viewer->running(); }, 30s) ||
        !viewer->running())
      throw std::runtime_error("the viewer got no first frame: " + slurp(base + "viewer.err"));
    // Whatever the server sends on its own after connecting (x11vnc's first polls) is
    // not the workload's.
    wait_for([&] { return relay->quiet_for() > 300ms; }, 10s);
    before = viewer_stats_now(*viewer, base + "viewer.json");
  }
  std::optional<ChildProcess> driver;
  std::uint64_t down0 = relay->bytes_down(), up0 = relay->bytes_up();
  double server_cpu0 = server ? cpu_seconds_of(server->pid()) : 0, xcpu0 = cpu_seconds_of(x.xvfb->pid());
  auto t0 = Clock::now();
  std::ofstream(base + "GO") << "go\n";
  if (!w.x_driver.empty()) driver.emplace(std::vector<std::string>{"sh", "-c", fill(w.x_driver)}, base + "driver.out", base + "driver.err",
                                          std::map<std::string, std::string>{{"DISPLAY", x.display}});
  if (!wait_for([&] { return std::filesystem::exists(base + "DONE") || !app.running(); }, 300s) || !std::filesystem::exists(base + "DONE"))
    throw std::runtime_error("the workload did not finish: " + slurp(base + "app.err").substr(0, 500));
  r["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
  // The end. Pixels: the viewer shows what the X server shows (peers that poll may take
  // a while to notice the last change). Lossy encodings never match, nor does
  // x0vncserver, which draws the pointer into its pixels: for them, and for the X11
  // wire, nothing on the wire for a second.
  bool exact = false;
  if (viewer && !e.lossy && e.server != Encoding::X0vncserver) {
    const std::string xwd = base + "root.xwd";
    exact = wait_for([&] {
      ChildProcess grab({"xwd", "-root", "-silent", "-out", xwd}, "", "/dev/null", {{"DISPLAY", x.display}});
      auto rc = grab.wait(20s);
      if (!rc || *rc != 0) return false;
      std::string hash = read_xwd(xwd).hash_hex();
      return hash == viewer_stats_now(*viewer, base + "viewer.json").value("framebuffer_hash", std::string());
    }, 20s);
    r["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
    r["final_exact"] = exact;
    wait_for([&] { return relay->quiet_for() > 300ms; }, 20s);
  } else {
    wait_for([&] { return relay->quiet_for() > 1000ms; }, 120s);
    r["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count() - 1.0;
  }
  if (viewer) {
    viewer->signal(SIGTERM);
    auto rc = viewer->wait(30s);
    if (!rc || *rc != 0) throw std::runtime_error("viewer failed: " + slurp(base + "viewer.err"));
    r["server_cpu_s"] = cpu_seconds_of(server->pid()) - server_cpu0;
    r["server_peak_rss_mib"] = static_cast<double>(peak_rss_kib_of(server->pid())) / 1024;
    add_viewer_figures(r, read_json(base + "viewer.json"), before);
    server->signal(SIGTERM);
    server->wait(10s);
    if (e.server == Encoding::Native) {
      auto sv = read_json(base + "server.json");
      if (sv.contains("viewers") && !sv["viewers"].empty()) r["encode_mpix_s"] = sv["viewers"][0].value("encode_mpix_per_s", 0.0);
      if (sv.contains("encoder_pool")) r["encoder_tlp"] = sv["encoder_pool"].value("tlp", 0.0);
    }
  }
  r["xserver_cpu_s"] = cpu_seconds_of(x.xvfb->pid()) - xcpu0;
  r["bytes_down"] = relay->bytes_down() - down0;
  r["bytes_up"] = relay->bytes_up() - up0;
  return r;
}

}  // namespace

nlohmann::json run_one(const RunSpec& s, const Programs& p) {
  std::filesystem::create_directories(s.dir);
  nlohmann::json r = {{"workload", s.workload->name}, {"encoding", s.encoding->name}, {"style", s.encoding->style},
                      {"profile", s.profile->name},   {"repeat", s.repeat},          {"lossy", s.encoding->lossy}};
  r = s.workload->kind == Workload::App ? run_app(s, p, r) : run_x(s, p, r);
  double bytes = r["bytes_down"].get<double>() + r["bytes_up"].get<double>();
  r["bytes"] = bytes;
  r["mbit_s"] = bytes * 8 / 1e6 / std::max(0.001, r["seconds"].get<double>());
  return r;
}

}  // namespace rd::bench
