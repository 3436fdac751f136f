// Real X applications streamed by rdisplay-server: attached to an Xvfb (--x11) or started
// on a private one (-- COMMAND). The viewers' pixels must equal `xwd -root`; typing
// (including é, € and Cyrillic), clicks, the wheel and the clipboard must reach the
// applications; a command's exit ends the session and leaves no Xvfb behind.
#include <signal.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <filesystem>
#include <regex>

#include "client/png_file.hpp"
#include "tests/support/viewer.hpp"
#include "tests/support/xvfb.hpp"
#include "x11bridge/xwd_file.hpp"

using namespace rd;
using namespace rd::test;

namespace {

std::string xwd_hash(Xvfb& x, const std::string& dir) {
  std::string f = dir + "/root.xwd";
  if (!x.run({"xwd", "-root", "-silent", "-out", f})) return "";
  return read_xwd(f).hash_hex();
}

// Input events the server has received from its native viewers so far.
int input_events(ServerProcess& server) {
  int n = 0;
  nlohmann::json stats = parse_json(server.poll_stats(), "stats");  // alive through the loop
  for (const auto& v : stats["viewers"]) n += v["input_events"].get<int>();
  return n;
}

// Waits until an X client's window shows up on the display, found by its WM_CLASS
// (or by its name, for clients like xev that set no class).
bool window_appears(Xvfb& x, const std::string& wm_class, const std::string& by = "--class") {
  return wait_until([&] {
    auto w = x.run({"xdotool", "search", "--onlyvisible", by, wm_class});
    return w && !w->empty();
  }, 20s);
}

}  // namespace

TEST_CASE("e2e x11: xterm, xlogo, xclock and xeyes on Xvfb, native and RFB viewers equal xwd -root, XShm or not") {
  std::string dir = scratch_dir("e2e-x11-apps");
  Xvfb x(dir, 1024, 768);
  std::map<std::string, std::string> env{{"DISPLAY", x.display()}};
  Process xterm({"xterm", "-geometry", "80x24+10+10", "-e", "sh"}, dir, "xterm", env);
  Process logo({"xlogo", "-geometry", "200x200+600+20"}, dir, "xlogo", env);
  Process clock({"xclock", "-geometry", "200x200+600+260"}, dir, "xclock", env);
  Process eyes({"xeyes", "-geometry", "200x150+600+500"}, dir, "xeyes", env);
  for (const char* w : {"XTerm", "XLogo", "XClock", "XEyes"}) REQUIRE_MESSAGE(window_appears(x, w), std::string(w) << " did not appear");
  ServerProcess server(dir, {"--x11", x.display()});
  HeadlessViewer native(dir, "native", server.url(), {});
  HeadlessViewer rfb(dir, "rfb", server.vnc_url(), {"--vnc-encodings", "zrle"});
  // The clock may tick: wait until each viewer holds exactly what xwd sees.
  std::string last;
  CHECK_MESSAGE(wait_until([&] { return (last = xwd_hash(x, dir)) == native.poll_stats()["framebuffer_hash"]; }, 30s),
                "native viewer never matched xwd -root (" << last << ")");
  CHECK_MESSAGE(wait_until([&] { return (last = xwd_hash(x, dir)) == rfb.poll_stats()["framebuffer_hash"]; }, 30s),
                "RFB viewer never matched xwd -root (" << last << ")");
  // A few characters typed into xterm: a small change, read from the screen by itself.
  std::string before = xwd_hash(x, dir);
  REQUIRE(x.run({"xdotool", "mousemove", "--sync", "100", "100"}));
  REQUIRE(x.run({"xdotool", "type", "--delay", "20", "echo small"}));
  CHECK_MESSAGE(wait_until([&] {
    last = xwd_hash(x, dir);
    return last != before && last == native.poll_stats()["framebuffer_hash"];
  }, 30s), "after typing, the native viewer never matched xwd -root (" << last << ")");
  native.proc().signal(SIGTERM);
  rfb.proc().signal(SIGTERM);
  native.finish();
  rfb.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(s["x11"]["shm"] == true);
  CHECK(s["x11"]["captures"].get<int>() > s["x11"]["full_grabs"].get<int>());  // the typing was read in pieces

  // The XGetImage path (where an X server refuses shared memory) shows the same.
  ServerProcess plain(dir, {"--x11", x.display(), "--no-shm"}, "server-no-shm");
  HeadlessViewer v(dir, "no-shm", plain.url(), {});
  CHECK_MESSAGE(wait_until([&] { return (last = xwd_hash(x, dir)) == v.poll_stats()["framebuffer_hash"]; }, 30s),
                "viewer of the XGetImage server never matched xwd -root (" << last << ")");
  v.proc().signal(SIGTERM);
  v.finish();
  auto ps = parse_json(plain.stop_and_read_stats(), "no-shm server stats");
  CHECK(ps["x11"]["shm"] == false);
}

