// Every demo app streamed to four headless viewers of one session at once over
// loopback: lossless pixels, command encoding (ops) and auto must each end with the
// server's exact pixels, and so must a JPEG one once the screen is idle (lossless
// refresh); without the refresh, its JPEG stays within 35 dB PSNR of them.
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
  HeadlessViewer ops(dir, "ops", server.url(), {"--exit-when-idle", "2500", "--encoding", "ops"});
  HeadlessViewer autov(dir, "auto", server.url(), {"--exit-when-idle", "2500", "--encoding", "auto"});
  auto lv = lossless.finish();
  auto jv = jpeg.finish();
  auto ov = ops.finish();
  auto av = autov.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");

  REQUIRE_MESSAGE(s["app_script_done"] == true, "the viewers went idle before the script ended");
  CHECK(lv["frames"].get<int>() > 1);
  CHECK(lv["framebuffer_hash"] == s["surface_hash"]);
  CHECK(lv["width"] == s["width"]);
  CHECK(lv["height"] == s["height"]);
  CHECK(lv["codecs"].contains("jpeg") == false);
  CHECK(lv["codecs"].contains("jpeg-abbrev") == false);
  // The terminal scrolls: the pixel viewers get most of it as copies of what they hold.
  if (std::string(run.app) == "terminal") {
    CHECK(lv["copies"].get<int>() > 0);
    CHECK(jv["copies"].get<int>() > 0);
  }
  CHECK(ov["framebuffer_hash"] == s["surface_hash"]);
  CHECK(av["framebuffer_hash"] == s["surface_hash"]);
  CHECK(ov["encoding"] == "ops");
  CHECK(ov["ops_bytes"].get<long>() > 0);
  MESSAGE(std::string(run.app) << ": bytes received: pixels " << lv["bytes_received"] << ", ops " << ov["bytes_received"]
                               << ", auto " << av["bytes_received"]);

  Surface exact = read_png(lossless.screenshot());
  REQUIRE(exact.hash_hex() == s["surface_hash"].get<std::string>());
  // The JPEG viewer got lossy tiles while things moved, and the exact pixels once idle
  // (lossless refresh).
  MESSAGE(std::string(run.app) << ": JPEG viewer " << jv["bytes_received"] << " bytes vs lossless " << lv["bytes_received"]);
  CHECK(jv["framebuffer_hash"] == s["surface_hash"]);
  if (jv["codecs"].contains("jpeg-abbrev")) {
    bool refreshed = false;
    for (const auto& v : s["viewers"]) refreshed |= v["quality"] == 85 && v["pixels_refreshed"].get<long>() > 0;
    CHECK(refreshed);
  }

  // The server saw both viewers and counted what it sent each.
  REQUIRE(s["viewers"].size() == 4);
  for (const auto& v : s["viewers"]) {
    CHECK(v["frames"].get<int>() > 0);
    CHECK(v["bytes_sent"].get<long>() > 0);
  }
}

}  // namespace

TEST_CASE("e2e desktop: pixels, ops and auto viewers at once are bit-exact, JPEG above 35 dB") { stream_app({"desktop", "120", "60"}); }
TEST_CASE("e2e terminal: pixels, ops and auto viewers at once are bit-exact, JPEG above 35 dB") { stream_app({"terminal", "120", "60"}); }
TEST_CASE("e2e photo: pixels, ops and auto viewers at once are bit-exact, JPEG above 35 dB") { stream_app({"photo", "75", "60"}); }
TEST_CASE("e2e video: pixels, ops and auto viewers at once are bit-exact, JPEG above 35 dB") { stream_app({"video", "90", "60"}); }

// A command-encoding viewer that joins while the app runs gets the current screen as
// pixels, then ops, and ends exact; so does the pixel viewer that was there from the start.
void join_mid_run(const char* app) {
  std::string dir = scratch_dir(std::string("e2e-ops-join-") + app);
  ServerProcess server(dir, {"--app", app, "--frames", "240", "--fps", "60"});
  HeadlessViewer early(dir, "early", server.url(), {"--exit-when-idle", "2500"});
  REQUIRE(wait_until([&] { return parse_json(server.poll_stats(), "stats")["app_frames"].get<int>() >= 80; }, 30s));
  HeadlessViewer late(dir, "late", server.url(), {"--exit-when-idle", "2500", "--encoding", "ops"});
  auto ev = early.finish();
  auto lv = late.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  REQUIRE(s["app_script_done"] == true);
  CHECK(ev["framebuffer_hash"] == s["surface_hash"]);
  CHECK(lv["framebuffer_hash"] == s["surface_hash"]);
  const auto& late_stats = s["viewers"][1];
  CHECK(late_stats["encoding"] == "ops");
  CHECK(late_stats["updates"]["pixels"].get<int>() >= 1);
  CHECK(late_stats["updates"]["ops"].get<int>() + late_stats["updates"]["mixed"].get<int>() >= 10);
}

TEST_CASE("e2e desktop: an ops viewer joining mid-run gets pixels, then ops, and ends bit-exact") { join_mid_run("desktop"); }
TEST_CASE("e2e terminal: an ops viewer joining mid-run gets pixels, then ops, and ends bit-exact") { join_mid_run("terminal"); }
TEST_CASE("e2e photo: an ops viewer joining mid-run gets pixels, then ops, and ends bit-exact") { join_mid_run("photo"); }
TEST_CASE("e2e video: an ops viewer joining mid-run gets pixels, then ops, and ends bit-exact") { join_mid_run("video"); }

