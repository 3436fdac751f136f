// The real SDL viewer window on a private Xvfb: typing under US, German and French
// keyboard layouts (AltGr, dead keys) reaches the desktop app as the right characters,
// and the window shows the remote screen 1:1, fitted, fullscreen and with the HUD, each
// checked against the server's pixels and saved as a PNG (RDISPLAY_SCREENSHOT_DIR, when
// set, gets copies: scripts/viewer_screenshots.sh puts them in docs/).
#include <signal.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "client/png_file.hpp"
#include "tests/support/viewer.hpp"
#include "tests/support/xvfb.hpp"
#include "x11bridge/xwd_file.hpp"

using namespace rd;
using namespace rd::test;

namespace {

std::string find_window(Xvfb& x, Process& viewer, const std::string& title) {
  std::optional<std::string> wid;
  bool found = wait_until([&] {
    wid = x.run({"xdotool", "search", "--onlyvisible", "--name", title});
    return (wid && !wid->empty()) || !viewer.running();
  }, 20s);
  REQUIRE_MESSAGE(found, "viewer window not found; viewer stderr: " << viewer.err());
  REQUIRE_MESSAGE(wid, "viewer window not found; viewer stderr: " << viewer.err());
  return wid->substr(0, wid->find('\n'));
}

std::optional<Surface> capture(Xvfb& x, const std::string& wid, const std::string& file) {
  if (!x.run({"xwd", "-id", wid, "-silent", "-out", file})) return std::nullopt;
  try {
    return read_xwd(file);
  } catch (const std::exception&) {
    return std::nullopt;  // caught mid-resize
  }
}

void save_shot(const Surface& s, const std::string& dir, const std::string& name) {
  write_png(dir + "/" + name, s);
  if (const char* docs = std::getenv("RDISPLAY_SCREENSHOT_DIR")) {
    std::filesystem::create_directories(docs);
    write_png(std::string(docs) + "/" + name, s);
  }
}

// The server's screen, as its headless viewer holds it once the script is over.
Surface server_screen(const std::string& dir, ServerProcess& server) {
  HeadlessViewer v(dir, "reference", server.url(), {"--exit-when-idle", "500"});
  v.finish();
  return read_png(v.screenshot());
}

bool script_done(ServerProcess& server) { return parse_json(server.poll_stats(), "stats")["app_script_done"] == true; }

}  // namespace

TEST_CASE("e2e keyboard layouts: US, German and French typing through the real window, AltGr and dead keys included") {
  std::string dir = scratch_dir("e2e-layouts");
  Xvfb x(dir, 1600, 1000);
  ServerProcess server(dir, {"--app", "desktop", "--frames", "1"});
  struct Layout {
    const char* name;
    std::vector<std::string> keys;  // xdotool key names, typed on that layout's keys
    std::string typed;              // what the desktop app's text field gains
  };
  const std::vector<Layout> layouts = {
      {"us", {"H", "i", "shift+2", "numbersign", "asciitilde", "space"}, "Hi@#~ "},
      {"de",
       {"a", "ISO_Level3_Shift+q", "dead_circumflex", "e", "ssharp", "adiaeresis", "ISO_Level3_Shift+e", "dead_acute", "a", "z",
        "y", "shift+7"},
       "a@\u00ea\u00df\u00e4\u20ac\u00e1zy/"},
      {"fr", {"a", "eacute", "shift+ampersand", "ISO_Level3_Shift+agrave", "dead_circumflex", "e", "dead_diaeresis", "i", "space"},
       "a\u00e91@\u00ea\u00ef "},
  };
  std::string expected;
  for (const Layout& l : layouts) {
    CAPTURE(l.name);
    REQUIRE(x.run({"setxkbmap", l.name}));
    Process viewer({kViewerBin, server.url()}, dir, std::string("viewer-") + l.name, x.env());
    std::string w = find_window(x, viewer, "^rdisplay - desktop");
    REQUIRE(x.run({"xdotool", "windowfocus", "--sync", w}));
    std::vector<std::string> argv{"xdotool", "key", "--delay", "30"};
    argv.insert(argv.end(), l.keys.begin(), l.keys.end());
    REQUIRE(x.run(argv));
    expected += l.typed;
    nlohmann::json st;
    bool typed = wait_until([&] {
      st = parse_json(server.poll_stats(), "stats");
      return st["app_state"]["text_field"] == expected;
    }, 10s);
    CHECK_MESSAGE(typed, l.name << ": the text field holds " << st["app_state"]["text_field"].dump() << ", expected "
                                << nlohmann::json(expected).dump());
    viewer.signal(SIGTERM);
    viewer.wait(10s);
  }
  REQUIRE(x.run({"setxkbmap", "us"}));
}

