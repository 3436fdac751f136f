// Every demo app streamed to two headless viewers at once over loopback: a lossless one
// must end with the server's exact pixels, a JPEG one within 35 dB PSNR of them.
#include <doctest/doctest.h>

#include "client/png_file.hpp"
#include "codecs/metrics.hpp"
#include "tests/support/viewer.hpp"

using namespace rd;
using namespace rd::test;

namespace {

struct AppRun {
  const char* app;
  const char* frames;
  const char* fps;
};

void stream_app(const AppRun& run) {
  std::string dir = scratch_dir(std::string("e2e-") + run.app);
  ServerProcess server(dir, {"--app", run.app, "--frames", run.frames, "--fps", run.fps});
  // Idle must outlast the quietest stretch of a script (the photo app holds a slide).
  HeadlessViewer lossless(dir, "lossless", server.url(), {"--exit-when-idle", "2500"});
  HeadlessViewer jpeg(dir, "jpeg", server.url(), {"--exit-when-idle", "2500", "--quality", "85", "--subsampling", "444"});
  auto lv = lossless.finish();
  auto jv = jpeg.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");

  REQUIRE_MESSAGE(s["app_script_done"] == true, "the viewers went idle before the script ended");
  CHECK(lv["frames"].get<int>() > 1);
  CHECK(lv["framebuffer_hash"] == s["surface_hash"]);
  CHECK(lv["width"] == s["width"]);
  CHECK(lv["height"] == s["height"]);
  CHECK(lv["codecs"].contains("jpeg") == false);

  Surface exact = read_png(lossless.screenshot());
  Surface lossy = read_png(jpeg.screenshot());
  REQUIRE(exact.hash_hex() == s["surface_hash"].get<std::string>());
  double db = psnr(exact, lossy);
  MESSAGE(std::string(run.app) << ": JPEG viewer PSNR " << db << " dB, " << jv["bytes_received"] << " bytes vs lossless "
                  << lv["bytes_received"]);
  CHECK(db >= 35.0);

  // The server saw both viewers and counted what it sent each.
  REQUIRE(s["viewers"].size() == 2);
  for (const auto& v : s["viewers"]) {
    CHECK(v["frames"].get<int>() > 0);
    CHECK(v["bytes_sent"].get<long>() > 0);
  }
}

}  // namespace

TEST_CASE("e2e desktop: lossless viewer is bit-exact, JPEG viewer above 35 dB") { stream_app({"desktop", "120", "60"}); }
TEST_CASE("e2e terminal: lossless viewer is bit-exact, JPEG viewer above 35 dB") { stream_app({"terminal", "120", "60"}); }
TEST_CASE("e2e photo: lossless viewer is bit-exact, JPEG viewer above 35 dB") { stream_app({"photo", "75", "60"}); }
TEST_CASE("e2e video: lossless viewer is bit-exact, JPEG viewer above 35 dB") { stream_app({"video", "90", "60"}); }
