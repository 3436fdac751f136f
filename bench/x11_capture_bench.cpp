// rdisplay-bench-x11: what X11 capture costs. On a private Xvfb it measures
//  1. one full-screen change, captured: a second X client fills the whole root window
//     with a new colour, then X11Display waits for the damage and brings a frame up to
//     date (XDamageSubtract, XShmGetImage or XGetImage, the copy into the frame). Wall
//     time and this thread's CPU per frame, with XShm and with XGetImage, as ratios to
//     copying one frame with memcpy in the same run (the floor of any capture);
//     The same for a small change (a line of text), where only the damaged box is read;
//  2. an idle screen: rdisplay-server --x11 on that display with a headless viewer
//     attached, its CPU share of one core while nothing changes.
#include <poll.h>
#include <signal.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <thread>
#include <vector>

#include "common/child_process.hpp"
#include "bench/x_painter.hpp"
#include "common/json_file.hpp"
#include "common/process_stats.hpp"
#include "x11bridge/private_xvfb.hpp"
#include "x11bridge/x11_display.hpp"

using namespace rd;
using namespace std::chrono_literals;

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double wall_ms() {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

struct CaptureResult {
  double wall_ms = 0, cpu_ms = 0;
  int frames = 0;
  bool shm = false;
};

// Captures `frames` changes made by `paint(i)`, each waited for and brought into a frame.
template <class Paint>
CaptureResult measure_capture(const std::string& display, bool use_shm, int frames, Paint paint, long long expect_area) {
  X11Display x(display, use_shm);
  XPainter painter(display);
  Surface frame;
  // The first capture sizes the frame and takes everything.
  x.process_events();
  x.capture(frame);
  std::vector<double> wall, cpu;
  for (int i = 0; i < frames; ++i) {
    paint(painter, i);
    double w0 = wall_ms(), c0 = thread_cpu_ms();
    while (!x.process_events() || !x.has_damage()) {
      pollfd p{x.fd(), POLLIN, 0};
      if (::poll(&p, 1, 5000) <= 0) throw std::runtime_error("no damage event within 5 s");
    }
    Region r = x.capture(frame);
    wall.push_back(wall_ms() - w0);
    cpu.push_back(thread_cpu_ms() - c0);
    if (r.area() != expect_area)
      throw std::runtime_error("captured " + std::to_string(r.area()) + " pixels, painted " + std::to_string(expect_area));
  }
  return {median(wall), median(cpu), frames, x.uses_shm()};
}

// memcpy of one frame, median over many: the cost every capture pays at least.
double memcpy_frame_ms(int w, int h, int reps) {
  std::vector<std::uint8_t> a(static_cast<std::size_t>(w) * h * 4, 1), b(a.size());
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    a[static_cast<std::size_t>(i) % a.size()] = static_cast<std::uint8_t>(i);
    double t0 = wall_ms();
    std::memcpy(b.data(), a.data(), a.size());
    t.push_back(wall_ms() - t0);
  }
  if (b[0] == 42) std::puts("");  // keeps the copy observable
  return median(t);
}

struct IdleResult {
  double seconds = 0, server_cpu_s = 0;
};

