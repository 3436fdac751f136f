// rdisplay-viewer: opens an rdisplay session in an SDL2 window, or headless.
#include <SDL.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <csignal>
#include <fstream>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>

#include "client/frame_store.hpp"
#include "client/native_connection.hpp"
#include "client/native_session.hpp"
#include "client/rfb_session.hpp"
#include "common/percentile.hpp"
#include "client/password_prompt.hpp"
#include "client/png_file.hpp"
#include "client/sdl_window.hpp"
#include "client/target.hpp"
#include "client/trace_session.hpp"
#include "client/viewer_report.hpp"
#include "codecs/tile_cache.hpp"
#include "codecs/tile_codec.hpp"
#include "common/json_file.hpp"
#include "common/process_stats.hpp"

namespace {

// Exit codes scripts can rely on (README).
constexpr int kExitOk = 0, kExitSessionError = 1, kExitUsage = 2, kExitConnect = 3;

struct Options {
  std::string target;
  std::string encoding = "pixels";
  int quality = 100;
  std::string subsampling = "420";
  std::string codec = "auto";
  std::string jpeg_coding = "arithmetic";
  bool headless = false;
  bool view_only = false;
  std::optional<int> exit_when_idle_ms;
  std::string screenshot;
  std::string stats;
  int threads = 0;
  int connect_timeout_ms = 5000;
  std::string password_file;
  bool tls = false;
  std::string tls_ca, tls_pin;
  std::string vnc_encodings;
  std::string send_clipboard;
  std::string request_size;
  int tile_cache_mib = 64;
  std::string tile_cache_file;
  double reconnect_s = 60;
  std::string scale = "fit";
  bool fullscreen = false;
  bool hud = false;
  bool resize_remote = false;
  bool no_grab = false;
  double probe_hz = 0;
  bool latency_samples = false;
  std::optional<double> exit_after_s;
  std::string play;
  double play_speed = 1;
};

// --scale: "fit", "1" (1:1) or a factor such as 1.5.
bool parse_scale(const std::string& text, rd::ScaleMode* mode, double* factor) {
  if (text == "fit") {
    *mode = rd::ScaleMode::Fit;
    return true;
  }
  char* end = nullptr;
  double f = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end || !(f >= 0.1 && f <= 8)) return false;
  *mode = f == 1.0 ? rd::ScaleMode::OneToOne : rd::ScaleMode::Fixed;
  *factor = f;
  return true;
}

std::atomic<bool> g_signalled{false}, g_usr1{false};
extern "C" void on_signal(int) { g_signalled = true; }
extern "C" void on_usr1(int) { g_usr1 = true; }