// JPEG quality itself: with the lossless refresh off, what the JPEG viewer ends with is
// the JPEG of the last frames.
void jpeg_quality(const char* app, const char* frames, const char* fps) {
  std::string dir = scratch_dir(std::string("e2e-jpeg-") + app);
  ServerProcess server(dir, {"--app", app, "--frames", frames, "--fps", fps, "--lossless-refresh", "0"});
  HeadlessViewer lossless(dir, "lossless", server.url(), {"--exit-when-idle", "2500"});
  HeadlessViewer jpeg(dir, "jpeg", server.url(), {"--exit-when-idle", "2500", "--quality", "85", "--subsampling", "444"});
  HeadlessViewer huffman(dir, "huffman", server.url(),
                         {"--exit-when-idle", "2500", "--quality", "85", "--subsampling", "444", "--jpeg-coding", "huffman"});
  lossless.finish();
  auto jv = jpeg.finish();
  auto hv = huffman.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  Surface exact = read_png(lossless.screenshot());
  REQUIRE(exact.hash_hex() == s["surface_hash"].get<std::string>());
  // JPEG without its tables, arithmetic- or Huffman-coded as the viewer's JPEG rate
  // allows; never the whole JFIF stream, which these viewers need not be sent.
  CHECK((jv["codecs"].contains("jpeg-arith") || jv["codecs"].contains("jpeg-abbrev")));
  CHECK_FALSE(jv["codecs"].contains("jpeg"));
  // A viewer that asks for Huffman coding never gets arithmetic coding.
  CHECK(hv["codecs"].contains("jpeg-abbrev"));
  CHECK_FALSE(hv["codecs"].contains("jpeg-arith"));
  CHECK_FALSE(hv["codecs"].contains("jpeg"));
  for (const auto& [name, v] : {std::pair{"jpeg", &jpeg}, std::pair{"huffman", &huffman}}) {
    double db = psnr(exact, read_png(v->screenshot()));
    MESSAGE(app << ": " << name << " viewer PSNR " << db << " dB");
    CHECK(db >= 35.0);
    CHECK(db < 1e9);  // really lossy: nothing refreshed it
  }
}

// The server's coding gate, wired: with its limit set low, a viewer's first JPEG goes
// arithmetic-coded and, once the limit's worth of JPEG pixels is spent, Huffman-coded;
// with the limit 0 never arithmetic-coded. Either way the viewer ends exact (refresh).
TEST_CASE("e2e photo: the server's JPEG coding gate switches a viewer to Huffman coding past its limit") {
  for (const char* limit : {"0.5", "0"}) {
    CAPTURE(limit);
    std::string dir = scratch_dir(std::string("e2e-jpeg-gate-") + (limit[1] ? "low" : "zero"));
    ServerProcess server(dir, {"--app", "photo", "--frames", "60", "--fps", "30", "--jpeg-arithmetic-limit", limit});
    HeadlessViewer jpeg(dir, "jpeg", server.url(), {"--exit-when-idle", "2500", "--quality", "85"});
    auto jv = jpeg.finish();
    auto s = parse_json(server.stop_and_read_stats(), "server stats");
    CHECK(jv["framebuffer_hash"] == s["surface_hash"]);
    CHECK(jv["codecs"].contains("jpeg-abbrev"));
    CHECK_FALSE(jv["codecs"].contains("jpeg"));
    if (std::string(limit) == "0") {
      CHECK_FALSE(jv["codecs"].contains("jpeg-arith"));
    } else {
      REQUIRE(jv["codecs"].contains("jpeg-arith"));
      CHECK(jv["codecs"]["jpeg-abbrev"]["rects"].get<int>() > jv["codecs"]["jpeg-arith"]["rects"].get<int>());
    }
  }
}

TEST_CASE("e2e photo: without lossless refresh a JPEG viewer stays above 35 dB") { jpeg_quality("photo", "75", "60"); }
TEST_CASE("e2e video: without lossless refresh a JPEG viewer stays above 35 dB") { jpeg_quality("video", "90", "60"); }

// A crowd watching one session: viewers without a tile cache that go between the same
// frames get the same update, made once (SharedUpdates); each still ends exact, and so
// does a viewer with a cache, whose updates are its own.
TEST_CASE("e2e crowd: pixel viewers in step share whole updates and each ends bit-exact") {
  std::string dir = scratch_dir("e2e-crowd");
  ServerProcess server(dir, {"--app", "terminal", "--frames", "120", "--fps", "30"});
  std::vector<std::unique_ptr<HeadlessViewer>> crowd;
  for (int i = 0; i < 4; ++i)
    crowd.push_back(std::make_unique<HeadlessViewer>(dir, "crowd" + std::to_string(i), server.url(),
                                                     std::vector<std::string>{"--exit-when-idle", "2500", "--tile-cache", "0"}));
  HeadlessViewer cached(dir, "cached", server.url(), {"--exit-when-idle", "2500"});
  std::vector<nlohmann::json> cv;
  for (auto& v : crowd) cv.push_back(v->finish());
  auto kv = cached.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  REQUIRE_MESSAGE(s["app_script_done"] == true, "the viewers went idle before the script ended");
  for (const auto& v : cv) CHECK(v["framebuffer_hash"] == s["surface_hash"]);
  CHECK(kv["framebuffer_hash"] == s["surface_hash"]);
  long shared = 0, crowd_frames = 0;
  for (const auto& v : s["viewers"]) {
    const bool has_cache = v["tile_cache"]["entries"].get<long>() > 0;
    if (has_cache) CHECK(v["updates_shared"] == 0);
    shared += v["updates_shared"].get<long>();
    crowd_frames += has_cache ? 0 : v["frames"].get<long>();
  }
  MESSAGE("crowd of 4: " << crowd_frames << " frames, " << shared << " of them taken from another viewer's update; made "
                         << s["shared_updates"]["made"] << ", reused " << s["shared_updates"]["reused"]);
  CHECK(shared > 0);
  CHECK(s["shared_updates"]["reused"].get<long>() == shared);
}
