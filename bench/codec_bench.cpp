// rdisplay-bench-codecs: every tile codec on the tiles the demo apps really change.
// For each app it runs the app's script in-process, collects the 64x64 tiles each frame
// changed, and encodes and decodes all of them with each codec: throughput (Mpix/s),
// bytes, ratio to raw, and PSNR for JPEG. It also measures what an unchanged frame costs
// the server, and the server's whole encode path on 1920x1080 video through the pool.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "bench/app_frames.hpp"
#include "codecs/metrics.hpp"
#include "codecs/tile_classifier.hpp"
#include "codecs/tile_codec.hpp"
#include "common/worker_pool.hpp"
#include "server/session.hpp"
#include "server/update_encoder.hpp"

using namespace rd;
using Clk = std::chrono::steady_clock;

namespace {

struct Tile {
  Surface px;  // one tile's pixels, packed
  int x = 0, y = 0;  // where on the screen
};

// Runs fn repeatedly for at least min_s seconds; returns seconds per run.
double time_per_run(const std::function<void()>& fn, double min_s) {
  int runs = 0;
  auto t0 = Clk::now();
  double el = 0;
  do {
    fn();
    ++runs;
    el = std::chrono::duration<double>(Clk::now() - t0).count();
  } while (el < min_s);
  return el / runs;
}

struct CodecCase {
  std::string name;
  std::function<std::pair<TileCodec, EncodeParams>(const Tile&)> pick;  // codec per tile
  bool only_solid = false;
  const CodecPolicy* chooser = nullptr;  // set: codecs chosen and encoded as the server does
  bool only_few_colors = false;           // only tiles a palette can hold
};

std::vector<Tile> collect_tiles(const std::string& app, int w, int h, int frames, std::size_t max_tiles) {
  bench::AppFrames af(app, w, h);
  std::vector<Tile> tiles;
  for (int f = 0; f <= frames && tiles.size() < max_tiles; ++f) {
    for (int i : af.next()) {
      Rect r = af.grid().tile_rect(i);
      Tile t{Surface(r.w, r.h), r.x, r.y};
      for (int y = 0; y < r.h; ++y) std::memcpy(t.px.row32(y), af.surface().row32(r.y + y) + r.x, static_cast<std::size_t>(r.w) * 4);
      tiles.push_back(std::move(t));
      if (tiles.size() >= max_tiles) break;
    }
  }
  return tiles;
}

nlohmann::json run_codec(const std::vector<Tile>& all, const CodecCase& cc, double min_s) {
  std::vector<const Tile*> tiles;
  for (const auto& t : all)
    if ((!cc.only_solid || solid_color(t.px.view())) && (!cc.only_few_colors || count_colors(t.px.view(), kPhotoColors) <= kPhotoColors))
      tiles.push_back(&t);
  std::vector<std::pair<TileCodec, EncodeParams>> choice;
  for (auto* t : tiles) choice.push_back(cc.pick(*t));
  std::vector<Bytes> enc(tiles.size());
  double pixels = 0;
  for (auto* t : tiles) pixels += static_cast<double>(t->px.width()) * t->px.height();
  std::vector<TileCodec> used(tiles.size());
  double enc_s = time_per_run([&] {
    for (std::size_t i = 0; i < tiles.size(); ++i) {
      if (!cc.chooser) {
        enc[i] = encode_tile(choice[i].first, tiles[i]->px.view(), choice[i].second);
        used[i] = choice[i].first;
        continue;
      }
      auto e = encode_chosen(choose_codec(tiles[i]->px.view(), *cc.chooser), tiles[i]->px.view(), tiles[i]->x, tiles[i]->y, *cc.chooser, choice[i].second);
      used[i] = e->codec;
      enc[i] = std::move(e->payload);
    }
  }, min_s);
  std::size_t bytes = 0;
  for (auto& e : enc) bytes += e.size();
  std::vector<Surface> dec;
  for (auto* t : tiles) dec.emplace_back(t->px.width(), t->px.height());
  double dec_s = time_per_run([&] {
    for (std::size_t i = 0; i < tiles.size(); ++i) decode_tile(used[i], enc[i], dec[i].mutable_view(dec[i].bounds()));
  }, min_s);
  // PSNR over all tiles together.
  long double sse = 0;
  double samples = 0;
  for (std::size_t i = 0; i < tiles.size(); ++i) {
    const Surface& a = tiles[i]->px;
    for (int y = 0; y < a.height(); ++y)
      for (int x = 0; x < a.width() * 4; ++x) {
        if ((x & 3) == 3) continue;
        int d = int(reinterpret_cast<const std::uint8_t*>(a.row32(y))[x]) - int(reinterpret_cast<const std::uint8_t*>(dec[i].row32(y))[x]);
        sse += d * d;
        samples += 1;
      }
  }
  double psnr_db = sse == 0 ? 999.0 : static_cast<double>(10.0L * std::log10(255.0L * 255.0L / (sse / samples)));
  double raw_bytes = pixels * 4;
  return {{"codec", cc.name},
          {"tiles", tiles.size()},
          {"mpix", pixels / 1e6},
          {"encode_mpix_s", pixels / 1e6 / enc_s},
          {"decode_mpix_s", pixels / 1e6 / dec_s},
          {"bytes", bytes},
          {"ratio_to_raw", bytes ? raw_bytes / static_cast<double>(bytes) : 0.0},
          {"psnr_db", psnr_db}};
}

// Server CPU for a frame whose damage covers the whole screen but whose pixels did not
// change: publishing it (re-hashing every tile) and each viewer's check for owed
// tiles. Returns milliseconds per frame.
double unchanged_frame_ms(int w, int h, int viewers) {
  Session session(w, h, "bench");
  bench::AppFrames af("video", w, h);
  af.next();
  Surface back = af.surface();
  Region full(back.bounds());
  std::vector<std::vector<std::uint64_t>> sent(static_cast<std::size_t>(viewers));
  session.publish(back, full);
  {
    auto lk = session.lock();
    for (auto& s : sent) {
      s.assign(session.tile_versions_locked().size(), 0);
      snapshot_changed_tiles(session.surface(), session.grid_locked(), session.tile_versions_locked(), s);
    }
  }
  return 1000.0 * time_per_run([&] {
    session.publish(back, full);
    auto lk = session.lock();
    for (auto& s : sent) {
      auto runs = snapshot_changed_tiles(session.surface(), session.grid_locked(), session.tile_versions_locked(), s);
      if (!runs.empty()) std::abort();
    }
  }, 1.0);
}

// The server's encode path for full-screen video frames: snapshot, split into runs,
// encode on the pool. Returns frames per second and the pool's TLP.
nlohmann::json video_pipeline(int w, int h, int threads, const CodecPolicy& policy, const EncodeParams& params, int frames) {
  bench::AppFrames af("video", w, h);
  af.next();
  std::vector<Surface> shots;
  for (int i = 0; i < 30; ++i) {
    af.next();
    shots.push_back(af.surface());
  }
  WorkerPool pool(threads);
  TileGrid grid(shots[0]);
  std::vector<std::uint64_t> current(static_cast<std::size_t>(grid.count()), 1);
  std::size_t bytes = 0;
  auto t0 = Clk::now();
  for (int f = 0; f < frames; ++f) {
    std::vector<std::uint64_t> sent(current.size(), 0);
    auto runs = snapshot_changed_tiles(shots[static_cast<std::size_t>(f) % shots.size()], grid, current, sent);
    std::vector<std::vector<EncodedRect>> out(runs.size());
    pool.parallel_for(runs.size(), [&](std::size_t i) { out[i] = encode_run(runs[i], policy, params); });
    for (auto& o : out)
      for (auto& e : o) bytes += e.payload.size();
  }
  double s = std::chrono::duration<double>(Clk::now() - t0).count();
  auto tlp = pool.tlp();
  return {{"threads", pool.size()}, {"fps", frames / s}, {"kib_per_frame", bytes / 1024.0 / frames}, {"tlp", tlp.tlp}};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> apps{"desktop", "terminal", "photo", "video"};
  int frames = 120;
  std::string geometry = "1280x800";
  std::size_t max_tiles = 4000;
  double min_s = 0.3;
  std::string json_out;
  bool skip_pipeline = false;
  CLI::App cli{"rdisplay-bench-codecs: tile codecs on the demo apps' frames"};
  cli.add_option("--apps", apps, "apps to run")->delimiter(',');
  cli.add_option("--frames", frames, "script frames per app")->capture_default_str();
  cli.add_option("--geometry", geometry, "screen size WxH")->capture_default_str();
  cli.add_option("--max-tiles", max_tiles, "tiles collected per app at most")->capture_default_str();
  cli.add_option("--min-seconds", min_s, "minimum timing per measurement")->capture_default_str();
  cli.add_option("--json", json_out, "also write the results as JSON");
  cli.add_flag("--skip-pipeline", skip_pipeline, "skip the 1080p pipeline and unchanged-frame measurements");
  CLI11_PARSE(cli, argc, argv);
  int w = 0, h = 0;
  if (std::sscanf(geometry.c_str(), "%dx%d", &w, &h) != 2) {
    std::fprintf(stderr, "rdisplay-bench-codecs: --geometry must look like 1280x800\n");
    return 2;
  }

  auto fixed = [](TileCodec c, EncodeParams p = {}) {
    return [c, p](const Tile&) { return std::pair{c, p}; };
  };
  EncodeParams q80_420{80, Subsampling::S420, 1}, q80_444{80, Subsampling::S444, 1}, z3{80, Subsampling::S420, 3};
  EncodeParams q92_444{92, Subsampling::S444, 1};
  CodecPolicy lossless{kAllCodecs, false, std::nullopt}, lossy{kAllCodecs, true, std::nullopt};
  // As a viewer connection has: the palette-or-zstd winners by tile position.
  lossless.memory = std::make_shared<CostMemory>();
  lossy.memory = std::make_shared<CostMemory>();
  std::vector<CodecCase> cases = {
      {"raw", fixed(TileCodec::Raw)},
      {"solid (solid tiles only)", fixed(TileCodec::Solid), true},
      {"zstd -1", fixed(TileCodec::Zstd)},
      {"zstd -3", fixed(TileCodec::Zstd, z3)},
      {"jpeg q80 4:2:0", fixed(TileCodec::Jpeg, q80_420)},
      {"jpeg q80 4:4:4", fixed(TileCodec::Jpeg, q80_444)},
      {"jpeg-abbrev q80 4:2:0 (no tables)", fixed(TileCodec::JpegAbbrev, q80_420)},
      {"jpeg-arith q80 4:2:0 (arithmetic, no tables)", fixed(TileCodec::JpegArith, q80_420)},
      {"jpeg-abbrev q92 4:4:4", fixed(TileCodec::JpegAbbrev, q92_444)},
      {"jpeg-arith q92 4:4:4", fixed(TileCodec::JpegArith, q92_444)},
      {"palette (tiles of <= 256 colours)", fixed(TileCodec::Palette), false, nullptr, true},
      {"auto lossless", fixed(TileCodec::Raw), false, &lossless},
      {"auto q80", fixed(TileCodec::Raw, q80_420), false, &lossy},
  };

  nlohmann::json results = nlohmann::json::object();
  std::printf("rdisplay-bench-codecs: %dx%d, %d script frames per app, tiles of 64x64\n\n", w, h, frames);
  for (const auto& app : apps) {
    auto tiles = collect_tiles(app, w, h, frames, max_tiles);
    std::printf("### %s (%zu changed tiles)\n\n", app.c_str(), tiles.size());
    std::printf("| codec | tiles | encode Mpix/s | decode Mpix/s | bytes | ratio to raw | PSNR dB |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|\n");
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& cc : cases) {
      auto r = run_codec(tiles, cc, min_s);
      rows.push_back(r);
      std::printf("| %s | %zu | %.0f | %.0f | %zu | %.2f | %s |\n", cc.name.c_str(), r["tiles"].get<std::size_t>(),
                  r["encode_mpix_s"].get<double>(), r["decode_mpix_s"].get<double>(), r["bytes"].get<std::size_t>(),
                  r["ratio_to_raw"].get<double>(),
                  r["psnr_db"].get<double>() >= 999 ? "lossless" : std::to_string(r["psnr_db"].get<double>()).substr(0, 5).c_str());
      std::fflush(stdout);
    }
    std::printf("\n");
    results[app] = rows;
  }

