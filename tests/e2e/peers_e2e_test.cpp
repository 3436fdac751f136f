// Real VNC peers from Debian against rdisplay, and rdisplay-viewer against real VNC
// servers: vncsnapshot, TigerVNC's vncviewer (under Xvfb) and noVNC in headless
// Chromium watch an rdisplay session; rdisplay-viewer vnc:// watches x11vnc and
// TigerVNC's Xvnc, and its screenshot must equal `xwd -root` of their X display.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "client/png_file.hpp"
#include "codecs/metrics.hpp"
#include "codecs/tile_codec.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/viewer.hpp"
#include "tests/support/xvfb.hpp"
#include "x11bridge/xwd_file.hpp"

using namespace rd;
using namespace rd::test;

namespace {

void require_tool(const char* path) {
  if (!std::filesystem::exists(path)) FAIL(path << " is missing: run scripts/test.sh, which installs the test peers");
}

bool port_open(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

// The server's exact screen, as a lossless native viewer receives it once the app idles.
Surface exact_screen(const std::string& dir, ServerProcess& server) {
  HeadlessViewer v(dir, "reference", server.url(), {"--exit-when-idle", "1500"});
  v.finish();
  return read_png(v.screenshot());
}

Surface crop(const Surface& s, const Rect& r) {
  Surface out(r.w, r.h);
  for (int y = 0; y < r.h; ++y)
    for (int x = 0; x < r.w; ++x) out.row32(y)[x] = s.pixel(r.x + x, r.y + y);
  return out;
}

Surface read_jpeg_file(const std::string& path, int w, int h) {
  std::ifstream f(path, std::ios::binary);
  Bytes data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  Surface s(w, h);
  decode_jpeg(data, s.mutable_view(s.bounds()));
  return s;
}

}  // namespace

TEST_CASE("e2e peers: vncsnapshot and TigerVNC's vncviewer show the demo app") {
  require_tool("/usr/bin/vncsnapshot");
  require_tool("/usr/bin/vncviewer");
  std::string dir = scratch_dir("e2e-peers-vnc-viewers");
  ServerProcess server(dir, {"--app", "desktop", "--frames", "10"});
  Surface reference = exact_screen(dir, server);

  // vncsnapshot: one JPEG of the whole screen (host::port names a port).
  std::string jpg = dir + "/vncsnapshot.jpg";
  Process snap({"vncsnapshot", "-allowblank", "-quality", "100", "127.0.0.1::" + std::to_string(server.rfb_port()), jpg}, dir,
               "vncsnapshot");
  auto rc = snap.wait(30s);
  REQUIRE(rc.has_value());
  CHECK_MESSAGE(*rc == 0, snap.err());
  Surface shot = read_jpeg_file(jpg, reference.width(), reference.height());
  double db = psnr(reference, shot);
  MESSAGE("vncsnapshot PSNR against the server's screen: " << db << " dB");
  CHECK(db >= 30.0);

  // TigerVNC's viewer in a private X display, lossless: its window must show the
  // server's pixels exactly.
  Xvfb x(dir, 1600, 1000);
  Process viewer({"vncviewer", "-PreferredEncoding=Raw", "-AutoSelect=0", "-FullColor", "-DotWhenNoCursor=0",
                  "127.0.0.1::" + std::to_string(server.rfb_port())},
                 dir, "tigervnc", x.env());
  std::optional<std::string> wid;
  REQUIRE(wait_until([&] {
    wid = x.run({"xdotool", "search", "--name", "TigerVNC"});
    return (wid && !wid->empty()) || !viewer.running();
  }, 30s));
  REQUIRE_MESSAGE(wid, "no TigerVNC window; its log: " << viewer.err());
  std::string w = wid->substr(0, wid->find('\n'));
  auto geo = x.run({"xdotool", "getwindowgeometry", "--shell", w});
  REQUIRE(geo);
  auto field = [&](const std::string& k) {
    auto at = geo->find(k + "=");
    return at == std::string::npos ? -1 : std::atoi(geo->c_str() + at + k.size() + 1);
  };
  Rect win{field("X"), field("Y"), reference.width(), reference.height()};
  std::string xwd_file = dir + "/root.xwd";
  bool same = wait_until([&] {
    if (!x.run({"xwd", "-root", "-silent", "-out", xwd_file})) return false;
    Surface root = read_xwd(xwd_file);
    if (!root.bounds().contains(win)) return false;
    return crop(root, win) == reference;
  }, 30s);
  CHECK_MESSAGE(same, "TigerVNC's window at " << win.x << "," << win.y << " never showed the server's exact pixels");
  server.stop_and_read_stats();
}

TEST_CASE("e2e peers: noVNC in headless Chromium shows the app, and its click and keys reach it") {
  require_tool("/usr/bin/chromium");
  require_tool("/usr/bin/node");
  if (!std::filesystem::exists(std::string(RDISPLAY_NODE_MODULES) + "/playwright-core"))
    FAIL("playwright-core is not installed in " << RDISPLAY_NODE_MODULES << ": run scripts/test.sh, which installs it");
  std::string dir = scratch_dir("e2e-peers-novnc");
  ServerProcess server(dir, {"--app", "desktop", "--frames", "10", "--web-port", "auto"});
  REQUIRE(server.web_port() > 0);
  Surface reference = exact_screen(dir, server);
  auto state = parse_json(server.poll_stats(), "stats")["app_state"];
  nlohmann::json notes;
  for (const auto& wnd : state["windows"])
    if (wnd["title"] == "Notes") notes = wnd;
  REQUIRE(notes.is_object());
  // The Notes window's Save button: (350, 250) to (440, 278) inside the window.
  int cx = notes["x"].get<int>() + 395, cy = notes["y"].get<int>() + 264;
  std::string png = dir + "/novnc.png";
  Process node({"node", std::string(RDISPLAY_SOURCE_DIR) + "/tests/browser/novnc_check.cjs",
                "http://127.0.0.1:" + std::to_string(server.web_port()) + "/", png, std::to_string(cx), std::to_string(cy),
                "hi web"},
               dir, "node", {{"NODE_PATH", RDISPLAY_NODE_MODULES}});
  auto rc = node.wait(120s);
  REQUIRE(rc.has_value());
  REQUIRE_MESSAGE(*rc == 0, "the browser script failed: " << node.err() << node.out());
  Surface shot = read_png(png);
  REQUIRE(shot.width() == reference.width());
  REQUIRE(shot.height() == reference.height());
  double db = psnr(reference, shot);
  MESSAGE("noVNC canvas PSNR against the server's screen: " << db << " dB");
  CHECK(db >= 25.0);
  nlohmann::json st;
  bool reached = wait_until([&] {
    st = parse_json(server.poll_stats(), "stats")["app_state"];
    return st["status"] == "Save pressed" && st["text_field"] == "hi web";
  }, 20s);
  CHECK_MESSAGE(reached, "app state: " << st.dump());
  server.stop_and_read_stats();
}

namespace {

// rdisplay-viewer vnc:// against a VNC server showing X display `x`: after idle, its
// screenshot must equal `xwd -root` of that display.
void viewer_matches_display(const std::string& dir, Xvfb& x, int port) {
  HeadlessViewer v(dir, "rdisplay-viewer", "vnc://127.0.0.1:" + std::to_string(port), {"--exit-when-idle", "2000"});
  auto vs = v.finish();
  CHECK(vs["frames"].get<int>() >= 1);
  std::string xwd_file = dir + "/root.xwd";
  REQUIRE(x.run({"xwd", "-root", "-silent", "-out", xwd_file}));
  Surface root = read_xwd(xwd_file);
  Surface shot = read_png(v.screenshot());
  REQUIRE(shot.width() == root.width());
  REQUIRE(shot.height() == root.height());
  long differing = 0;
  for (int y = 0; y < root.height(); ++y)
    for (int xx = 0; xx < root.width(); ++xx) differing += root.pixel(xx, y) != shot.pixel(xx, y);
  CHECK_MESSAGE(differing == 0, differing << " pixels differ from xwd -root");
}

}  // namespace

TEST_CASE("e2e peers: rdisplay-viewer vnc:// against x11vnc equals xwd -root") {
  require_tool("/usr/bin/x11vnc");
  require_tool("/usr/bin/xwd");
  std::string dir = scratch_dir("e2e-peers-x11vnc");
  Xvfb x(dir, 800, 600);
  Process logo({"xlogo", "-geometry", "300x300+40+40"}, dir, "xlogo", {{"DISPLAY", x.display()}});
  Process eyes({"xeyes", "-geometry", "200x150+420+60"}, dir, "xeyes", {{"DISPLAY", x.display()}});
  REQUIRE(wait_until([&] {
    auto w = x.run({"xdotool", "search", "--name", "xlogo"});
    return w && !w->empty();
  }, 20s));
  int port = free_loopback_port();
  Process vnc({"x11vnc", "-display", x.display(), "-rfbport", std::to_string(port), "-localhost", "-nopw", "-forever",
               "-shared", "-quiet"},
              dir, "x11vnc");
  bool listening = wait_until([&] { return port_open(port) || !vnc.running(); }, 30s) && vnc.running();
  REQUIRE_MESSAGE(listening, vnc.err());
  viewer_matches_display(dir, x, port);
}

TEST_CASE("e2e peers: rdisplay-viewer vnc:// against TigerVNC's Xvnc equals xwd -root") {
  require_tool("/usr/bin/Xvnc");
  std::string dir = scratch_dir("e2e-peers-xvnc");
  int port = free_loopback_port();
  Xvfb x(dir, 800, 600, "Xvnc", {"-rfbport", std::to_string(port), "-localhost", "-SecurityTypes", "None"});
  Process logo({"xlogo", "-geometry", "300x300+60+60"}, dir, "xlogo", {{"DISPLAY", x.display()}});
  REQUIRE(wait_until([&] {
    auto w = x.run({"xdotool", "search", "--name", "xlogo"});
    return w && !w->empty();
  }, 20s));
  REQUIRE(wait_until([&] { return port_open(port); }, 20s));
  viewer_matches_display(dir, x, port);
}