TEST_CASE("e2e viewer window: 1:1, fit, fullscreen and HUD show the server's screen as asked") {
  std::string dir = scratch_dir("e2e-window");
  Xvfb x(dir, 1600, 1000);
  ServerProcess server(dir, {"--app", "desktop", "--frames", "90", "--fps", "60"});
  REQUIRE(wait_until([&] { return script_done(server); }, 30s));
  const Surface remote = server_screen(dir, server);
  REQUIRE(remote.width() == 1280);

  SUBCASE("1:1: the window holds the remote screen pixel for pixel") {
    Process viewer({kViewerBin, server.url(), "--scale", "1"}, dir, "viewer-1to1", x.env());
    std::string w = find_window(x, viewer, "^rdisplay - desktop");
    std::optional<Surface> shot;
    CHECK(wait_until([&] { return (shot = capture(x, w, dir + "/w.xwd")) && *shot == remote; }, 20s));
    REQUIRE(shot);
    save_shot(*shot, dir, "viewer-1to1.png");
  }
  SUBCASE("fit: an 800x600 window shows the whole screen at 0.625, letterboxed") {
    Process viewer({kViewerBin, server.url()}, dir, "viewer-fit", x.env());
    std::string w = find_window(x, viewer, "^rdisplay - desktop");
    REQUIRE(x.run({"xdotool", "windowsize", "--sync", w, "800", "600"}));
    std::optional<Surface> shot;
    auto letterboxed = [&] {
      if (!(shot = capture(x, w, dir + "/w.xwd")) || shot->width() != 800 || shot->height() != 600) return false;
      // 1280x800 at 0.625 is 800x500: 50 black rows above and below.
      for (int y : {0, 49, 550, 599})
        for (int xx = 0; xx < 800; xx += 7)
          if ((shot->row32(y)[xx] & 0xFFFFFF) != 0) return false;
      // Inside, each pixel is the filtered remote pixel it covers: close, not equal.
      long diff = 0, n = 0;
      for (int y = 60; y < 540; y += 5)
        for (int xx = 4; xx < 796; xx += 5) {
          std::uint32_t a = shot->row32(y)[xx], b = remote.row32(static_cast<int>((y - 50) / 0.625))[static_cast<int>(xx / 0.625)];
          for (int sh = 0; sh < 24; sh += 8) diff += std::abs(static_cast<int>((a >> sh) & 255) - static_cast<int>((b >> sh) & 255));
          n += 3;
        }
      return static_cast<double>(diff) / static_cast<double>(n) < 12.0;
    };
    CHECK(wait_until(letterboxed, 20s));
    REQUIRE(shot);
    save_shot(*shot, dir, "viewer-fit.png");
  }
  SUBCASE("fullscreen: the window covers the display, the screen scaled by 1.25") {
    // Fullscreen is the window manager's to grant (_NET_WM_STATE): run one, as any desktop does.
    Process wm({"openbox", "--sm-disable"}, dir, "openbox", x.env());
    REQUIRE(wait_until([&] {
      auto p = x.run({"xprop", "-root", "_NET_SUPPORTING_WM_CHECK"});
      return p && p->find("window id") != std::string::npos;
    }, 20s));
    Process viewer({kViewerBin, server.url(), "--fullscreen"}, dir, "viewer-fullscreen", x.env());
    std::string w = find_window(x, viewer, "^rdisplay - desktop");
    std::optional<Surface> shot;
    CHECK(wait_until([&] {
      if (!(shot = capture(x, w, dir + "/w.xwd")) || shot->width() != 1600 || shot->height() != 1000) return false;
      // A flat area of the remote screen keeps its colour when scaled.
      return (shot->row32(999)[1599] & 0xFFFFFF) == (remote.row32(799)[1279] & 0xFFFFFF) &&
             (shot->row32(500)[10] & 0xFFFFFF) == (remote.row32(400)[8] & 0xFFFFFF);
    }, 20s));
    REQUIRE(shot);
    save_shot(*shot, dir, "viewer-fullscreen.png");
  }
  SUBCASE("HUD: live figures sit top left over the screen; the rest stays exact") {
    // A second server whose desktop keeps animating, so the HUD has frames to count.
    ServerProcess live(dir, {"--app", "desktop", "--fps", "30"}, "live");
    Process viewer({kViewerBin, live.url(), "--scale", "1", "--hud"}, dir, "viewer-hud", x.env());
    std::string w = find_window(x, viewer, "^rdisplay - desktop");
    const Rect hud{8, 8, 300, 80}, files{90, 110, 270, 200};  // the Files list does not animate
    auto region_equal = [](const Surface& a, const Surface& b, const Rect& r) {
      for (int y = r.y; y < r.y + r.h; ++y)
        if (std::memcmp(a.row32(y) + r.x, b.row32(y) + r.x, static_cast<std::size_t>(r.w) * 4) != 0) return false;
      return true;
    };
    std::optional<Surface> first, shot;
    CHECK(wait_until([&] {
      return (first = capture(x, w, dir + "/w.xwd")) && first->width() == 1280 && region_equal(*first, remote, files) &&
             !region_equal(*first, remote, hud);
    }, 20s));
    REQUIRE(first);
    // Input to measure: the pointer moves over the window; the HUD's figures then change.
    for (int i = 0; i < 10; ++i)
      REQUIRE(x.run({"xdotool", "mousemove", "--window", w, "--sync", std::to_string(900 + i * 10), "700"}));
    CHECK(wait_until([&] {
      return (shot = capture(x, w, dir + "/w.xwd")) && shot->width() == 1280 && !region_equal(*shot, *first, hud) &&
             region_equal(*shot, remote, files);
    }, 20s));
    REQUIRE(shot);
    save_shot(*shot, dir, "viewer-hud.png");
  }
}