  if (!skip_pipeline) {
    double ms1 = unchanged_frame_ms(1920, 1080, 1), ms4 = unchanged_frame_ms(1920, 1080, 4);
    std::printf("### Unchanged 1920x1080 frame (full-screen damage, identical pixels)\n\n");
    std::printf("server CPU per frame: %.3f ms with 1 viewer, %.3f ms with 4 viewers\n\n", ms1, ms4);
    results["unchanged_frame_ms"] = {{"viewers_1", ms1}, {"viewers_4", ms4}};

    std::printf("### Server encode path, 1920x1080 video frames (snapshot + runs + pool)\n\n");
    std::printf("| policy | threads | frames/s | KiB/frame | TLP |\n|---|---:|---:|---:|---:|\n");
    nlohmann::json pipe = nlohmann::json::array();
    constexpr std::uint32_t kHuffmanOnly = kAllCodecs & ~codec_bit(TileCodec::JpegArith);
    CodecPolicy lossy_huffman = lossy;
    lossy_huffman.jpeg_arithmetic = false;
    for (auto [name, pol, par] : {std::tuple{"jpeg-abbrev q80 4:2:0", CodecPolicy{kHuffmanOnly, true, TileCodec::Jpeg}, q80_420},
                                  std::tuple{"jpeg-arith q80 4:2:0", CodecPolicy{kAllCodecs, true, TileCodec::Jpeg}, q80_420},
                                  std::tuple{"auto q80 (Huffman: what the server's gate picks at this rate)", lossy_huffman, q80_420},
                                  std::tuple{"auto lossless", lossless, EncodeParams{}}}) {
      for (int threads : {1, 2}) {
        auto r = video_pipeline(1920, 1080, threads, pol, par, 60);
        r["policy"] = name;
        pipe.push_back(r);
        std::printf("| %s | %d | %.1f | %.0f | %.2f |\n", name, threads, r["fps"].get<double>(), r["kib_per_frame"].get<double>(),
                    r["tlp"].get<double>());
        std::fflush(stdout);
      }
    }
    results["video_1080p_pipeline"] = pipe;
  }
  if (!json_out.empty()) std::ofstream(json_out) << results.dump(2) << "\n";
  return 0;
}