IdleResult measure_idle(const std::string& display, const std::string& bin_dir, const std::string& dir, double seconds) {
  std::string base = dir + "/idle";
  std::filesystem::remove(base + "-server.out");
  ChildProcess server({bin_dir + "/server/rdisplay-server", "--x11", display, "--port", "0", "--rfb-port", "0", "--log-level",
                       "warn"},
                      base + "-server.out", base + "-server.err");
  int port = 0;
  for (int i = 0; i < 2000 && !(port = listening_port(slurp(base + "-server.out"))); ++i) std::this_thread::sleep_for(5ms);
  if (!port) throw std::runtime_error("server did not start: " + slurp(base + "-server.err"));
  ChildProcess viewer({bin_dir + "/client/rdisplay-viewer", "rdisplay://127.0.0.1:" + std::to_string(port), "--headless"},
                      base + "-viewer.out", base + "-viewer.err");
  std::this_thread::sleep_for(1s);  // connected, first frame sent; what follows is the idle state
  if (!viewer.running()) throw std::runtime_error("viewer failed: " + slurp(base + "-viewer.err"));
  double c0 = cpu_seconds_of(server.pid());
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double used = cpu_seconds_of(server.pid()) - c0;
  viewer.signal(SIGTERM);
  viewer.wait(10s);
  server.signal(SIGTERM);
  server.wait(10s);
  return {elapsed, used};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"rdisplay-bench-x11: X11 capture cost per full-screen change, and server CPU on an idle screen"};
  std::string geometry = "1920x1080", json_out, dir = "bench-x11-out";
  int frames = 200;
  double idle_seconds = 10;
  std::string bin_dir = std::filesystem::path(argv[0]).parent_path().parent_path().string();
  cli.add_option("--geometry", geometry, "screen size WxH")->capture_default_str();
  cli.add_option("--frames", frames, "full-screen changes to capture per mode")->check(CLI::Range(1, 100000))->capture_default_str();
  cli.add_option("--idle-seconds", idle_seconds, "how long to measure the idle server (0: skip)")->capture_default_str();
  cli.add_option("--build-dir", bin_dir, "where server/rdisplay-server and client/rdisplay-viewer are")->capture_default_str();
  cli.add_option("--work-dir", dir, "folder for logs")->capture_default_str();
  cli.add_option("--json", json_out, "also write the results as JSON");
  CLI11_PARSE(cli, argc, argv);
  int w = 0, h = 0;
  if (std::sscanf(geometry.c_str(), "%dx%d", &w, &h) != 2 || w < 64 || h < 64) {
    std::fprintf(stderr, "rdisplay-bench-x11: --geometry wants WxH, e.g. 1920x1080\n");
    return 2;
  }
  std::filesystem::create_directories(dir);
  try {
    PrivateXvfb xvfb(w, h);
    double copy_ms = memcpy_frame_ms(w, h, 200);
    auto full = [](XPainter& p, int i) { p.fill(i % 2 ? 0x204080 : 0xc0a060); };
    // A line of text's worth, in a different place each time.
    const int lw = 400, lh = 16;
    auto line = [&](XPainter& p, int i) { p.fill_rect((i * 37) % (w - lw), (i * 53) % (h - lh), lw, lh, i % 2 ? 0x101010 : 0xf0f0f0); };
    long long screen = static_cast<long long>(w) * h, line_area = static_cast<long long>(lw) * lh;
    CaptureResult shm = measure_capture(xvfb.display(), true, frames, full, screen);
    CaptureResult plain = measure_capture(xvfb.display(), false, frames, full, screen);
    CaptureResult shm_line = measure_capture(xvfb.display(), true, frames, line, line_area);
    CaptureResult plain_line = measure_capture(xvfb.display(), false, frames, line, line_area);
    IdleResult idle;
    if (idle_seconds > 0) idle = measure_idle(xvfb.display(), bin_dir, dir, idle_seconds);

    std::printf("X11 capture, %dx%d, median of %d full-screen changes (fill by another client -> frame up to date)\n", w, h,
                frames);
    std::printf("  memcpy of one frame (baseline)   %7.3f ms\n", copy_ms);
    std::printf("  %-32s %7.3f ms wall  %7.3f ms CPU  (%.1fx memcpy)\n", shm.shm ? "XShm" : "XShm refused, XGetImage",
                shm.wall_ms, shm.cpu_ms, shm.wall_ms / copy_ms);
    std::printf("  %-32s %7.3f ms wall  %7.3f ms CPU  (%.1fx memcpy, %.2fx XShm)\n", "XGetImage (--no-shm)", plain.wall_ms,
                plain.cpu_ms, plain.wall_ms / copy_ms, plain.wall_ms / shm.wall_ms);
    std::printf("A %dx%d change (a line of text), median of %d\n", lw, lh, frames);
    std::printf("  %-32s %7.3f ms wall  %7.3f ms CPU  (%.3fx a full change)\n", "XShm, damaged box only", shm_line.wall_ms,
                shm_line.cpu_ms, shm_line.wall_ms / shm.wall_ms);
    std::printf("  %-32s %7.3f ms wall  %7.3f ms CPU  (%.3fx a full change)\n", "XGetImage (--no-shm)", plain_line.wall_ms,
                plain_line.cpu_ms, plain_line.wall_ms / plain.wall_ms);
    if (idle_seconds > 0)
      std::printf("Idle screen, rdisplay-server --x11 with one viewer: %.3f CPU s in %.1f s = %.2f%% of a core\n",
                  idle.server_cpu_s, idle.seconds, 100.0 * idle.server_cpu_s / idle.seconds);
    if (!json_out.empty()) {
      nlohmann::json j{{"geometry", geometry},
                       {"frames", frames},
                       {"memcpy_frame_ms", copy_ms},
                       {"shm", {{"used", shm.shm}, {"wall_ms", shm.wall_ms}, {"cpu_ms", shm.cpu_ms}, {"vs_memcpy", shm.wall_ms / copy_ms}}},
                       {"get_image",
                        {{"wall_ms", plain.wall_ms}, {"cpu_ms", plain.cpu_ms}, {"vs_memcpy", plain.wall_ms / copy_ms},
                         {"vs_shm", plain.wall_ms / shm.wall_ms}}},
                       {"line_change", {{"size", std::to_string(lw) + "x" + std::to_string(lh)},
                                        {"shm_wall_ms", shm_line.wall_ms}, {"shm_cpu_ms", shm_line.cpu_ms},
                                        {"get_image_wall_ms", plain_line.wall_ms}, {"get_image_cpu_ms", plain_line.cpu_ms}}},
                       {"idle", {{"seconds", idle.seconds}, {"server_cpu_s", idle.server_cpu_s},
                                 {"core_share", idle.seconds > 0 ? idle.server_cpu_s / idle.seconds : 0.0}}}};
      write_json_file(json_out, j);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rdisplay-bench-x11: %s\n", e.what());
    return 1;
  }
  return 0;
}