TEST_CASE("e2e viewer window: with --resize-remote, resizing the window resizes the X session to match, shown 1:1") {
  std::string dir = scratch_dir("e2e-window-resize");
  Xvfb x(dir, 1600, 1000);
  ServerProcess server(dir, {"--geometry", "1024x768", "--", "xlogo"});
  Process viewer({kViewerBin, server.url(), "--resize-remote"}, dir, "viewer", x.env());
  std::string w = find_window(x, viewer, "^rdisplay - ");
  REQUIRE(x.run({"xdotool", "windowsize", "--sync", w, "900", "640"}));
  bool resized = wait_until([&] {
    auto st = parse_json(server.poll_stats(), "stats");
    return st["width"] == 900 && st["height"] == 640;
  }, 20s);
  CHECK_MESSAGE(resized, "the X session did not follow the window: " << server.poll_stats());
  // The screen now fills the window at scale 1: the window's pixels are the session's.
  std::optional<Surface> shot;
  std::string session_hash;
  CHECK(wait_until([&] {
    session_hash = parse_json(server.poll_stats(), "stats")["surface_hash"];
    shot = capture(x, w, dir + "/w.xwd");
    return shot && shot->width() == 900 && shot->height() == 640 && shot->hash_hex() == session_hash;
  }, 20s));
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(s["x11"]["resizes"].get<int>() >= 1);
}
