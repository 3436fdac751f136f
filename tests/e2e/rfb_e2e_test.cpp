// The RFB front against libvncclient (our viewer's vnc:// path): Raw and lossless
// encodings reproduce the server's screen bit for bit, next to a native viewer; VNC
// passwords, view-only passwords and throttling; the clipboard between native and RFB
// viewers, in both directions.
#include <signal.h>

#include <doctest/doctest.h>

#include <fstream>
#include <optional>

#include "tests/support/viewer.hpp"

using namespace rd;
using namespace rd::test;

namespace {

std::string write_file(const std::string& dir, const std::string& name, const std::string& text) {
  std::string path = dir + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::optional<nlohmann::json> rfb_client(const nlohmann::json& stats, int id) {
  if (!stats.contains("rfb")) return std::nullopt;
  for (const auto& c : stats["rfb"]["clients"])
    if (c["id"] == id) return c;
  return std::nullopt;
}

}  // namespace

TEST_CASE("e2e rfb: Raw, ZRLE, Hextile and lossless Tight are bit-exact next to a native viewer") {
  std::string dir = scratch_dir("e2e-rfb-exact");
  ServerProcess server(dir, {"--app", "desktop", "--frames", "120", "--fps", "60"});
  REQUIRE(server.rfb_port() > 0);
  HeadlessViewer native(dir, "native", server.url(), {"--exit-when-idle", "2500"});
  std::vector<std::unique_ptr<HeadlessViewer>> rfb;
  for (const char* enc : {"raw", "zrle", "hextile", "tight"})
    rfb.push_back(std::make_unique<HeadlessViewer>(dir, std::string("rfb-") + enc, server.vnc_url(),
                                                   std::vector<std::string>{"--exit-when-idle", "2500", "--vnc-encodings", enc}));
  auto nv = native.finish();
  std::vector<nlohmann::json> rv;
  for (auto& v : rfb) rv.push_back(v->finish());
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  REQUIRE(s["app_script_done"] == true);
  CHECK(nv["framebuffer_hash"] == s["surface_hash"]);
  for (std::size_t i = 0; i < rv.size(); ++i) {
    CAPTURE(i);
    CHECK(rv[i]["encoding"] == "rfb");
    CHECK(rv[i]["framebuffer_hash"] == s["surface_hash"]);
    CHECK(rv[i]["frames"].get<int>() >= 1);
  }
  REQUIRE(s["rfb"]["clients"].size() == 4);
  // The Raw client cost the full size; the others far less.
  int full = 0, compressed = 0;
  for (const auto& c : s["rfb"]["clients"]) {
    double ratio = c["bytes_sent"].get<double>() / std::max(1.0, c["bytes_if_raw"].get<double>());
    full += ratio > 0.9 ? 1 : 0;
    compressed += ratio < 0.2 ? 1 : 0;
  }
  CHECK(full == 1);
  CHECK(compressed == 3);
}

TEST_CASE("e2e rfb: wrong passwords are refused clearly and then throttled, view-only input is ignored") {
  std::string dir = scratch_dir("e2e-rfb-auth");
  std::string pwfile = write_file(dir, "passwords", "secret12\n__BEGIN_VIEWONLY__\nwatchme1\n");
  std::string right = write_file(dir, "right", "secret12\n");
  std::string wrong = write_file(dir, "wrong", "guess123\n");
  std::string viewonly = write_file(dir, "viewonly", "watchme1\n");
  ServerProcess server(dir, {"--app", "desktop", "--frames", "10", "--password-file", pwfile});

  // The right password works, and a view-only password may watch but not type.
  HeadlessViewer ok(dir, "ok", server.vnc_url(), {"--password-file", right, "--exit-when-idle", "1000"});
  CHECK(ok.finish()["framebuffer_hash"].get<std::string>().size() == 16);
  HeadlessViewer watcher(dir, "watcher", server.vnc_url(),
                         {"--password-file", viewonly, "--exit-when-idle", "1000", "--send-clipboard", "from a watcher"});
  watcher.finish();
  auto st = parse_json(server.poll_stats(), "stats");
  auto w = rfb_client(st, 2);
  REQUIRE(w);
  CHECK((*w)["view_only"] == true);
  CHECK(st["app_state"]["clipboard_in"] == "");

  // Wrong passwords: a clear error each time; after three the address is blocked, so
  // even the right password is refused for a while.
  for (int i = 0; i < 3; ++i) {
    Process bad({kViewerBin, server.vnc_url(), "--headless", "--password-file", wrong}, dir, "bad" + std::to_string(i));
    auto rc = bad.wait(20s);
    REQUIRE(rc.has_value());
    CHECK(*rc == 3);
    CHECK(bad.err().find("wrong password") != std::string::npos);
  }
  Process blocked({kViewerBin, server.vnc_url(), "--headless", "--password-file", right}, dir, "blocked");
  auto rc = blocked.wait(20s);
  REQUIRE(rc.has_value());
  CHECK(*rc == 3);
  CHECK(wait_until([&] { return server.proc().err().find("further attempts refused") != std::string::npos; }, 5s));
  CHECK(wait_until([&] { return server.proc().err().find("too many failures") != std::string::npos; }, 5s));
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(s["rfb"]["failed_auth"].get<int>() >= 4);
}

TEST_CASE("e2e clipboard: native (UTF-8) and RFB (Latin-1) viewers, both directions") {
  std::string dir = scratch_dir("e2e-clipboard");
  ServerProcess server(dir, {"--app", "desktop", "--frames", "10"});
  auto app_clipboard = [&] { return parse_json(server.poll_stats(), "stats")["app_state"]["clipboard_in"].get<std::string>(); };

  // An RFB viewer and a native viewer watch; each then puts text on the clipboard.
  HeadlessViewer rfb(dir, "rfb", server.vnc_url(), {});
  HeadlessViewer native(dir, "native", server.url(), {});
  REQUIRE(wait_until([&] { return rfb.poll_stats()["frames"].get<int>() > 0 && native.poll_stats()["frames"].get<int>() > 0; }, 20s));

  HeadlessViewer sender(dir, "native-sender", server.url(), {"--send-clipboard", "h\u00e9llo \u20ac"});
  REQUIRE(wait_until([&] { return app_clipboard() == "h\u00e9llo \u20ac"; }, 20s));
  // The RFB viewer gets it as Latin-1 (no euro sign there), the native one as UTF-8.
  CHECK(wait_until([&] { return rfb.poll_stats()["clipboard"] == "h\u00e9llo ?"; }, 20s));
  CHECK(wait_until([&] { return native.poll_stats()["clipboard"] == "h\u00e9llo \u20ac"; }, 20s));

  HeadlessViewer rfb_sender(dir, "rfb-sender", server.vnc_url(), {"--send-clipboard", "gr\u00fc\u00dfe"});
  REQUIRE(wait_until([&] { return app_clipboard() == "gr\u00fc\u00dfe"; }, 20s));
  CHECK(wait_until([&] { return native.poll_stats()["clipboard"] == "gr\u00fc\u00dfe"; }, 20s));
  CHECK(wait_until([&] { return rfb.poll_stats()["clipboard"] == "gr\u00fc\u00dfe"; }, 20s));
  for (HeadlessViewer* v : {&rfb, &native, &sender, &rfb_sender}) v->proc().signal(SIGTERM);
  for (HeadlessViewer* v : {&rfb, &native, &sender, &rfb_sender}) v->finish();
  server.stop_and_read_stats();
}
