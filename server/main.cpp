// rdisplay-server: serves one session of a built-in demo app to native viewers, to any
// VNC viewer (RFB), and to browsers (noVNC).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <asio.hpp>
#include <cstdio>
#include <iostream>
#include <optional>

#include "common/json_file.hpp"
#include "common/process_stats.hpp"
#include "common/worker_pool.hpp"
#include "server/apps/app_runner.hpp"
#include "server/native_server.hpp"
#include "server/rfb_front.hpp"
#include "server/web_front.hpp"
#include "server/server_stats.hpp"
#include "server/session.hpp"

namespace {

struct Options {
  std::string app = "desktop";
  std::optional<int> frames;
  int fps = 30;
  int display = 0;
  std::optional<int> port;
  std::string listen = "127.0.0.1";
  bool insecure = false;
  std::string geometry = "1280x800";
  int threads = 0;
  int window = 2;
  std::string stats;
  std::string log_level = "info";
  bool list_apps = false;
  bool wait_for_viewer = false;
  std::string rfb_port;  // "" : 5900 + display
  std::string web_port;  // "" : off
  std::string password_file;
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
  cli.add_option("--fps", o.fps, "script frames per second; 0 draws as fast as it can")->check(CLI::Range(0, 1000))->capture_default_str();
  auto* disp = cli.add_option("--display", o.display, "display number N: native port 7400+N")->check(CLI::Range(0, 99));
  cli.add_option("--port", o.port, "native port (0 picks a free one)")->check(CLI::Range(0, 65535))->excludes(disp);
  cli.add_option("--listen", o.listen, "address to listen on")->capture_default_str();
  cli.add_flag("--insecure", o.insecure, "allow listening on a non-loopback address without authentication");
  cli.add_option("--geometry", o.geometry, "screen size WxH")->capture_default_str();
  cli.add_option("--threads", o.threads, "encoder worker threads (0: one per core)")->check(CLI::Range(0, 64));
  cli.add_option("--window", o.window, "frames a viewer may have unacknowledged")->check(CLI::Range(1, 16))->capture_default_str();
  cli.add_option("--stats", o.stats, "write statistics as JSON to this file on exit");
  cli.add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")->capture_default_str();
  cli.add_flag("--list-apps", o.list_apps, "list the built-in apps and exit");
  cli.add_option("--rfb-port", o.rfb_port, "RFB (VNC) port; default 5900+N, 0 turns RFB off, auto picks a free one");
  cli.add_option("--web-port", o.web_port, "serve the noVNC browser client on this port (auto picks a free one)");
  cli.add_option("--password-file", o.password_file,
                 "VNC passwords for RFB viewers: one per line; lines after __BEGIN_VIEWONLY__ are view-only");
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
  if (!is_loopback(o.listen) && !o.insecure)
    return fail("refusing to listen on " + o.listen +
                " without authentication (not implemented yet); use a loopback address, an SSH tunnel, or --insecure");

  auto app = rd::make_app(o.app, width, height);
  if (!app) return fail("no app named '" + o.app + "' (see --list-apps)");

  rd::Session session(width, height, o.app);
  asio::io_context io(1);
  // Destroyed before io: its last jobs may still post finished frames to io.
  rd::WorkerPool pool(o.threads);
  rd::NativeServerConfig cfg;
  cfg.listen_address = o.listen;
  cfg.port = static_cast<std::uint16_t>(o.port ? *o.port : 7400 + o.display);
  cfg.window = o.window;
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
    if (!o.password_file.empty()) {
      try {
        rd::read_password_file(o.password_file, rc.passwords, rc.view_only_passwords);
      } catch (const std::exception& e) {
        return fail(e.what());
      }
      for (const auto& pw : rc.passwords)
        if (pw.size() > 8) spdlog::warn("VNC authentication uses only the first 8 characters of a password");
    }
    try {
      rfb = std::make_unique<rd::RfbFront>(session, rc);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  } else if (!o.password_file.empty()) {
    return fail("--password-file is for the RFB front, which --rfb-port 0 turned off");
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

  rd::AppRunnerConfig rc;
  rc.frames = o.frames;
  rc.fps = o.fps;
  rc.wait_for_viewer = o.wait_for_viewer;
  rd::AppRunner runner(session, std::move(app), rc);
  session.set_input_sink(&runner);
  session.set_viewer_listener([&] { runner.viewers_changed(); });
  runner.start();

  if (rfb) rfb->start();
  // Ready: tests and scripts wait for this line.
  std::string ports;
  if (rfb) ports += "; rfb " + o.listen + ":" + std::to_string(rfb->port());
  if (web) ports += "; web http://" + o.listen + ":" + std::to_string(web->port()) + "/";
  std::printf("rdisplay-server: listening on %s:%u (app %s, %dx%d)%s\n", o.listen.c_str(), server->port(), o.app.c_str(),
              width, height, ports.c_str());
  std::fflush(stdout);

  long stats_seq = 0;
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
    j["app"] = o.app;
    j["app_frames"] = runner.frames_done();
    j["app_script_done"] = runner.script_done();
    j["app_state"] = runner.app_state();
    j["app_timing"] = runner.timing();
    j["session"] = {{"commits", session.commits()},
                    {"changing_commits", session.changing_commits()},
                    {"tiles_changed", session.tiles_changed()}};
    j["encoder_pool"] = rd::tlp_json(pool.tlp(), pool.size());
    j["cpu_seconds"] = rd::process_cpu_seconds();
    j["peak_rss_kib"] = rd::peak_rss_kib();
    j["rss_kib"] = rd::current_rss_kib();
    nlohmann::json viewers = nlohmann::json::array();
    for (const auto& v : server->stats()) viewers.push_back(rd::viewer_stats_json(v));
    j["viewers"] = viewers;
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
  signals.async_wait([&](const asio::error_code& ec, int sig) {
    if (ec) return;
    spdlog::info("{}: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    runner.stop();  // the screen is final from here on
    if (web) web->stop();
    server->shutdown("server shutting down", std::chrono::milliseconds(1000));
    wait_drained(100);  // the viewers' last frames, the Byes, and their closing
  });
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
  runner.stop();
  if (rfb) rfb->stop();
  session.set_change_listener(nullptr);
  session.set_viewer_listener(nullptr);
  if (!write_stats()) return 1;
  return 0;
}
