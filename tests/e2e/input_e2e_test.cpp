// Input through the real viewer window: under a private Xvfb, xdotool types into and
// drags on the rdisplay-viewer window, and the keys and the drag reach the desktop app
// on the server; the viewer then shows the server's exact screen.
#include <signal.h>

#include <doctest/doctest.h>

#include "tests/support/viewer.hpp"
#include "tests/support/xvfb.hpp"

using namespace rd;
using namespace rd::test;

namespace {

nlohmann::json poll_state(ServerProcess& server) { return parse_json(server.poll_stats(), "server stats"); }

nlohmann::json window_named(const nlohmann::json& state, const std::string& title) {
  for (const auto& w : state["app_state"]["windows"])
    if (w["title"] == title) return w;
  return {};
}

}  // namespace

TEST_CASE("e2e input: keys typed and a drag in the viewer window reach the desktop app") {
  std::string dir = scratch_dir("e2e-input");
  Xvfb x(dir, 1600, 1000);
  ServerProcess server(dir, {"--app", "desktop", "--frames", "10"});
  std::string stats = dir + "/viewer-stats.json";
  std::vector<std::string> argv{kViewerBin, server.url(), "--stats", stats, "--screenshot", dir + "/viewer.png"};
  Process viewer(argv, dir, "viewer", x.env());

  // The window appears once connected; find it by title.
  std::optional<std::string> wid;
  REQUIRE(wait_until([&] {
    wid = x.run({"xdotool", "search", "--onlyvisible", "--name", "^rdisplay - desktop"});
    return (wid && !wid->empty()) || !viewer.running();
  }, 20s));
  REQUIRE_MESSAGE(wid, "viewer window not found; viewer stderr: " << viewer.err());
  std::string w = wid->substr(0, wid->find('\n'));
  // The initial layout, as the server reports it.
  nlohmann::json before;
  before = poll_state(server);
  auto notes = window_named(before, "Notes");
  REQUIRE(notes.is_object());
  int nx = notes["x"], ny = notes["y"];

  REQUIRE(x.run({"xdotool", "windowfocus", "--sync", w}));
  REQUIRE(x.run({"xdotool", "type", "--delay", "20", "Hello, rdisplay!"}));
  // Drag the Notes window by its title bar: 100 right, 50 down.
  REQUIRE(x.run({"xdotool", "mousemove", "--window", w, "--sync", std::to_string(nx + 150), std::to_string(ny + 12)}));
  REQUIRE(x.run({"xdotool", "mousedown", "1"}));
  REQUIRE(x.run({"xdotool", "mousemove", "--window", w, "--sync", std::to_string(nx + 200), std::to_string(ny + 40)}));
  REQUIRE(x.run({"xdotool", "mousemove", "--window", w, "--sync", std::to_string(nx + 250), std::to_string(ny + 62)}));
  REQUIRE(x.run({"xdotool", "mouseup", "1"}));

  nlohmann::json after;
  bool reached = wait_until([&] {
    after = poll_state(server);
    auto n = window_named(after, "Notes");
    return after.contains("app_state") && after["app_state"]["text_field"] == "Hello, rdisplay!" && n.is_object() &&
           n["x"] == nx + 100 && n["y"] == ny + 50;
  }, 20s);
  CHECK_MESSAGE(reached, "server state: " << after.dump());

  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  auto rc = viewer.wait(20s);  // the server's Bye ends the viewer after its last frame
  REQUIRE(rc.has_value());
  CHECK(*rc == 0);
  auto v = parse_json(read_file(stats), "viewer stats");
  CHECK(v["framebuffer_hash"] == s["surface_hash"]);
  CHECK(s["viewers"][0]["input_events"].get<int>() >= 2 * 16 + 4);
}
