// Recording (rdisplay-server --record) and replay: a live session's trace replays in
// the viewer (--play) and through the server again (--play) to exactly the screen the
// live session ended with, for a Canvas app (ops) and for an X display (pixels).
#include <signal.h>

#include <doctest/doctest.h>

#include "tests/support/viewer.hpp"
#include "tests/support/xvfb.hpp"
#include "x11bridge/xwd_file.hpp"

using namespace rd;
using namespace rd::test;

namespace {

// The trace played by the viewer alone, flat out: its last frame's hash.
std::string played_hash(const std::string& dir, const std::string& trace, const std::string& name) {
  std::string stats = dir + "/" + name + "-stats.json";
  ViewerRun r = run_viewer(dir, name, {"--play", trace, "--headless", "--play-speed", "0", "--stats", stats});
  INFO(r.err);
  CHECK(r.code == 0);
  auto j = parse_json(read_file(stats), name);
  CHECK(j["trace_records"].get<int>() > 0);
  return j["framebuffer_hash"].get<std::string>();
}

}  // namespace

TEST_CASE("e2e trace: a recorded app session replays in the viewer and through ops, pixels and RFB to the same screen") {
  std::string dir = scratch_dir("e2e-trace-app"), trace = dir + "/desktop.trace";
  std::string live_hash;
  {
    ServerProcess server(dir, {"--app", "desktop", "--frames", "90", "--fps", "60", "--record", trace, "--wait-for-viewer"});
    HeadlessViewer live(dir, "live", server.url(), {"--exit-when-idle", "1000"});
    auto v = live.finish();
    auto s = parse_json(server.stop_and_read_stats(), "server stats");
    live_hash = s["surface_hash"].get<std::string>();
    CHECK(v["framebuffer_hash"] == live_hash);
    CHECK(s["recording"]["ops_records"].get<int>() >= 90);
    CHECK(s["recording"]["pixel_records"] == 0);
  }
  CHECK(played_hash(dir, trace, "play") == live_hash);
  // Through the server again: each encoding gets the trace as the app published it.
  for (const auto& [name, args] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"ops", {"--encoding", "ops"}}, {"pixels", {"--encoding", "pixels"}}, {"rfb", {"--vnc-encodings", "zrle"}}}) {
    CAPTURE(name);
    ServerProcess replay(dir, {"--play", trace, "--fps", "120", "--wait-for-viewer"}, "replay-" + name);
    HeadlessViewer v(dir, "viewer-" + name, name == "rfb" ? replay.vnc_url() : replay.url(), [&] {
      auto a = args;
      a.insert(a.end(), {"--exit-when-idle", "1000"});
      return a;
    }());
    auto j = v.finish();
    auto s = parse_json(replay.stop_and_read_stats(), "replay stats");
    CHECK(s["app_state"]["trace_ended"] == true);
    CHECK(s["surface_hash"] == live_hash);
    CHECK(j["framebuffer_hash"] == live_hash);
  }
  // Not a trace: one clear line, exit 2.
  ViewerRun bad = run_viewer(dir, "bad", {"--play", dir + "/live-stats.json", "--headless"});
  CHECK(bad.code == 2);
  CHECK(lines_of(bad.err) == 1);
  CHECK(bad.err.find("trace") != std::string::npos);
}

TEST_CASE("e2e trace: an X display's recording replays to the screen the live viewer ended with") {
  std::string dir = scratch_dir("e2e-trace-x11"), trace = dir + "/x.trace";
  Xvfb x(dir, 640, 480);
  ServerProcess server(dir, {"--x11", x.display(), "--record", trace});
  HeadlessViewer live(dir, "live", server.url(), {});
  REQUIRE(x.run({"xsetroot", "-solid", "#336699"}));
  Process xterm({"xterm", "-geometry", "40x10+20+20", "-e", "sh", "-c", "seq 1 40; exec sleep 600"}, dir, "xterm", {{"DISPLAY", x.display()}});
  std::string last;
  auto xwd_hash = [&] {
    std::string f = dir + "/root.xwd";
    return x.run({"xwd", "-root", "-silent", "-out", f}) ? read_xwd(f).hash_hex() : std::string();
  };
  // The screen settled (xterm drawn) and the live viewer holds it.
  CHECK_MESSAGE(wait_until([&] {
    std::string now = xwd_hash();
    bool same = now == last && now == live.poll_stats()["framebuffer_hash"];
    last = now;
    return same && x.run({"xdotool", "search", "--onlyvisible", "--class", "XTerm"}).value_or("").size() > 0;
  }, 30s), "the live viewer never matched xwd -root");
  live.proc().signal(SIGTERM);
  auto v = live.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(s["recording"]["pixel_records"].get<int>() > 0);
  CHECK(s["recording"]["ops_records"] == 0);
  // The trace holds everything the session showed until it stopped, which may be a
  // capture later than the live viewer's last frame (xterm may still have been drawing).
  CHECK(played_hash(dir, trace, "play") == s["surface_hash"].get<std::string>());
  CHECK(!v["framebuffer_hash"].get<std::string>().empty());
}
