// rdisplay-bench-stream: the live pipeline, measured. For each scenario it starts
// rdisplay-server with a demo app and one headless rdisplay-viewer over loopback, runs
// the app's script, and reports the frames the viewer received per second, bytes on
// the wire, CPU of both processes and the encoder pool's TLP. Scenario figures are also
// given as ratios to the raw-codec run of the same app in the same invocation.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <tuple>

#include "client/png_file.hpp"
#include "codecs/metrics.hpp"
#include "common/child_process.hpp"

using namespace rd;
using namespace std::chrono_literals;

namespace {

struct Scenario {
  std::string name;
  std::string app;
  std::string geometry;
  int fps;
  int frames;
  std::vector<std::string> viewer_args;
  std::string baseline;  // name of the scenario this one is compared with ("" for none)
  bool rfb = false;      // the viewer opens the RFB front (vnc://) instead of the native port
  std::vector<std::string> server_args = {};
  bool tls = false;  // native port over TLS (a certificate made in the work folder)
};

struct Paths {
  std::string server, viewer, dir;
};

nlohmann::json run(const Scenario& sc, const Paths& p) {
  std::string base = p.dir + "/" + sc.name;
  for (const char* ext : {"-server.out", "-server.err", "-server.json", "-viewer.json"}) std::filesystem::remove(base + ext);
  std::vector<std::string> sargs{p.server, "--app", sc.app, "--geometry", sc.geometry, "--fps", std::to_string(sc.fps),
                                 "--frames", std::to_string(sc.frames), "--port", "0", "--stats", base + "-server.json",
                                 "--log-level", "warn", "--wait-for-viewer", "--rfb-port", sc.rfb ? "auto" : "0"};
  sargs.insert(sargs.end(), sc.server_args.begin(), sc.server_args.end());
  const std::string cert = p.dir + "/tls-cert.pem";
  if (sc.tls)
    for (const std::string& a : {std::string("--tls-cert"), cert, std::string("--tls-key"), p.dir + "/tls-key.pem", std::string("--tls-generate")})
      sargs.push_back(a);
  ChildProcess server(sargs, base + "-server.out", base + "-server.err");
  std::string url;
  for (int i = 0; i < 4000 && url.empty(); ++i) {
    std::string out = slurp(base + "-server.out");
    int native = listening_port(out), rfb = ready_line_port(out, "rfb ");
    if (native && (!sc.rfb || rfb))
      url = sc.rfb ? "vnc://127.0.0.1:" + std::to_string(rfb)
                   : (sc.tls ? "rdisplays://127.0.0.1:" : "rdisplay://127.0.0.1:") + std::to_string(native);
    else
      std::this_thread::sleep_for(5ms);
  }
  if (url.empty()) throw std::runtime_error("server did not start: " + slurp(base + "-server.err"));
  std::vector<std::string> vargs{p.viewer, url, "--headless", "--exit-when-idle", "3000", "--stats", base + "-viewer.json",
                                 "--screenshot", base + "-viewer.png"};
  vargs.insert(vargs.end(), sc.viewer_args.begin(), sc.viewer_args.end());
  if (sc.tls) {
    vargs.push_back("--tls-ca");
    vargs.push_back(cert);
  }
  ChildProcess viewer(vargs, base + "-viewer.out", base + "-viewer.err");
  auto rc = viewer.wait(std::chrono::seconds(600));
  if (!rc || *rc != 0) throw std::runtime_error("viewer failed: " + slurp(base + "-viewer.err"));
  server.signal(SIGTERM);
  server.wait(std::chrono::seconds(30));
  auto s = nlohmann::json::parse(slurp(base + "-server.json"));
  auto v = nlohmann::json::parse(slurp(base + "-viewer.json"));
  double seconds = sc.frames / static_cast<double>(sc.fps);
  nlohmann::json sv = sc.rfb ? nlohmann::json{{"encode_mpix_per_s", 0.0}} : s["viewers"][0];
  return {{"name", sc.name},
          {"app", sc.app},
          {"geometry", sc.geometry},
          {"app_fps", sc.fps},
          {"app_frames", s["app_frames"]},
          {"viewer_frames", v["frames"]},
          {"viewer_fps", v["fps"]},
          {"viewer_fps_median", v["fps_median"]},
          {"app_fps_achieved", s["app_timing"]["fps"]},
          // Frames the viewer got, per app frame that changed the screen: 100% means none
          // had to be merged.
          {"frames_delivered", v["frames"].get<double>() / std::max(1.0, s["session"]["changing_commits"].get<double>())},
          {"bytes", v["bytes_received"]},
          {"ops_bytes", v.value("ops_bytes", 0)},
          {"pixel_bytes", v.value("pixel_bytes", 0)},
          {"server_cpu_ms_per_frame", s["cpu_seconds"].get<double>() * 1000 / std::max(1.0, s["app_frames"].get<double>())},
          // Serving the viewer: the server's CPU after start-up but for the app thread's
          // (drawing, publishing).
          {"serve_cpu_ms_per_frame", (s["cpu_seconds"].get<double>() - s.value("cpu_seconds_at_ready", 0.0) -
                                      s["app_timing"].value("cpu_seconds", 0.0)) *
                                         1000 / std::max(1.0, s["app_frames"].get<double>())},
          {"mbit_s", v["bytes_received"].get<double>() * 8 / 1e6 / seconds},
          {"server_cpu_s", s["cpu_seconds"]},
          {"viewer_cpu_s", v["cpu_seconds"]},
          {"encode_mpix_s", sv["encode_mpix_per_s"]},
          {"decode_p50_ms", sc.rfb ? v["update_ms"]["p50"] : v["decode_ms"]["p50"]},
          {"decode_p99_ms", sc.rfb ? v["update_ms"]["p99"] : v["decode_ms"]["p99"]},
          {"encoder_tlp", sc.rfb ? 0.0 : s["encoder_pool"]["tlp"].get<double>()},
          {"decoder_tlp", sc.rfb ? 0.0 : v["decode_pool"]["tlp"].get<double>()},
          {"bit_exact", v["framebuffer_hash"] == s["surface_hash"]},
          {"input_latency_p50_ms", v.contains("input_latency_ms") ? v["input_latency_ms"]["p50"].get<double>() : 0.0},
          {"input_latency_p99_ms", v.contains("input_latency_ms") ? v["input_latency_ms"]["p99"].get<double>() : 0.0},
          {"input_latency_count", v.contains("input_latency_ms") ? v["input_latency_ms"]["count"].get<double>() : 0.0},
          {"screenshot", base + "-viewer.png"}};
}

}  // namespace

