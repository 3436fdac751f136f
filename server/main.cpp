// rdisplay-server: serves one session of a built-in demo app to native viewers, to any
// VNC viewer (RFB), and to browsers (noVNC).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <cstdio>
#include <filesystem>
#include <map>
#include <iostream>
#include <optional>

#include "common/json_file.hpp"
#include "common/process_stats.hpp"
#include "common/worker_pool.hpp"
#include "common/child_process.hpp"
#include "common/tls_identity.hpp"
#include "server/apps/app_runner.hpp"
#include "server/apps/trace_app.hpp"
#include "server/trace_recorder.hpp"
#include "server/x11_source.hpp"
#include "x11bridge/private_xvfb.hpp"
#include "x11bridge/x11_display.hpp"
#include "server/native_server.hpp"
#include "server/rfb_front.hpp"
#include "server/web_front.hpp"
#include "server/server_stats.hpp"
#include "server/session.hpp"
#include "server/tls_setup.hpp"

namespace {

struct Options {
  std::string app = "desktop";
  std::optional<int> frames;
  int start_frame = 0;
  int fps = 30;
  int display = 0;
  std::optional<int> port;
  std::string listen = "127.0.0.1";
  bool insecure = false;
  std::string geometry = "1280x800";
  int threads = 0;
  int window = 2;
  int max_viewers = 256;
  std::string scroll_detection = "on";
  std::string tile_cache = "on";
  int lossless_refresh_ms = 400;
  double jpeg_arithmetic_max_mpix = 16.0;
  std::string stats;
  std::string log_level = "info";
  bool list_apps = false;
  bool wait_for_viewer = false;
  std::string rfb_port;  // "" : 5900 + display
  std::string web_port;  // "" : off
  std::string password_file;
  std::string x11;
  bool keep_session = false;
  bool no_shm = false;
  std::vector<std::string> command;
  std::string tls_cert, tls_key;
  bool tls_generate = false;
  std::vector<std::string> tls_names;
  std::string record, play;
};

// "auto" -> 0 (pick a free port), a number -> itself; anything else is an error.
std::optional<int> parse_port(const std::string& s) {
  if (s == "auto") return 0;
  char* end = nullptr;
  long v = std::strtol(s.c_str(), &end, 10);
  if (s.empty() || *end || v < 0 || v > 65535) return std::nullopt;
  return static_cast<int>(v);
}

bool is_loopback(const std::string& addr) {
  asio::error_code ec;
  auto a = asio::ip::make_address(addr, ec);
  return !ec && a.is_loopback();
}

int fail(const std::string& msg, int code = 2) {
  std::fprintf(stderr, "rdisplay-server: %s\n", msg.c_str());
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App cli{"rdisplay-server: streams a built-in demo application to rdisplay viewers"};
  cli.set_version_flag("--version", std::string("rdisplay-server ") + RDISPLAY_VERSION);
  cli.add_option("--app", o.app, "built-in application to run (see --list-apps)")->capture_default_str();
  cli.add_option("--frames", o.frames, "run N frames of the app's script, then idle (still reacting to input)")
      ->check(CLI::Range(0, 1000000000));
  cli.add_option("--start-frame", o.start_frame,
                 "draw the script's first N frames at once before the first screen goes out: the session starts in the "
                 "script's later part (--frames still counts from frame 0)")
      ->check(CLI::Range(0, 1000000000));
  cli.add_option("--fps", o.fps, "script frames per second; 0 draws as fast as it can")->check(CLI::Range(0, 1000))->capture_default_str();
  auto* disp = cli.add_option("--display", o.display, "display number N: native port 7400+N")->check(CLI::Range(0, 99));
  cli.add_option("--port", o.port, "native port (0 picks a free one)")->check(CLI::Range(0, 65535))->excludes(disp);
  cli.add_option("--listen", o.listen, "address to listen on")->capture_default_str();
  cli.add_flag("--insecure", o.insecure, "allow listening on a non-loopback address without authentication");
  cli.add_option("--geometry", o.geometry, "screen size WxH")->capture_default_str();
  cli.add_option("--threads", o.threads, "encoder worker threads (0: one per core)")->check(CLI::Range(0, 64));
  cli.add_option("--window", o.window, "frames a viewer may have unacknowledged")->check(CLI::Range(1, 16))->capture_default_str();
  cli.add_option("--max-viewers", o.max_viewers, "native connections at once; more are refused with Busy")
      ->check(CLI::Range(1, 4096))->capture_default_str();
  cli.add_option("--scroll-detection", o.scroll_detection, "pixel viewers: send scrolls found in the pixels as copies")
      ->check(CLI::IsMember({"on", "off"}))->capture_default_str();
  cli.add_option("--tile-cache", o.tile_cache, "send tiles a viewer's cache holds as references to it")
      ->check(CLI::IsMember({"on", "off"}))->capture_default_str();
  cli.add_option("--lossless-refresh", o.lossless_refresh_ms,
                 "lossy viewers: resend lossy areas exactly after this many ms without change (0: never)")
      ->check(CLI::Range(0, 600000))->capture_default_str();
  cli.add_option("--jpeg-arithmetic-limit", o.jpeg_arithmetic_max_mpix,
                 "lossy viewers: arithmetic-coded JPEG (~15 % fewer bytes, ~2x the JPEG CPU) while a viewer's JPEG "
                 "rate stays under this many Mpix/s (0: never)")
      ->check(CLI::Range(0.0, 100000.0))->capture_default_str();
  cli.add_option("--stats", o.stats, "write statistics as JSON to this file on exit");
  cli.add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  cli.add_flag("--list-apps", o.list_apps, "list the built-in apps and exit");
  cli.add_option("--rfb-port", o.rfb_port, "RFB (VNC) port; default 5900+N, 0 turns RFB off, auto picks a free one");
  cli.add_option("--web-port", o.web_port, "serve the noVNC browser client on this port (auto picks a free one)");
  cli.add_option("--password-file", o.password_file,
                 "passwords, one per line; lines after __BEGIN_VIEWONLY__ are view-only (native and RFB viewers)");
  auto* cert_opt = cli.add_option("--tls-cert", o.tls_cert, "native viewers must use TLS; this PEM file holds the certificate (chain)");
  auto* key_opt = cli.add_option("--tls-key", o.tls_key, "the certificate's private key (PEM)");
  cert_opt->needs(key_opt);
  key_opt->needs(cert_opt);
  cli.add_flag("--tls-generate", o.tls_generate, "make a self-signed --tls-cert/--tls-key pair first if the files do not exist")
      ->needs(cert_opt);
  cli.add_option("--tls-name", o.tls_names, "--tls-generate: another host name or address for the certificate (repeatable)");
  auto* x11_opt = cli.add_option("--x11", o.x11, "stream an existing X display, e.g. :0");
  cli.add_flag("--no-shm", o.no_shm, "X: capture with XGetImage, not shared memory (for X servers that refuse XShm oddly)");
  cli.add_flag("--keep-session", o.keep_session, "with a command: keep serving its X display after it exits");
  cli.add_option("command", o.command, "after --: start a private Xvfb, run this command in it, stream it")
      ->excludes(x11_opt);
  cli.add_option("--record", o.record, "write everything the session shows to this trace file (ops, or pixels; zstd): rdisplay-viewer --play replays it");
  cli.add_option("--play", o.play, "replay a trace written by --record as the session's app, one recorded frame per --fps frame")
      ->excludes(x11_opt);
  cli.add_flag("--wait-for-viewer", o.wait_for_viewer,
               "start the app once the first viewer is connected (benchmarks: every viewer sees the whole script)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return cli.exit(e);  // --help, --version
    std::fprintf(stderr, "%s: %s (see --help)\n", "rdisplay-server", e.what());
    return 2;
  }

  if (o.list_apps) {
    for (const auto& a : rd::list_apps()) std::printf("%-10s %s\n", a.name.c_str(), a.description.c_str());
    return 0;
  }
  auto logger = spdlog::stderr_color_mt("server");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S.%e] [server] [%l] %v");
  spdlog::set_level(spdlog::level::from_str(o.log_level));

