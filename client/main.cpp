// rdisplay-viewer: opens an rdisplay session in an SDL2 window, or headless.
#include <SDL.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <map>
#include <thread>

#include "client/frame_store.hpp"
#include "client/native_connection.hpp"
#include "client/png_file.hpp"
#include "client/sdl_window.hpp"
#include "client/stream_receiver.hpp"
#include "client/target.hpp"
#include "client/viewer_report.hpp"
#include "codecs/tile_codec.hpp"
#include "common/json_file.hpp"
#include "common/process_stats.hpp"
#include "common/worker_pool.hpp"

namespace {

// Exit codes scripts can rely on (README).
constexpr int kExitOk = 0, kExitSessionError = 1, kExitUsage = 2, kExitConnect = 3;

struct Options {
  std::string target;
  std::string encoding = "pixels";
  int quality = 100;
  std::string subsampling = "420";
  std::string codec = "auto";
  bool headless = false;
  bool view_only = false;
  std::optional<int> exit_when_idle_ms;
  std::string screenshot;
  std::string stats;
  int threads = 0;
  int connect_timeout_ms = 5000;
};

std::atomic<bool> g_signalled{false};
extern "C" void on_signal(int) { g_signalled = true; }

void say(const std::string& msg) { std::fprintf(stderr, "rdisplay-viewer: %s\n", msg.c_str()); }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App cli{"rdisplay-viewer: shows an rdisplay session (rdisplay://HOST[:PORT], default port 7400)"};
  cli.set_version_flag("--version", std::string("rdisplay-viewer ") + RDISPLAY_VERSION);
  cli.add_option("target", o.target, "rdisplay://HOST[:PORT]")->required();
  cli.add_option("--encoding", o.encoding, "what to ask the server for")
      ->check(CLI::IsMember({"pixels", "ops", "auto"}))->capture_default_str();
  cli.add_option("--quality", o.quality, "100 is lossless; below, photo-like tiles go as JPEG of that quality")
      ->check(CLI::Range(0, 100))->capture_default_str();
  cli.add_option("--subsampling", o.subsampling, "JPEG chroma subsampling")->check(CLI::IsMember({"420", "444"}))->capture_default_str();
  cli.add_option("--codec", o.codec, "force one tile codec for every non-solid tile")
      ->check(CLI::IsMember({"auto", "raw", "zstd", "jpeg"}))->capture_default_str();
  cli.add_flag("--headless", o.headless, "no window: receive and decode only (tests, benchmarks)");
  cli.add_flag("--view-only", o.view_only, "send no keyboard or mouse input");
  cli.add_option("--exit-when-idle", o.exit_when_idle_ms, "exit 0 once updates arrived and then none for MS ms")
      ->check(CLI::Range(1, 86400000));
  cli.add_option("--screenshot", o.screenshot, "write the last frame received to this PNG file on exit");
  cli.add_option("--stats", o.stats, "write statistics as JSON to this file on exit");
  cli.add_option("--threads", o.threads, "decode worker threads (0: one per core)")->check(CLI::Range(0, 64));
  cli.add_option("--connect-timeout", o.connect_timeout_ms, "ms to wait for the connection and the hello")
      ->check(CLI::Range(1, 600000))->capture_default_str();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);  // --help, --version
    std::fprintf(stderr, "%s: %s (see --help)\n", "rdisplay-viewer", e.what());
    return 2;
  }

  rd::Target target;
  try {
    target = rd::parse_target(o.target);
  } catch (const std::invalid_argument& e) {
    say(e.what());
    return kExitUsage;
  }
  if (target.scheme == rd::Target::Scheme::Vnc) {
    say("vnc:// targets are not supported by this build yet; use rdisplay://HOST[:PORT]");
    return kExitUsage;
  }

  rd::ClientHello hello;
  hello.encoding = o.encoding == "ops" ? rd::Encoding::Ops : o.encoding == "auto" ? rd::Encoding::Auto : rd::Encoding::Pixels;
  hello.quality = static_cast<std::uint8_t>(std::max(1, o.quality));
  hello.subsampling = o.subsampling == "444" ? rd::Subsampling::S444 : rd::Subsampling::S420;
  static const std::map<std::string, rd::TileCodec> codecs = {
      {"raw", rd::TileCodec::Raw}, {"zstd", rd::TileCodec::Zstd}, {"jpeg", rd::TileCodec::Jpeg}};
  if (o.codec != "auto") hello.forced_codec = static_cast<std::uint8_t>(codecs.at(o.codec));
  hello.codecs = rd::kAllCodecs;
  hello.name = o.headless ? "rdisplay-viewer (headless)" : "rdisplay-viewer";

  std::unique_ptr<rd::NativeConnection> conn;
  auto connect_start = rd::now_us();
  try {
    conn = std::make_unique<rd::NativeConnection>(target.host, target.port, hello,
                                                  std::chrono::milliseconds(o.connect_timeout_ms));
  } catch (const rd::ConnectError& e) {
    say(e.what());
    return kExitConnect;
  }
  double connect_ms = static_cast<double>(rd::now_us() - connect_start) / 1000.0;
  const rd::ServerHello& sh = conn->server_hello();
  if (sh.encoding != hello.encoding)
    say(std::string("the server offers ") + rd::encoding_name(sh.encoding) + " encoding, not " + o.encoding + "; using it");
  if (sh.encoding == rd::Encoding::Ops && o.quality < 100)
    say("command encoding is lossless: --quality applies to the pixels of --encoding auto and pixels only");

  rd::WorkerPool pool(o.threads);
  rd::FrameStore store;
  rd::StreamReceiver receiver(*conn, pool, store, rd::glyph_cache_bytes(hello.glyph_cache_kib));

  auto idle_exit = [&] {
    if (!o.exit_when_idle_ms) return false;
    auto last = store.last_frame_time();
    return last && rd::Clock::now() - *last >= std::chrono::milliseconds(*o.exit_when_idle_ms);
  };

  std::unique_ptr<rd::SdlWindow> window;
  if (!o.headless) {
    try {
      rd::WindowOptions wo;
      wo.title = "rdisplay - " + sh.session_name + " (" + target.host + ":" + std::to_string(target.port) + ")";
      wo.view_only = o.view_only;
      wo.should_exit = idle_exit;
      window = std::make_unique<rd::SdlWindow>(store, *conn, wo);
      store.set_listener([w = window.get()] { w->wake(); });
    } catch (const std::exception& e) {
      say(e.what());
      return kExitUsage;
    }
  }
  std::thread net([&] { receiver.run(); });

  if (window) {
    window->run();
  } else {
    // Headless: SIGINT and SIGTERM end the session cleanly, stats and screenshot included.
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
    while (!store.finished() && !idle_exit() && !g_signalled) {
      store.wait(rd::Clock::now() + std::chrono::milliseconds(20));
      store.take();  // headless: nothing to upload, only acknowledge the change
    }
  }
  bool ended_by_server = store.finished();
  if (!ended_by_server) {
    try {
      conn->send(rd::encode(rd::Bye{"viewer closed"}));
    } catch (const std::exception&) {
    }
  }
  conn->shutdown();
  net.join();
  store.set_listener(nullptr);
  if (window) {
    window.reset();
    SDL_Quit();  // also ends SDL's D-Bus connection
  }

  int rc = kExitOk;
  std::string end_reason = ended_by_server ? store.finish_reason()
                           : g_signalled     ? "signal"
                           : idle_exit()     ? "idle"
                                             : "closed by the user";
  if (ended_by_server) {
    say(end_reason);
    if (store.finished_with_error()) rc = kExitSessionError;
  }

  rd::Surface fb = store.snapshot();
  if (!o.screenshot.empty()) {
    try {
      rd::write_png(o.screenshot, fb);
    } catch (const std::exception& e) {
      say(e.what());
      rc = kExitSessionError;
    }
  }
  if (!o.stats.empty()) {
    nlohmann::json j = rd::receiver_stats_json(receiver.stats());
    j["framebuffer_hash"] = fb.hash_hex();
    j["width"] = fb.width();
    j["height"] = fb.height();
    j["bytes_received"] = conn->bytes_received();
    j["bytes_sent"] = conn->bytes_sent();
    j["server"] = target.host + ":" + std::to_string(target.port);
    j["session"] = sh.session_name;
    j["encoding"] = rd::encoding_name(sh.encoding);
    j["quality"] = o.quality;
    j["connect_ms"] = connect_ms;
    j["decode_pool"] = {{"threads", pool.size()}, {"tlp", pool.tlp().tlp}, {"busy_fraction", pool.tlp().busy_fraction}};
    j["cpu_seconds"] = rd::process_cpu_seconds();
    j["peak_rss_kib"] = rd::peak_rss_kib();
    j["end_reason"] = end_reason;
    try {
      rd::write_json_file(o.stats, j);
    } catch (const std::exception& e) {
      say(e.what());
      rc = kExitSessionError;
    }
  }
  return rc;
}