TEST_CASE("e2e x11: typing through the viewer window reaches a shell in xterm, é, € and Cyrillic included") {
  std::string dir = scratch_dir("e2e-x11-typing");
  Xvfb target(dir, 800, 600);
  std::string file = dir + "/typed.txt";
  Process xterm({"xterm", "-u8", "-geometry", "100x30+0+0", "-e", "sh"}, dir, "xterm",
                {{"DISPLAY", target.display()}, {"LC_ALL", "C.UTF-8"}});
  REQUIRE(window_appears(target, "XTerm"));
  ServerProcess server(dir, {"--x11", target.display()});
  // The viewer's own display, where xdotool types into its window like a user.
  Xvfb desk(dir, 1600, 1000);
  Process viewer({kViewerBin, server.url()}, dir, "viewer", desk.env());
  std::optional<std::string> wid;
  REQUIRE(wait_until([&] {
    wid = desk.run({"xdotool", "search", "--onlyvisible", "--name", "^rdisplay - xterm|^rdisplay - X display"});
    return (wid && !wid->empty()) || !viewer.running();
  }, 20s));
  REQUIRE_MESSAGE(wid, "viewer window not found: " << viewer.err());
  std::string w = wid->substr(0, wid->find('\n'));
  REQUIRE(desk.run({"xdotool", "windowfocus", "--sync", w}));
  // Point at the xterm (focus follows the pointer without a window manager), then type.
  REQUIRE(desk.run({"xdotool", "mousemove", "--window", w, "--sync", "200", "200"}));
  // The viewer is taking input once the server has seen the pointer move.
  REQUIRE(wait_until([&] { return input_events(server) >= 1; }, 20s));
  // The local keyboard has keys for these characters, as a user's layout would: without
  // them xdotool remaps a key for each character and restores it right after, which races
  // with the window reading the key under load.
  REQUIRE(desk.run({"xmodmap", "-e", "keycode 191 = eacute", "-e", "keycode 192 = EuroSign", "-e", "keycode 193 = Cyrillic_zhe",
                    "-e", "keycode 194 = Cyrillic_u", "-e", "keycode 195 = Cyrillic_ka"}));
  std::string line = "printf '%s\\n' 'h\u00e9llo \u20ac \u0436\u0443\u043a' > " + file;
  REQUIRE(desk.run({"xdotool", "type", "--delay", "30", line}));
  REQUIRE(desk.run({"xdotool", "key", "Return"}));
  std::string got;
  bool arrived = wait_until([&] {
    got = read_file(file);
    return got == "h\u00e9llo \u20ac \u0436\u0443\u043a\n";
  }, 20s);
  CHECK_MESSAGE(arrived, "the file holds: '" << got << "'");
  auto st = parse_json(server.poll_stats(), "stats");
  CHECK(st["x11"]["spare_keycodes_used"].get<int>() >= 4);  // é, €, ж, у, к have no key on a US map
  viewer.signal(SIGTERM);
  server.stop_and_read_stats();
}

TEST_CASE("e2e x11: a click and a wheel turn through the viewer window reach the application") {
  std::string dir = scratch_dir("e2e-x11-pointer");
  Xvfb target(dir, 800, 600);
  // Line-buffered, or xev's output would wait in a buffer until it exits.
  Process xev({"stdbuf", "-oL", "xev", "-geometry", "300x300+100+100", "-event", "button"}, dir, "xev",
              {{"DISPLAY", target.display()}});
  REQUIRE(window_appears(target, "Event Tester", "--name"));
  ServerProcess server(dir, {"--x11", target.display()});
  Xvfb desk(dir, 1600, 1000);
  Process viewer({kViewerBin, server.url()}, dir, "viewer", desk.env());
  std::optional<std::string> wid;
  REQUIRE(wait_until([&] {
    wid = desk.run({"xdotool", "search", "--onlyvisible", "--name", "^rdisplay - "});
    return (wid && !wid->empty()) || !viewer.running();
  }, 20s));
  std::string w = wid->substr(0, wid->find('\n'));
  REQUIRE(desk.run({"xdotool", "mousemove", "--window", w, "--sync", "250", "250"}));
  // The viewer is taking input once the server has seen the pointer move.
  REQUIRE(wait_until([&] { return input_events(server) >= 1; }, 20s));
  REQUIRE(desk.run({"xdotool", "click", "1"}));
  REQUIRE(desk.run({"xdotool", "click", "4"}));
  bool seen = wait_until([&] {
    std::string out = xev.out();
    return out.find("ButtonPress") != std::string::npos && out.find("button 1,") != std::string::npos &&
           out.find("button 4,") != std::string::npos;
  }, 20s);
  CHECK_MESSAGE(seen, "xev saw: " << xev.out());
  viewer.signal(SIGTERM);
  server.stop_and_read_stats();
}