  int width = 0, height = 0;
  char extra = 0;
  if (std::sscanf(o.geometry.c_str(), "%dx%d%c", &width, &height, &extra) != 2) return fail("--geometry must look like 1280x800");
  if (width < 64 || height < 64 || width > 8192 || height > 8192)
    return fail("--geometry must be between 64x64 and 8192x8192");
  {
    asio::error_code ec;
    asio::ip::make_address(o.listen, ec);
    if (ec) return fail("--listen " + o.listen + " is not an IP address");
  }
  // Passwords for both fronts: native viewers answer a challenge, VNC viewers use VNC auth.
  std::vector<std::string> passwords, view_only_passwords;
  if (!o.password_file.empty()) {
    try {
      rd::read_password_file(o.password_file, passwords, view_only_passwords);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    if (passwords.empty() && view_only_passwords.empty()) return fail(o.password_file + " holds no password");
  }
  if (!is_loopback(o.listen) && passwords.empty() && view_only_passwords.empty() && !o.insecure)
    return fail("refusing to listen on " + o.listen +
                " without authentication; give --password-file FILE, use a loopback address or an SSH tunnel, or pass --insecure");

  std::shared_ptr<asio::ssl::context> tls;
  if (!o.tls_cert.empty()) {
    try {
      if (o.tls_generate && !std::filesystem::exists(o.tls_cert) && !std::filesystem::exists(o.tls_key)) {
        rd::generate_self_signed(o.tls_cert, o.tls_key, rd::certificate_names(o.listen, o.tls_names), 825);
        std::printf("rdisplay-server: made a self-signed certificate %s (key %s)\n", o.tls_cert.c_str(), o.tls_key.c_str());
      }
      tls = rd::load_tls_context(o.tls_cert, o.tls_key);
      // Viewers that do not trust a CA for this certificate pin its fingerprint.
      std::printf("rdisplay-server: TLS certificate %s\n", rd::format_fingerprint(rd::certificate_file_fingerprint(o.tls_cert)).c_str());
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }

  // The source: a built-in app, an X display, or a command on a private Xvfb.
  bool x_mode = !o.x11.empty() || !o.command.empty();
  if (x_mode && cli.get_option("--app")->count() > 0) return fail("--app, --x11 and a command are alternatives: choose one");
  if (!o.play.empty() && (x_mode || cli.get_option("--app")->count() > 0)) return fail("--play replays a trace as the app: no --app, --x11 or command with it");
  std::unique_ptr<rd::App> app;
  std::unique_ptr<rd::PrivateXvfb> xvfb;
  std::unique_ptr<rd::ChildProcess> command;
  std::unique_ptr<rd::X11Display> xdisplay;
  std::string session_name = o.app;
  if (!o.command.empty()) {
    try {
      xvfb = std::make_unique<rd::PrivateXvfb>(std::max(width, 3840), std::max(height, 2160));
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    o.x11 = xvfb->display();
    session_name = std::filesystem::path(o.command[0]).filename().string();
    spdlog::info("private Xvfb on {} ({}x{}, pid {})", o.x11, width, height, xvfb->pid());
  }
  if (x_mode) {
    try {
      xdisplay = std::make_unique<rd::X11Display>(o.x11, !o.no_shm);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    if (xvfb && !xdisplay->resize(width, height)) return fail("cannot size the private Xvfb to " + o.geometry + " (RandR)");
    if (xvfb) xdisplay->process_events();  // takes the new size
    width = xdisplay->width();
    height = xdisplay->height();
    if (o.command.empty()) session_name = "X display " + o.x11;
  } else if (!o.play.empty()) {
    rd::TraceHeader th;
    try {
      app = rd::make_trace_app(o.play, th);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    width = th.width;
    height = th.height;
    session_name = "trace " + std::filesystem::path(o.play).filename().string();
  } else {
    app = rd::make_app(o.app, width, height);
    if (!app) return fail("no app named '" + o.app + "' (see --list-apps)");
  }
  if (!o.command.empty()) {
    // Its output goes where ours goes; it runs in a process group we can end.
    command = std::make_unique<rd::ChildProcess>(o.command, "", "",
                                                 std::map<std::string, std::string>{{"DISPLAY", o.x11}});
    spdlog::info("started '{}' on {} (pid {})", o.command[0], o.x11, command->pid());
  }

  rd::Session session(width, height, session_name);
  std::unique_ptr<rd::TraceRecorder> recorder;
  if (!o.record.empty()) {
    try {
      recorder = std::make_unique<rd::TraceRecorder>(o.record, width, height, session_name);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
    session.set_recorder(recorder.get());
  }
  asio::io_context io(1);
  // Destroyed before io: its last jobs may still post finished frames to io.
  rd::WorkerPool pool(o.threads);
  rd::NativeServerConfig cfg;
  cfg.listen_address = o.listen;
  cfg.port = static_cast<std::uint16_t>(o.port ? *o.port : 7400 + o.display);
  cfg.window = o.window;
  cfg.max_viewers = o.max_viewers;
  cfg.passwords = passwords;
  cfg.view_only_passwords = view_only_passwords;
  cfg.tls = tls;
  cfg.scroll_detection = o.scroll_detection == "on";
  cfg.tile_cache = o.tile_cache == "on";
  cfg.lossless_refresh = std::chrono::milliseconds(o.lossless_refresh_ms);
  cfg.jpeg_arithmetic_max_mpix = o.jpeg_arithmetic_max_mpix;
  std::unique_ptr<rd::NativeServer> server;
  try {
    server = std::make_unique<rd::NativeServer>(io, session, pool, cfg);
  } catch (const std::system_error& e) {
    return fail("cannot listen on " + o.listen + ":" + std::to_string(cfg.port) + ": " + e.code().message());
  }
  std::unique_ptr<rd::RfbFront> rfb;
  int rfb_port = 5900 + o.display;
  if (!o.rfb_port.empty()) {
    auto p = parse_port(o.rfb_port);
    if (!p) return fail("--rfb-port must be a port number, 0 or auto");
    rfb_port = *p == 0 && o.rfb_port == "0" ? -1 : *p;
  }
  if (rfb_port >= 0) {
    rd::RfbFrontConfig rc;
    rc.listen_address = o.listen;
    rc.port = rfb_port;
    rc.desktop_name = "rdisplay: " + o.app;
    rc.passwords = passwords;
    rc.view_only_passwords = view_only_passwords;
    for (const auto& pw : rc.passwords)
      if (pw.size() > 8) spdlog::warn("VNC authentication uses only the first 8 characters of a password (native viewers: all of it)");
    try {
      rfb = std::make_unique<rd::RfbFront>(session, rc);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }
  std::unique_ptr<rd::WebFront> web;
  if (!o.web_port.empty()) {
    auto p = parse_port(o.web_port);
    if (!p) return fail("--web-port must be a port number or auto");
    if (!rfb) return fail("--web-port needs the RFB front (noVNC speaks RFB)");
    try {
      web = std::make_unique<rd::WebFront>(io, o.listen, static_cast<std::uint16_t>(*p), rfb->port(), rd::kNoVncRoot);
    } catch (const std::exception& e) {
      return fail(std::string("web front: ") + e.what());
    }
  }
  session.set_change_listener([&] {
    server->wake_all();
    if (rfb) rfb->wake();
  });

  std::unique_ptr<rd::Source> source;
  rd::AppRunner* runner = nullptr;
  if (app) {
    rd::AppRunnerConfig rc;
    rc.frames = o.frames;
    rc.start_frame = o.start_frame;
    rc.fps = o.fps;
    rc.wait_for_viewer = o.wait_for_viewer;
    auto r = std::make_unique<rd::AppRunner>(session, std::move(app), rc);
    runner = r.get();
    source = std::move(r);
  } else {
    // Captures follow the screen's changes, at most 60 a second (or --fps when given).
    int capture_fps = cli.get_option("--fps")->count() > 0 && o.fps > 0 ? o.fps : 60;
    source = std::make_unique<rd::X11Source>(session, std::move(xdisplay), capture_fps, xvfb != nullptr);
  }
  session.set_input_sink(source.get());
  session.set_viewer_listener([&] { source->viewers_changed(); });
  source->start();

  if (rfb) rfb->start();
  // Ready: tests and scripts wait for this line. What starting up cost is kept apart
  // from what serving costs.
  const double cpu_at_ready = rd::process_cpu_seconds();
  std::string ports;
  if (rfb) ports += "; rfb " + o.listen + ":" + std::to_string(rfb->port());
  if (web) ports += "; web http://" + o.listen + ":" + std::to_string(web->port()) + "/";
  std::printf("rdisplay-server: listening on %s:%u (%s, %dx%d)%s\n", o.listen.c_str(), server->port(), session_name.c_str(),
              width, height, ports.c_str());
  std::fflush(stdout);

  long stats_seq = 0;
  int command_status = -1;
  auto write_stats = [&]() -> bool {
    if (o.stats.empty()) return true;
    nlohmann::json j;
    j["stats_seq"] = ++stats_seq;  // lets a poller tell a fresh file from the last one
    {
      auto lk = session.lock();
      j["surface_hash"] = session.surface().hash_hex();
      j["width"] = session.surface().width();
      j["height"] = session.surface().height();
    }
    if (runner) {
      j["app"] = o.app;
      j["app_frames"] = runner->frames_done();
      j["app_script_done"] = runner->script_done();
      j["app_state"] = runner->app_state();
      j["app_timing"] = runner->timing();
    } else {
      j["x11"] = source->stats();
      j["x11"]["display"] = o.x11;
      if (command) j["command"] = {{"argv", o.command}, {"running", command->running()}, {"exit_status", command_status}};
    }
    j["session"] = {{"commits", session.commits()},
                    {"changing_commits", session.changing_commits()},
                    {"snapshots_made", session.snapshots_made()},
                    {"tiles_changed", session.tiles_changed()}};
    j["encoder_pool"] = rd::tlp_json(pool.tlp(), pool.size());
    if (recorder) j["recording"] = recorder->stats();
    j["cpu_seconds"] = rd::process_cpu_seconds();
    j["cpu_seconds_at_ready"] = cpu_at_ready;
    j["peak_rss_kib"] = rd::peak_rss_kib();
    j["rss_kib"] = rd::current_rss_kib();
    nlohmann::json viewers = nlohmann::json::array();
    for (const auto& v : server->stats()) viewers.push_back(rd::viewer_stats_json(v));
    j["viewers"] = viewers;
    j["encode_cache"] = {{"hits", server->encode_cache().hits()}, {"misses", server->encode_cache().misses()}};
    j["copy_search_cache"] = {{"hits", server->copy_search_cache().hits()}, {"misses", server->copy_search_cache().misses()}};
    j["shared_updates"] = {{"made", server->shared_updates().made()}, {"reused", server->shared_updates().reused()}};
    j["connections"] = {{"total", server->connections()}, {"live", server->live_viewers()}, {"refused_busy", server->refused_busy()}};
    if (rfb) {
      nlohmann::json clients = nlohmann::json::array();
      for (const auto& c : rfb->stats())
        clients.push_back({{"id", c.id}, {"peer", c.peer}, {"view_only", c.view_only}, {"connected", c.connected},
                           {"bytes_sent", c.bytes_sent}, {"bytes_if_raw", c.bytes_if_raw}, {"updates", c.updates},
                           {"input_events", c.input_events}});
      j["rfb"] = {{"port", rfb->port()}, {"clients", clients}, {"failed_auth", rfb->failed_auth()}};
    }
    try {
      rd::write_json_file(o.stats, j);
      return true;
    } catch (const std::exception& e) {
      spdlog::error("{}", e.what());
      return false;
    }
  };

  asio::signal_set signals(io, SIGINT, SIGTERM);
  asio::steady_timer drain(io);
  std::function<void(int)> wait_drained = [&](int tries) {
    if (server->live_viewers() == 0 || tries == 0) return io.stop();
    drain.expires_after(std::chrono::milliseconds(20));
    drain.async_wait([&, tries](const asio::error_code&) { wait_drained(tries - 1); });
  };
  bool shutting_down = false;
  auto shut_down = [&](const std::string& why, const std::string& bye) {
    if (shutting_down) return;
    shutting_down = true;
    spdlog::info("{}: shutting down", why);
    source->stop();  // the screen is final from here on
    if (web) web->stop();
    server->shutdown(bye, std::chrono::milliseconds(1000));
    wait_drained(100);  // the viewers' last frames, the Byes, and their closing
  };
  signals.async_wait([&](const asio::error_code& ec, int sig) {
    if (!ec) shut_down(sig == SIGINT ? "SIGINT" : "SIGTERM", "server shutting down");
  });
  // The command's exit ends the session, unless --keep-session.
  asio::signal_set children(io, SIGCHLD);
  std::function<void()> on_child = [&] {
    children.async_wait([&](const asio::error_code& ec, int) {
      if (ec || !command) return;
      if (!command->running()) {
        command_status = command->wait(std::chrono::milliseconds(0)).value_or(-1);
        spdlog::info("'{}' exited with status {}", o.command[0], command_status);
        if (!o.keep_session) return shut_down("the application exited", "the application exited");
        return;
      }
      on_child();
    });
  };
  on_child();
  // SIGUSR1 writes the stats file now and keeps running: tests and scripts poll it.
  asio::signal_set usr1(io, SIGUSR1);
  std::function<void()> on_usr1 = [&] {
    usr1.async_wait([&](const asio::error_code& ec, int) {
      if (ec) return;
      write_stats();
      on_usr1();
    });
  };
  on_usr1();
  io.run();
  source->stop();
  if (rfb) rfb->stop();
  if (command && command->running()) {  // the session ends first: its application goes too
    command->signal_group(SIGTERM);
    if (!command->wait(std::chrono::seconds(2))) command->signal_group(SIGKILL);
    command->wait(std::chrono::seconds(2));
  }
  session.set_change_listener(nullptr);
  session.set_viewer_listener(nullptr);
  if (recorder) recorder->close();
  if (!write_stats()) return 1;
  return 0;
}
