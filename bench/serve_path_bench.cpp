// rdisplay-bench-serve: the server's per-update work for one lossless pixel viewer, on
// one thread, stage by stage, without processes, sockets or thread hand-offs: what the
// live figures (rdisplay-bench-stream) cannot take apart. Each script frame of an app is
// published as the server does it (tile hashes, the session's snapshot of the changed
// tiles), then planned (HeldScreen: copies found in the pixels, the tiles that still
// differ) and encoded (encode_run, with the tile cache mirror and the encode cache), and
// the encoded tiles are put into the cache mirror as the connection does.
#include <time.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <thread>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "bench/app_frames.hpp"
#include "codecs/cost_memory.hpp"
#include "codecs/encode_cache.hpp"
#include "codecs/tile_cache.hpp"
#include "server/held_screen.hpp"
#include "server/session.hpp"
#include "server/update_encoder.hpp"

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Totals {
  double snapshot_ms = 0, plan_ms = 0, encode_ms = 0;
  std::size_t bytes = 0, copies = 0, rects = 0;
  std::int64_t pixels_encoded = 0;
};

Totals run_app(const std::string& app, int w, int h, int frames, bool detect, int pace_ms) {
  using namespace rd;
  bench::AppFrames source(app, w, h);
  Session session(w, h, app);
  std::vector<std::uint64_t> sent;
  HeldScreen held(w, h);
  CodecPolicy policy;
  policy.decodable = kAllCodecs;
  policy.memory = std::make_shared<CostMemory>();
  auto mirror = std::make_shared<TileCacheModel>(tile_cache_bytes(64 * 1024));
  policy.tile_cache = mirror;
  policy.shared_encodes = std::make_shared<EncodeCache>(64u << 20);
  EncodeParams params;
  Totals t;
  for (int f = 0; f <= frames; ++f) {
    if (pace_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(pace_ms));
    source.next();
    session.publish(source.surface(), source.last_damage());  // the app thread's part: not timed
    double t0 = thread_cpu_ms();
    {
      auto lk = session.lock();
      if (sent.empty()) sent.assign(session.tile_versions_locked().size(), 0);
      held.take_changed(session.snapshot_locked(), session.tile_versions_locked(), sent);
    }
    double t1 = thread_cpu_ms();
    HeldScreen::Update u = held.plan(detect);
    double t2 = thread_cpu_ms();
    std::vector<std::vector<EncodedRect>> out;
    for (const RunSnapshot& run : u.runs) out.push_back(encode_run(run, policy, params));
    double t3 = thread_cpu_ms();
    for (const auto& group : out)
      for (const EncodedRect& e : group) {
        if (e.cache_ref) {
          mirror->touch(e.cache_key);
          t.bytes += 13;
          continue;
        }
        t.bytes += e.payload.size() + 13;
        ++t.rects;
        auto key = e.store_keys.begin();
        for_each_cache_tile(e.rect, [&](const Rect& r) {
          if (key != e.store_keys.end()) mirror->insert(*key++, tile_cache_cost(r.w, r.h));
        });
      }
    for (const RunSnapshot& run : u.runs) t.pixels_encoded += run.rect.area();
    if (f == 0) continue;  // the first screen is not an update of the script
    t.snapshot_ms += t1 - t0;
    t.plan_ms += t2 - t1;
    t.encode_ms += t3 - t2;
    t.copies += u.copies.size();
    t.bytes += u.copies.size() * 20;
  }
  return t;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"rdisplay-bench-serve: the server's per-update work for one lossless viewer, in-process, stage by stage"};
  std::vector<std::string> apps{"desktop", "terminal"};
  int frames = 300, w = 1280, h = 800, repeat = 3;
  bool no_detect = false;
  int pace_ms = 0;
  cli.add_option("--apps", apps, "demo apps to run");
  cli.add_option("--frames", frames, "script frames per app");
  cli.add_option("--repeat", repeat, "runs per app; the fastest is reported (the machine is shared)");
  cli.add_option("--pace", pace_ms, "ms to sleep before each frame: the live server's threads wait for the next frame, and its caches go cold");
  cli.add_flag("--no-detect", no_detect, "scroll and move detection off");
  CLI11_PARSE(cli, argc, argv);
  std::printf("| app | snapshot ms/frame | plan ms/frame | encode ms/frame | total ms/frame | copies | rects | Mpix encoded | KB |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const std::string& app : apps) {
    Totals best;
    double best_total = 1e300;
    for (int r = 0; r < repeat; ++r) {
      Totals t = run_app(app, w, h, frames, !no_detect, pace_ms);
      double total = t.snapshot_ms + t.plan_ms + t.encode_ms;
      if (total < best_total) best_total = total, best = t;
    }
    std::printf("| %s | %.3f | %.3f | %.3f | %.3f | %zu | %zu | %.2f | %.1f |\n", app.c_str(), best.snapshot_ms / frames,
                best.plan_ms / frames, best.encode_ms / frames, best_total / frames, best.copies, best.rects,
                static_cast<double>(best.pixels_encoded) / 1e6, static_cast<double>(best.bytes) / 1e3);
  }
}
