// The tile cache end to end: the server's mirror and the viewer's cache stay in step
// (same digest of keys in LRU order), every viewer ends bit-exact, and a viewer that
// comes back with the cache it saved gets references where it would have got pixels.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/viewer.hpp"

using namespace rd;
using namespace rd::test;

namespace {

// The server's record of the viewer whose cache is on (the other runs without one).
nlohmann::json cached_viewer(const nlohmann::json& server_stats) {
  for (const auto& v : server_stats["viewers"])
    if (v["tile_cache"]["entries"].get<long>() > 0) return v;
  FAIL("no viewer with a tile cache in the server's stats");
  return {};
}

}  // namespace

TEST_CASE("e2e tile cache: mirror and viewer agree, and a viewer back with its saved cache gets references") {
  std::string dir = scratch_dir("e2e-tile-cache");
  std::string file = dir + "/tiles.bin";
  const std::vector<std::string> app{"--app", "terminal", "--frames", "120", "--fps", "60"};

  // First session: one viewer with a cache (saved at exit), one without.
  nlohmann::json first_bytes;
  {
    ServerProcess server(dir, app, "server-1");
    HeadlessViewer cached(dir, "cached-1", server.url(), {"--exit-when-idle", "2000", "--tile-cache-file", file});
    HeadlessViewer plain(dir, "plain-1", server.url(), {"--exit-when-idle", "2000", "--tile-cache", "0"});
    auto cv = cached.finish();
    auto pv = plain.finish();
    auto s = parse_json(server.stop_and_read_stats(), "server stats");
    REQUIRE(s["app_script_done"] == true);
    CHECK(cv["framebuffer_hash"] == s["surface_hash"]);
    CHECK(pv["framebuffer_hash"] == s["surface_hash"]);
    auto sv = cached_viewer(s);
    CHECK(sv["tile_cache"]["announced"] == 0);
    CHECK(cv["tile_cache"]["stored"].get<long>() > 0);
    // The two ends evicted and touched the same: equal digests of the keys in LRU order.
    CHECK(cv["tile_cache"]["digest"] == sv["tile_cache"]["digest"]);
    CHECK(cv["tile_cache"]["entries"] == sv["tile_cache"]["entries"]);
    CHECK(cv["tile_cache"]["refs"] == sv["tile_cache"]["refs"]);
    CHECK_FALSE(pv["tile_cache"].contains("entries"));  // it asked for no cache: none granted
    first_bytes = cv["bytes_received"];
    MESSAGE("first run: cached viewer " << cv["bytes_received"] << " bytes (" << cv["tile_cache"]["refs"]
                                        << " references), viewer without cache " << pv["bytes_received"] << " bytes");
  }
  REQUIRE(std::filesystem::exists(file));

  // Second session, same script: the viewer announces what it kept, and the tiles it
  // holds come as references.
  ServerProcess server(dir, app, "server-2");
  HeadlessViewer back(dir, "cached-2", server.url(), {"--exit-when-idle", "2000", "--tile-cache-file", file});
  auto bv = back.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  REQUIRE(s["app_script_done"] == true);
  CHECK(bv["framebuffer_hash"] == s["surface_hash"]);
  auto sv = cached_viewer(s);
  CHECK(sv["tile_cache"]["announced"].get<long>() > 0);
  CHECK(bv["tile_cache"]["digest"] == sv["tile_cache"]["digest"]);
  CHECK(bv["tile_cache"]["refs"].get<long>() > 0);
  MESSAGE("second run with the saved cache: " << bv["bytes_received"] << " bytes (" << bv["tile_cache"]["refs"] << " references)");
  CHECK(bv["bytes_received"].get<double>() < 0.5 * first_bytes.get<double>());
}

TEST_CASE("e2e tile cache: a damaged cache file is reported and the viewer starts with an empty cache") {
  std::string dir = scratch_dir("e2e-tile-cache-bad");
  std::string file = dir + "/tiles.bin";
  std::ofstream(file) << "not a cache";
  ServerProcess server(dir, {"--app", "desktop", "--frames", "30", "--fps", "60"});
  HeadlessViewer v(dir, "viewer", server.url(), {"--exit-when-idle", "1500", "--tile-cache-file", file});
  auto vs = v.finish();
  auto s = parse_json(server.stop_and_read_stats(), "server stats");
  CHECK(vs["framebuffer_hash"] == s["surface_hash"]);
  CHECK(v.proc().err().find("not a tile cache file") != std::string::npos);
  CHECK(cached_viewer(s)["tile_cache"]["announced"] == 0);
}