TEST_CASE("e2e x11: the clipboard goes between X selections and viewers, UTF-8 both ways") {
  std::string dir = scratch_dir("e2e-x11-clipboard");
  Xvfb target(dir, 640, 480);
  Process logo({"xlogo"}, dir, "xlogo", {{"DISPLAY", target.display()}});  // something to show
  REQUIRE(window_appears(target, "XLogo"));
  ServerProcess server(dir, {"--x11", target.display()});
  HeadlessViewer viewer(dir, "viewer", server.url(), {});
  REQUIRE(wait_until([&] { return viewer.poll_stats()["frames"].get<int>() > 0; }, 20s));
  // An X client copies: the viewer gets it.
  Process copy({"sh", "-c", "printf 'gr\u00fc\u00dfe \u20ac' | xclip -selection clipboard"}, dir, "xclip-in",
               {{"DISPLAY", target.display()}});
  CHECK(wait_until([&] { return viewer.poll_stats()["clipboard"] == "gr\u00fc\u00dfe \u20ac"; }, 20s));
  // A viewer copies: X clients can paste it.
  HeadlessViewer sender(dir, "sender", server.url(), {"--send-clipboard", "\u0436\u0443\u043a \u00e9"});
  std::optional<std::string> pasted;
  CHECK(wait_until([&] {
    pasted = target.run({"xclip", "-o", "-selection", "clipboard"});
    return pasted && *pasted == "\u0436\u0443\u043a \u00e9";
  }, 20s));
  for (HeadlessViewer* v : {&viewer, &sender}) v->proc().signal(SIGTERM);
  for (HeadlessViewer* v : {&viewer, &sender}) v->finish();
  server.stop_and_read_stats();
}

TEST_CASE("e2e x11: when the command exits, the session ends and its Xvfb, socket and lock are gone") {
  std::string dir = scratch_dir("e2e-x11-command");
  Process server({kServerBin, "--port", "0", "--rfb-port", "auto", "--stats", dir + "/stats.json", "--", "sh", "-c", "sleep 2"},
                 dir, "server");
  auto rc = server.wait(30s);
  REQUIRE_MESSAGE(rc.has_value(), "the server did not end with its command");
  CHECK(*rc == 0);
  std::smatch m;
  std::string err = server.err();
  static const std::regex re(R"(private Xvfb on :(\d+) \([^,]*, pid (\d+)\))");
  REQUIRE_MESSAGE(std::regex_search(err, m, re), err);
  std::string n = m[1], pid = m[2];
  CHECK_FALSE(std::filesystem::exists("/tmp/.X11-unix/X" + n));
  CHECK_FALSE(std::filesystem::exists("/tmp/.X" + n + "-lock"));
  CHECK_FALSE(std::filesystem::exists("/proc/" + pid));
  CHECK(err.find("the application exited") != std::string::npos);
  auto s = parse_json(read_file(dir + "/stats.json"), "stats");
  CHECK(s["command"]["exit_status"] == 0);
}

TEST_CASE("e2e x11: a viewer's size request resizes the private Xvfb through RandR, smaller and larger, never an attached display") {
  std::string dir = scratch_dir("e2e-x11-resize");
  ServerProcess server(dir, {"--geometry", "1024x768", "--", "xlogo"});
  for (auto [w, h] : {std::pair{800, 600}, {1600, 1000}}) {
    std::string size = std::to_string(w) + "x" + std::to_string(h);
    HeadlessViewer v(dir, "viewer-" + size, server.url(), {"--request-size", size});
    bool resized = wait_until([&] {
      auto st = v.poll_stats();
      return st["width"] == w && st["height"] == h && st["frames"].get<int>() >= 1;
    }, 20s);
    CHECK_MESSAGE(resized, "the session did not become " << size);
    v.proc().signal(SIGTERM);
    auto vs = v.finish();
    CHECK(vs["width"] == w);
    CHECK(vs["height"] == h);
  }
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(s["x11"]["resizes"] == 2);
  CHECK(s["height"] == 1000);

  // A display the session does not own (--x11) keeps its size.
  Xvfb desk(dir, 1024, 768);
  ServerProcess attached(dir, {"--x11", desk.display()}, "server-attached");
  HeadlessViewer v(dir, "viewer-attached", attached.url(), {"--request-size", "800x600"});
  CHECK(wait_until([&] { return parse_json(attached.poll_stats(), "stats")["x11"]["resizes_refused"] == 1; }, 20s));
  auto info = desk.run({"xdpyinfo"});
  REQUIRE(info);
  CHECK(info->find("1024x768 pixels") != std::string::npos);
  v.proc().signal(SIGTERM);
  CHECK(v.finish()["width"] == 1024);
}