int main(int argc, char** argv) {
  std::string bin_dir = std::filesystem::path(argv[0]).parent_path().parent_path().string();
  Paths p{bin_dir + "/server/rdisplay-server", bin_dir + "/client/rdisplay-viewer", "bench-stream-out"};
  std::string json_out;
  bool quick = false;
  std::vector<std::string> only;
  CLI::App cli{"rdisplay-bench-stream: server and headless viewer over loopback, measured"};
  cli.add_option("--server", p.server, "rdisplay-server binary")->capture_default_str();
  cli.add_option("--viewer", p.viewer, "rdisplay-viewer binary")->capture_default_str();
  cli.add_option("--work-dir", p.dir, "folder for logs and stats files")->capture_default_str();
  cli.add_option("--json", json_out, "also write the results as JSON");
  cli.add_option("--only", only, "run only scenarios whose name contains one of these")->delimiter(',');
  cli.add_flag("--quick", quick, "shorter runs");
  CLI11_PARSE(cli, argc, argv);
  std::filesystem::create_directories(p.dir);

  int video_frames = quick ? 300 : 600;
  std::vector<Scenario> scenarios = {
      {"video-1080p-raw", "video", "1920x1080", 60, video_frames, {"--codec", "raw"}, ""},
      {"video-1080p-jpeg", "video", "1920x1080", 60, video_frames, {"--codec", "jpeg", "--quality", "80"}, "video-1080p-raw"},
      {"video-1080p-auto-q80", "video", "1920x1080", 60, video_frames, {"--quality", "80"}, "video-1080p-raw"},
      {"video-1080p-lossless", "video", "1920x1080", 60, video_frames, {}, "video-1080p-raw"},
      // Headroom: the app asks for more than 60 frames a second.
      {"video-1080p-jpeg-at-90", "video", "1920x1080", 90, video_frames * 3 / 2, {"--codec", "jpeg", "--quality", "80"}, ""},
      // The viewer probes input latency for 10 s: the desktop standing still (its script
      // done after one frame), then with its graph and notes animating at 30 fps.
      {"latency-desktop-idle", "desktop", "1280x800", 30, 1, {"--probe-input", "20", "--exit-after", "10"}, ""},
      {"latency-desktop-animated", "desktop", "1280x800", 30, 300, {"--probe-input", "20", "--exit-after", "10"}, ""},
      {"desktop-raw", "desktop", "1280x800", 30, 300, {"--codec", "raw"}, ""},
      {"desktop-lossless", "desktop", "1280x800", 30, 300, {}, "desktop-raw"},
      {"terminal-raw", "terminal", "1280x800", 30, 300, {"--codec", "raw"}, ""},
      {"terminal-lossless", "terminal", "1280x800", 30, 300, {}, "terminal-raw"},
      {"photo-raw", "photo", "1280x800", 30, 240, {"--codec", "raw"}, ""},
      {"photo-lossless", "photo", "1280x800", 30, 240, {}, "photo-raw"},
      {"photo-auto-q80", "photo", "1280x800", 30, 240, {"--quality", "80"}, "photo-raw"},
  };
  // What TLS costs: the same runs over plain TCP and over TLS, one after the other.
  for (bool tls : {false, true}) {
    std::string suffix = tls ? "-tls" : "-plain";
    scenarios.push_back({"tls-video-1080p-jpeg" + suffix, "video", "1920x1080", 60, video_frames, {"--codec", "jpeg", "--quality", "80"},
                         tls ? "tls-video-1080p-jpeg-plain" : "", false, {}, tls});
    scenarios.push_back({"tls-desktop-lossless" + suffix, "desktop", "1280x800", 30, 300, {}, tls ? "tls-desktop-lossless-plain" : "", false, {}, tls});
    scenarios.push_back({"tls-latency-desktop" + suffix, "desktop", "1280x800", 30, 300, {"--probe-input", "20", "--exit-after", "10"}, "",
                         false, {}, tls});
  }
  // Scroll detection: the terminal's pixels with and without CopyRect.
  scenarios.push_back({"scroll-terminal-off", "terminal", "1280x800", 30, 300, {}, "", false, {"--scroll-detection", "off"}});
  scenarios.push_back({"scroll-terminal-on", "terminal", "1280x800", 30, 300, {}, "scroll-terminal-off"});
  scenarios.push_back({"scroll-desktop-off", "desktop", "1280x800", 30, 300, {}, "", false, {"--scroll-detection", "off"}});
  scenarios.push_back({"scroll-desktop-on", "desktop", "1280x800", 30, 300, {}, "scroll-desktop-off"});
  // What keeping each viewer's screen costs where nothing scrolls.
  scenarios.push_back({"scroll-video-off", "video", "1920x1080", 60, video_frames, {"--codec", "jpeg", "--quality", "80"}, "", false,
                       {"--scroll-detection", "off"}});
  scenarios.push_back({"scroll-video-on", "video", "1920x1080", 60, video_frames, {"--codec", "jpeg", "--quality", "80"}, "scroll-video-off"});
  // The RFB front (libvncserver's encoders) against native pixels on the same apps.
  for (const auto& [app, geom, fps, frames] : std::vector<std::tuple<std::string, std::string, int, int>>{
           {"desktop", "1280x800", 30, 300}, {"terminal", "1280x800", 30, 300}, {"photo", "1280x800", 30, 240},
           {"video", "1280x800", 30, 240}}) {
    scenarios.push_back({"rfb-" + app + "-native", app, geom, fps, frames, {}, ""});
    scenarios.push_back({"rfb-" + app + "-native-q80", app, geom, fps, frames, {"--quality", "80"}, "rfb-" + app + "-native"});
    // Lossy as Tight's JPEG is: no lossless refresh once idle, so that the last frame's
    // PSNR compares like with like.
    // q92 4:4:4 is what Tight-JPEG's quality level 8 asks of libjpeg: same tables, same
    // sampling, so bytes and PSNR compare at equal quantisation.
    for (const char* q : {"80", "90", "91", "92", "95"})
      scenarios.push_back({"rfb-" + app + "-native-q" + q + "-norefresh", app, geom, fps, frames,
                           {"--quality", q, "--subsampling", std::string(q) == "80" ? "420" : "444"}, "rfb-" + app + "-native", false,
                           {"--lossless-refresh", "0"}});
    // What arithmetic coding buys at Tight-JPEG's quantisation: the same with Huffman.
    scenarios.push_back({"rfb-" + app + "-native-q92-huffman-norefresh", app, geom, fps, frames,
                         {"--quality", "92", "--subsampling", "444", "--jpeg-coding", "huffman"}, "rfb-" + app + "-native", false,
                         {"--lossless-refresh", "0"}});
    scenarios.push_back({"rfb-" + app + "-zrle", app, geom, fps, frames, {"--vnc-encodings", "zrle"}, "rfb-" + app + "-native", true});
    scenarios.push_back({"rfb-" + app + "-tight", app, geom, fps, frames, {"--vnc-encodings", "tight"}, "rfb-" + app + "-native", true});
    scenarios.push_back({"rfb-" + app + "-tight-jpeg", app, geom, fps, frames, {"--vnc-encodings", "tight", "--quality", "80"},
                         "rfb-" + app + "-native", true});
  }
  // Command encoding against pixels: every app, lossless, each encoding in its own run.
  const std::vector<std::tuple<std::string, std::string, int, int>> enc_apps = {
      {"desktop", "1280x800", 30, 300}, {"terminal", "1280x800", 30, 300}, {"photo", "1280x800", 30, 240},
      {"video", "1280x800", 30, 240}};
  for (const auto& [app, geom, fps, frames] : enc_apps)
    for (const char* enc : {"pixels", "ops", "auto"})
      scenarios.push_back({"enc-" + app + "-" + enc, app, geom, fps, frames, {"--encoding", enc},
                           std::string(enc) == "pixels" ? "" : "enc-" + app + "-pixels"});
  std::printf("| scenario | app fps asked / drawn | viewer fps (median) | frames delivered | MB | Mbit/s | bytes vs baseline | server CPU s | server CPU ms/frame | viewer CPU s | encode Mpix/s | decode p50/p99 ms | enc TLP | bit-exact |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
  std::map<std::string, nlohmann::json> done;
  nlohmann::json all = nlohmann::json::array();
  for (const auto& sc : scenarios) {
    if (!only.empty() && std::none_of(only.begin(), only.end(), [&](const std::string& o) { return sc.name.find(o) != std::string::npos; }))
      continue;
    nlohmann::json r = run(sc, p);
    std::string ratio = "-";
    if (!sc.baseline.empty() && done.count(sc.baseline)) {
      double b = done[sc.baseline]["bytes"].get<double>();
      r["bytes_vs_baseline"] = r["bytes"].get<double>() / b;
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", r["bytes_vs_baseline"].get<double>());
      ratio = buf;
    }
    done[sc.name] = r;
    all.push_back(r);
    std::printf("| %s | %d / %.1f | %.1f | %.0f%% | %.1f | %.1f | %s | %.2f | %.2f | %.2f | %.0f | %.2f / %.2f | %.2f | %s |\n", sc.name.c_str(), sc.fps,
                r["app_fps_achieved"].get<double>(), r["viewer_fps_median"].get<double>(),
                100 * std::min(1.0, r["frames_delivered"].get<double>()), r["bytes"].get<double>() / 1e6, r["mbit_s"].get<double>(), ratio.c_str(),
                r["server_cpu_s"].get<double>(), r["server_cpu_ms_per_frame"].get<double>(), r["viewer_cpu_s"].get<double>(), r["encode_mpix_s"].get<double>(),
                r["decode_p50_ms"].get<double>(), r["decode_p99_ms"].get<double>(), r["encoder_tlp"].get<double>(),
                r["bit_exact"].get<bool>() ? "yes" : "no");
    std::fflush(stdout);
  }
  // Input-to-display latency (the viewer's probe types x and BackSpace, 20 a second),
  // with the desktop app's script animating against the same app standing still.
  if (done.count("latency-desktop-idle") && done.count("latency-desktop-animated")) {
    const auto &idle = done["latency-desktop-idle"], &anim = done["latency-desktop-animated"];
    std::printf("\n| input-to-display latency | inputs | p50 ms | p99 ms |\n|---|---:|---:|---:|\n");
    for (const auto* r : {&idle, &anim})
      std::printf("| %s | %.0f | %.2f | %.2f |\n", r->at("name").get<std::string>().c_str(), r->at("input_latency_count").get<double>(),
                  r->at("input_latency_p50_ms").get<double>(), r->at("input_latency_p99_ms").get<double>());
    std::printf("| animated / idle | | %.2f | %.2f |\n",
                anim["input_latency_p50_ms"].get<double>() / std::max(0.001, idle["input_latency_p50_ms"].get<double>()),
                anim["input_latency_p99_ms"].get<double>() / std::max(0.001, idle["input_latency_p99_ms"].get<double>()));
  }
  // TLS against plain TCP, from the tls-* rows: TLS / plain.
  if (done.count("tls-video-1080p-jpeg-plain") && done.count("tls-video-1080p-jpeg-tls") && done.count("tls-latency-desktop-plain") &&
      done.count("tls-latency-desktop-tls") && done.count("tls-desktop-lossless-plain") && done.count("tls-desktop-lossless-tls")) {
    std::printf("\n| TLS / plain TCP | viewer fps | serving CPU ms/frame | viewer CPU s |\n|---|---:|---:|---:|\n");
    for (const char* n : {"tls-video-1080p-jpeg", "tls-desktop-lossless"}) {
      const auto &a = done[std::string(n) + "-plain"], &b = done[std::string(n) + "-tls"];
      auto ratio = [&](const char* k) { return b[k].get<double>() / std::max(1e-9, a[k].get<double>()); };
      std::printf("| %s | %.3f | %.3f | %.3f |\n", n, ratio("viewer_fps_median"), ratio("serve_cpu_ms_per_frame"), ratio("viewer_cpu_s"));
    }
    const auto &lp = done["tls-latency-desktop-plain"], &lt = done["tls-latency-desktop-tls"];
    std::printf("\n| input-to-display latency | p50 ms | p99 ms |\n|---|---:|---:|\n");
    std::printf("| plain | %.2f | %.2f |\n| TLS | %.2f | %.2f |\n| TLS / plain | %.2f | %.2f |\n", lp["input_latency_p50_ms"].get<double>(),
                lp["input_latency_p99_ms"].get<double>(), lt["input_latency_p50_ms"].get<double>(), lt["input_latency_p99_ms"].get<double>(),
                lt["input_latency_p50_ms"].get<double>() / std::max(0.001, lp["input_latency_p50_ms"].get<double>()),
                lt["input_latency_p99_ms"].get<double>() / std::max(0.001, lp["input_latency_p99_ms"].get<double>()));
  }
  // Command encoding against pixels, from the enc-* rows above.
  bool header = false;
  for (const auto& [app, geom, fps, frames] : enc_apps) {
    auto px = done.find("enc-" + app + "-pixels"), op = done.find("enc-" + app + "-ops"), au = done.find("enc-" + app + "-auto");
    if (px == done.end() || op == done.end() || au == done.end()) continue;
    if (!header) {
      std::printf("\n| app | pixels bytes | ops bytes | auto bytes | ops / pixels | auto / best of the two | auto / pixels |\n");
      std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
      header = true;
    }
    double p = px->second["bytes"].get<double>(), o = op->second["bytes"].get<double>(), a = au->second["bytes"].get<double>();
    std::printf("| %s | %.0f | %.0f | %.0f | %.3f | %.3f | %.3f |\n", app.c_str(), p, o, a, o / p, a / std::min(o, p), a / p);
  }
  // Against libvncserver's encoders on the same frames, from the rfb-* rows: encoding
  // CPU is the server's CPU after start-up but for its app thread's (drawing and
  // publishing), PSNR is the viewer's last frame against the lossless native viewer's.
  header = false;
  for (const char* app : {"desktop", "terminal", "photo", "video"}) {
    std::string pre = std::string("rfb-") + app + "-";
    auto get = [&](const std::string& n) -> const nlohmann::json* {
      auto it = done.find(pre + n);
      return it == done.end() ? nullptr : &it->second;
    };
    const nlohmann::json *nat = get("native"), *tight = get("tight"), *zrle = get("zrle"), *tj = get("tight-jpeg");
    if (!nat || !tight) continue;
    if (!header) {
      std::printf("\n| app | encode CPU ms/frame: native / Tight / ZRLE | throughput vs Tight | lossless bytes vs Tight | lossless bytes vs ZRLE | "
                  "bytes vs Tight-JPEG, no refresh: q80 4:2:0 / q90 4:4:4 / q91 4:4:4 / q92 4:4:4 / q95 4:4:4 | last-frame PSNR dB: the same five / Tight-JPEG | "
                  "q92 Huffman-coded: bytes vs Tight-JPEG, PSNR dB | bytes per delivered frame vs Tight-JPEG's: q90 / q91 / q92 |\n");
      std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
      header = true;
    }
    auto enc = [&](const nlohmann::json* r) { return r ? std::max(0.01, r->at("serve_cpu_ms_per_frame").get<double>()) : 0.0; };
    auto bytes = [](const nlohmann::json* r) { return r ? r->at("bytes").get<double>() : 0.0; };
    auto last_psnr = [&](const nlohmann::json* r) {
      if (!r) return 0.0;
      try {
        double v = psnr(read_png(r->at("screenshot").get<std::string>()), read_png(nat->at("screenshot").get<std::string>()));
        return std::isinf(v) ? 99.0 : v;
      } catch (const std::exception&) {
        return 0.0;
      }
    };
    const nlohmann::json *q80 = get("native-q80-norefresh"), *q90 = get("native-q90-norefresh"), *q91 = get("native-q91-norefresh"),
                         *q92 = get("native-q92-norefresh"), *q92h = get("native-q92-huffman-norefresh"),
                         *q95 = get("native-q95-norefresh");
    auto vs_tj = [&](const nlohmann::json* r) { return r && tj ? bytes(r) / bytes(tj) : 0.0; };
    // Viewers that fall behind get fewer, merged frames and so fewer bytes: per frame too.
    auto per_frame_vs_tj = [&](const nlohmann::json* r) {
      if (!r || !tj) return 0.0;
      const double f = r->at("frames_delivered").get<double>(), ft = tj->at("frames_delivered").get<double>();
      return f > 0 && ft > 0 ? (bytes(r) / f) / (bytes(tj) / ft) : 0.0;
    };
    std::printf("| %s | %.2f / %.2f / %.2f | %.2fx | %.3f | %.3f | %.3f / %.3f / %.3f / %.3f / %.3f | %.1f / %.1f / %.1f / %.1f / %.1f / %.1f | "
                "%.3f, %.1f | %.3f / %.3f / %.3f |\n",
                app, enc(nat), enc(tight), enc(zrle), enc(tight) / enc(nat), bytes(nat) / bytes(tight), zrle ? bytes(nat) / bytes(zrle) : 0.0,
                vs_tj(q80), vs_tj(q90), vs_tj(q91), vs_tj(q92), vs_tj(q95), last_psnr(q80), last_psnr(q90), last_psnr(q91), last_psnr(q92),
                last_psnr(q95), last_psnr(tj), vs_tj(q92h), last_psnr(q92h), per_frame_vs_tj(q90), per_frame_vs_tj(q91),
                per_frame_vs_tj(q92));
  }
  if (!json_out.empty()) std::ofstream(json_out) << all.dump(2) << "\n";
  return 0;
}