void say(const std::string& msg) { std::fprintf(stderr, "rdisplay-viewer: %s\n", msg.c_str()); }

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App cli{"rdisplay-viewer: shows an rdisplay session (rdisplay://HOST[:PORT], default port 7400)"};
  cli.set_version_flag("--version", std::string("rdisplay-viewer ") + RDISPLAY_VERSION);
  auto* target_opt = cli.add_option("target", o.target, "rdisplay://HOST[:PORT] (default port 7400) or vnc://HOST[:PORT] (default 5900)");
  cli.add_option("--play", o.play, "instead of connecting, replay a trace written by rdisplay-server --record")->excludes(target_opt);
  cli.add_option("--play-speed", o.play_speed, "--play: 1 replays at the recorded pace, 2 twice as fast, 0 as fast as it decodes")
      ->check(CLI::Range(0.0, 1000.0))
      ->capture_default_str();
  cli.add_option("--encoding", o.encoding, "what to ask the server for")
      ->check(CLI::IsMember({"pixels", "ops", "auto"}))->capture_default_str();
  cli.add_option("--quality", o.quality, "100 is lossless; below, photo-like tiles go as JPEG of that quality")
      ->check(CLI::Range(0, 100))->capture_default_str();
  cli.add_option("--subsampling", o.subsampling, "JPEG chroma subsampling")->check(CLI::IsMember({"420", "444"}))->capture_default_str();
  cli.add_option("--codec", o.codec, "force one tile codec for every non-solid tile")
      ->check(CLI::IsMember({"auto", "raw", "zstd", "jpeg", "palette"}))->capture_default_str();
  cli.add_option("--jpeg-coding", o.jpeg_coding,
                 "JPEG entropy coding: arithmetic sends ~10 % fewer bytes, huffman costs about half the CPU on both ends")
      ->check(CLI::IsMember({"arithmetic", "huffman"}))->capture_default_str();
  cli.add_option("--tile-cache", o.tile_cache_mib, "MiB of tiles to keep, so the server can send references to them (0: none)")
      ->check(CLI::Range(0, 256))->capture_default_str();
  cli.add_option("--tile-cache-file", o.tile_cache_file, "keep the tile cache in this file across runs (loaded at start, saved at exit)");
  cli.add_flag("--headless", o.headless, "no window: receive and decode only (tests, benchmarks)");
  cli.add_flag("--view-only", o.view_only, "send no keyboard or mouse input");
  cli.add_option("--exit-when-idle", o.exit_when_idle_ms, "exit 0 once updates arrived and then none for MS ms")
      ->check(CLI::Range(1, 86400000));
  cli.add_option("--exit-after", o.exit_after_s, "exit 0 this many seconds after connecting (benchmarks)")
      ->check(CLI::Range(0.001, 86400.0));
  cli.add_option("--screenshot", o.screenshot, "write the last frame received to this PNG file on exit");
  cli.add_option("--stats", o.stats, "write statistics as JSON to this file on exit");
  cli.add_option("--threads", o.threads, "decode worker threads (0: one per core)")->check(CLI::Range(0, 64));
  cli.add_option("--password-file", o.password_file, "the password is the file's first line (else you are asked, in a terminal)");
  cli.add_flag("--tls", o.tls, "connect with TLS (as rdisplays://), trusting the system's CAs");
  cli.add_option("--tls-ca", o.tls_ca, "TLS: trust the certificates in this PEM file (e.g. the server's own), implies --tls");
  cli.add_option("--tls-pin", o.tls_pin, "TLS: accept only the certificate with this fingerprint (sha256:HEX, as the server prints), implies --tls");
  cli.add_option("--vnc-encodings", o.vnc_encodings, "vnc://: RFB encodings to offer, best first, e.g. \"zrle raw\"");
  cli.add_option("--send-clipboard", o.send_clipboard, "put this text on the remote clipboard once connected");
  cli.add_option("--request-size", o.request_size, "ask the server for this screen size (WxH) once connected");
  cli.add_option("--scale", o.scale, "fit (the window, aspect kept), 1 (one remote pixel per screen pixel) or a factor like 1.5")
      ->capture_default_str();
  cli.add_flag("--fullscreen", o.fullscreen, "start fullscreen (Ctrl+Alt+Shift+F toggles)");
  cli.add_flag("--hud", o.hud, "show the HUD: fps, bandwidth, ops/pixels share, input latency (Ctrl+Alt+Shift+H toggles)");
  cli.add_flag("--resize-remote", o.resize_remote, "resizing the window asks the server for a screen of that size");
  cli.add_flag("--no-grab", o.no_grab, "leave system shortcuts (Alt+Tab ...) to the local desktop (Ctrl+Alt+Shift+G toggles)");
  cli.add_option("--probe-input", o.probe_hz,
                 "send this many probe inputs per second on average (typing x, then BackSpace; the gaps jittered) to measure input-to-display latency")
      ->check(CLI::Range(0.0, 1000.0));
  cli.add_flag("--latency-samples", o.latency_samples,
               "put every input-to-display latency (microseconds, in arrival order) into the --stats file, for pooling runs");
  cli.add_option("--reconnect", o.reconnect_s,
                 "rdisplay://: when the connection breaks, keep trying to resume the session for this many seconds (0: exit)")
      ->check(CLI::Range(0.0, 86400.0))->capture_default_str();
  cli.add_option("--connect-timeout", o.connect_timeout_ms, "ms to wait for the connection and the hello")
      ->check(CLI::Range(1, 600000))->capture_default_str();
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);  // --help, --version
    std::fprintf(stderr, "%s: %s (see --help)\n", "rdisplay-viewer", e.what());
    return 2;
  }

  rd::ScaleMode scale_mode = rd::ScaleMode::Fit;
  double scale_factor = 1;
  if (!parse_scale(o.scale, &scale_mode, &scale_factor)) {
    say("--scale must be fit, 1, or a factor from 0.1 to 8 (got " + o.scale + ")");
    return kExitUsage;
  }

  // SIGUSR1 writes what has arrived so far to the stats file (headless; tests wait on
  // it), and must never end the program, even while it still connects.
  std::signal(SIGUSR1, on_usr1);
  // A write to a connection the server reset must be an error, not the end of the
  // viewer: OpenSSL writes TLS records with write(), which raises SIGPIPE (asio's plain
  // sends do not), and the viewer goes on sending input while it reconnects.
  std::signal(SIGPIPE, SIG_IGN);
  if (o.headless) {  // SIGINT and SIGTERM end the session cleanly, stats and screenshot included
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);
  }

  if (o.target.empty() && o.play.empty()) {
    say("give a server to connect to (rdisplay://HOST[:PORT] or vnc://HOST[:PORT]) or --play FILE");
    return kExitUsage;
  }
  rd::Target target;
  try {
    if (!o.play.empty()) target.host = o.play;
    else target = rd::parse_target(o.target);
  } catch (const std::invalid_argument& e) {
    say(e.what());
    return kExitUsage;
  }
  rd::TlsOptions tls;
  tls.enabled = target.tls || o.tls || !o.tls_ca.empty() || !o.tls_pin.empty();
  tls.ca_file = o.tls_ca;
  if (!o.tls_pin.empty()) {
    tls.pin = rd::parse_fingerprint(o.tls_pin);
    if (!tls.pin) {
      say("--tls-pin must be a SHA-256 fingerprint like sha256:3f2a... (64 hex digits; the server prints it)");
      return kExitUsage;
    }
  }
  if (tls.enabled && target.scheme == rd::Target::Scheme::Vnc) {
    say("TLS is for rdisplay:// servers; vnc:// connections are plain RFB (tunnel them, e.g. over SSH)");
    return kExitUsage;
  }
  std::string where = !o.play.empty() ? "trace " + o.play : (target.scheme == rd::Target::Scheme::Vnc ? "vnc://" : tls.enabled ? "rdisplays://" : "rdisplay://") +
                      target.host + ":" + std::to_string(target.port);
  std::string password;
  if (!o.password_file.empty()) {
    std::ifstream pf(o.password_file);
    if (!pf || !std::getline(pf, password)) {
      say("cannot read a password from " + o.password_file);
      return kExitUsage;
    }
    while (!password.empty() && (password.back() == '\r' || password.back() == '\n')) password.pop_back();
  }

  std::unique_ptr<rd::RemoteSession> session;
  auto connect_start = rd::now_us();
  try {
    if (!o.play.empty()) {
      try {
        // A window stays open on the last frame; headless, the end of the trace ends it.
        session = std::make_unique<rd::TraceSession>(o.play, o.play_speed, o.headless);
      } catch (const std::exception& e) {
        say(e.what());
        return kExitUsage;
      }
    } else if (target.scheme == rd::Target::Scheme::Vnc) {
      rd::RfbOptions ro;
      ro.host = target.host;
      ro.port = target.port;
      ro.password = password;
      ro.prompt_password = password.empty() && !o.headless && ::isatty(0);
      ro.encodings = o.vnc_encodings;
      ro.quality = o.quality;
      ro.view_only = o.view_only;
      session = std::make_unique<rd::RfbSession>(ro);
    } else {
      rd::ClientHello hello;
      hello.encoding = o.encoding == "ops" ? rd::Encoding::Ops : o.encoding == "auto" ? rd::Encoding::Auto : rd::Encoding::Pixels;
      hello.quality = static_cast<std::uint8_t>(std::max(1, o.quality));
      hello.subsampling = o.subsampling == "444" ? rd::Subsampling::S444 : rd::Subsampling::S420;
      static const std::map<std::string, rd::TileCodec> codecs = {
          {"raw", rd::TileCodec::Raw}, {"zstd", rd::TileCodec::Zstd}, {"jpeg", rd::TileCodec::Jpeg}, {"palette", rd::TileCodec::Palette}};
      if (o.codec != "auto") hello.forced_codec = static_cast<std::uint8_t>(codecs.at(o.codec));
      hello.codecs = rd::kAllCodecs;
      if (o.jpeg_coding == "huffman") hello.codecs &= ~rd::codec_bit(rd::TileCodec::JpegArith);
      hello.cache_kib = static_cast<std::uint32_t>(o.tile_cache_mib) * 1024;
      rd::NativeSessionOptions no;
      no.host = target.host;
      no.port = target.port;
      no.connect_timeout = std::chrono::milliseconds(o.connect_timeout_ms);
      no.decode_threads = o.threads;
      no.glyph_cache_bytes = rd::glyph_cache_bytes(hello.glyph_cache_kib);
      no.tile_cache_file = o.tile_cache_file;
      no.reconnect_for = std::chrono::milliseconds(static_cast<long long>(o.reconnect_s * 1000));
      std::unique_ptr<rd::TileCacheStore> tiles;
      if (o.tile_cache_mib > 0) {
        tiles = std::make_unique<rd::TileCacheStore>(rd::tile_cache_bytes(hello.cache_kib));
        try {
          if (!o.tile_cache_file.empty()) tiles->load(o.tile_cache_file);
        } catch (const std::exception& e) {
          say(std::string(e.what()) + "; starting with an empty tile cache");
          tiles = std::make_unique<rd::TileCacheStore>(rd::tile_cache_bytes(hello.cache_kib));
        }
      }
      hello.name = o.headless ? "rdisplay-viewer (headless)" : "rdisplay-viewer";
      // The password, when the server asks: from --password-file, else asked once on the
      // terminal and kept for reconnections.
      auto known = std::make_shared<std::optional<std::string>>();
      if (!password.empty()) *known = password;
      const bool can_prompt = !o.headless && ::isatty(0);
      no.password = [known, can_prompt, where]() -> std::optional<std::string> {
        if (!*known && can_prompt) {
          std::string typed = rd::prompt_password(where);
          if (!typed.empty()) *known = typed;
        }
        return *known;
      };
      no.tls = tls;
      auto conn = std::make_unique<rd::NativeConnection>(target.host, target.port, hello,
                                                         std::chrono::milliseconds(o.connect_timeout_ms), no.password, tls);
      if (conn->view_only()) say("view-only access: the server shows the session but ignores your input");
      const rd::ServerHello& sh = conn->server_hello();
      if (sh.encoding != hello.encoding)
        say(std::string("the server offers ") + rd::encoding_name(sh.encoding) + " encoding, not " + o.encoding + "; using it");
      if (sh.encoding == rd::Encoding::Ops && o.quality < 100)
        say("command encoding is lossless: --quality applies to the pixels of --encoding auto and pixels only");
      no.hello = hello;
      no.tiles = std::move(tiles);
      session = std::make_unique<rd::NativeSession>(std::move(conn), std::move(no));
    }
  } catch (const rd::ConnectError& e) {
    say(e.what());
    return kExitConnect;
  }
  double connect_ms = static_cast<double>(rd::now_us() - connect_start) / 1000.0;

  rd::FrameStore store;
  store.reset(session->width(), session->height());  // black at the hello's size until frames come
  const auto started = rd::Clock::now();
  auto idle_exit = [&] {
    if (o.exit_after_s && rd::Clock::now() - started >= std::chrono::duration<double>(*o.exit_after_s)) return true;
    if (!o.exit_when_idle_ms) return false;
    auto last = store.last_frame_time();
    return last && rd::Clock::now() - *last >= std::chrono::milliseconds(*o.exit_when_idle_ms);
  };

  std::unique_ptr<rd::SdlWindow> window;
  if (!o.headless) {
    try {
      rd::WindowOptions wo;
      wo.title = "rdisplay - " + session->name() + " (" + where + ")";
      wo.view_only = o.view_only;
      wo.should_exit = idle_exit;
      wo.scale = scale_mode;
      wo.fixed_scale = scale_factor;
      wo.fullscreen = o.fullscreen;
      wo.hud = o.hud;
      wo.resize_remote = o.resize_remote;
      wo.grab_keyboard = !o.no_grab;
      wo.bytes = [s = session.get()] { return std::pair{s->bytes_received(), s->bytes_sent()}; };
      window = std::make_unique<rd::SdlWindow>(store, session->link(), session->width(), session->height(), wo);
      store.set_listener([w = window.get()] { w->wake(); });
    } catch (const std::exception& e) {
      say(e.what());
      return kExitUsage;
    }
  }
  session->start(store);
  if (!o.send_clipboard.empty() && !o.view_only) session->link().send_clipboard(o.send_clipboard);
  if (!o.request_size.empty()) {
    int rw = 0, rh = 0;
    if (std::sscanf(o.request_size.c_str(), "%dx%d", &rw, &rh) == 2) session->link().request_size(rw, rh);
    else say("--request-size must look like 1024x768; ignored");
  }

  // Probe input for latency measurements, on its own clock (the link is thread-safe).
  std::atomic<bool> probing{o.probe_hz > 0 && !o.view_only};
  std::thread probe;
  if (probing) {
    probe = std::thread([&] {
      auto next = rd::Clock::now();
      std::mt19937 rng(std::random_device{}());
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      bool type_x = true;
      std::mutex mu;
      std::unique_lock lk(mu);
      std::condition_variable never;
      // Input sent before the first frame arrived would be answered behind the whole
      // first screen: start once the viewer shows something (or on the clock, 10 s).
      const auto start_by = rd::Clock::now() + std::chrono::seconds(10);
      while (probing && store.frames() == 0 && !store.finished() && rd::Clock::now() < start_by)
        never.wait_until(lk, rd::Clock::now() + std::chrono::milliseconds(5));
      next = rd::Clock::now();
      while (probing) {
        // A key that changes the screen, then one that changes it back: each press and
        // release is stamped and answered.
        std::uint32_t ks = type_x ? 'x' : 0xff08;  // BackSpace
        type_x = !type_x;
        session->link().send_key(ks, true);
        session->link().send_key(ks, false);
        // Jittered (0.5 to 1.5 periods): a probe on a fixed clock locks its phase to the
        // app's frame clock, so that in one run every fifth key lands on a frame being
        // made and in another none does, and the p99 depends on the run's phase.
        next += std::chrono::microseconds(static_cast<long long>(1e6 / o.probe_hz * jitter(rng)));
        while (probing && rd::Clock::now() < next)  // checks the flag at least every 100 ms
          never.wait_until(lk, std::min(next, rd::Clock::now() + std::chrono::milliseconds(100)));
      }
    });
  }

  if (window) {
    window->run();
  } else {
    long live_seq = 0;
    while (!store.finished() && !idle_exit() && !g_signalled) {
      store.wait(rd::Clock::now() + std::chrono::milliseconds(20));
      store.shown(store.take());  // headless: nothing to upload; what arrived counts as shown
      if (g_usr1.exchange(false) && !o.stats.empty()) {
        rd::Surface now = store.snapshot();
        try {
          rd::write_json_file(o.stats, {{"live", true}, {"stats_seq", ++live_seq}, {"framebuffer_hash", now.hash_hex()},
                                        {"width", now.width()}, {"height", now.height()}, {"frames", store.frames()},
                                        {"clipboard", store.last_clipboard()}, {"cpu_seconds", rd::process_cpu_seconds()}});
        } catch (const std::exception& e) {
          say(e.what());
        }
      }
    }
  }
  probing = false;
  if (probe.joinable()) probe.join();
  bool ended_by_server = store.finished();
  const bool window_mode = window != nullptr;
  session->stop(!ended_by_server);
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
    nlohmann::json j = session->stats();
    j["framebuffer_hash"] = fb.hash_hex();
    j["width"] = fb.width();
    j["height"] = fb.height();
    j["bytes_received"] = session->bytes_received();
    j["bytes_sent"] = session->bytes_sent();
    j["server"] = where;
    j["session"] = session->name();
    j["encoding"] = session->encoding();
    j["quality"] = o.quality;
    j["connect_ms"] = connect_ms;
    j["clipboard"] = store.last_clipboard();
    j["cpu_seconds"] = rd::process_cpu_seconds();
    j["peak_rss_kib"] = rd::peak_rss_kib();
    j["end_reason"] = end_reason;
    std::vector<std::uint32_t> lat = store.metrics().latencies();
    j["input_latency_ms"] = {{"count", lat.size()},
                             {"p50", rd::percentile(lat, 50) / 1000.0},
                             {"p99", rd::percentile(lat, 99) / 1000.0},
                             {"max", rd::percentile(lat, 100) / 1000.0}};
    if (o.latency_samples) j["input_latency_ms"]["samples_us"] = lat;
    if (window_mode) {
      std::vector<std::uint32_t> pc = store.metrics().present_costs();
      j["present_ms"] = {{"count", pc.size()}, {"p50", rd::percentile(pc, 50) / 1000.0}, {"p99", rd::percentile(pc, 99) / 1000.0}};
    }
    try {
      rd::write_json_file(o.stats, j);
    } catch (const std::exception& e) {
      say(e.what());
      rc = kExitSessionError;
    }
  }
  return rc;
}
