// Writes seed inputs for the fuzz targets from real sessions: the op batches that the
// demo apps' first frames produce. Run once; the output is checked in under corpus/.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "codecs/op_batch.hpp"
#include "server/apps/app.hpp"
#include "server/canvas.hpp"
#include "server/ops_planner.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR\n");
    return 2;
  }
  std::filesystem::path out = argv[1];
  std::filesystem::create_directories(out / "op_batch");
  for (const auto& a : rd::list_apps()) {
    rd::Surface s(160, 100);
    rd::FontCache fonts(rd::default_font_dir());
    rd::Canvas canvas(s, fonts);
    auto app = rd::make_app(a.name, 160, 100);
    rd::GlyphCacheModel mirror(1 << 20);
    for (int f = -1; f < 3; ++f) {
      canvas.start_recording();
      if (f < 0) app->start(canvas);
      else app->frame(canvas, f);
      auto ops = canvas.take_ops();
      rd::Bytes raw = rd::serialize_for_viewer(ops, std::vector<char>(ops.size(), 1), mirror);
      rd::Bytes batch = rd::encode_ops_batch(raw);
      std::ofstream(out / "op_batch" / (a.name + "-" + std::to_string(f + 1)), std::ios::binary)
          .write(reinterpret_cast<const char*>(batch.data()), static_cast<std::streamsize>(batch.size()));
    }
  }
  return 0;
}
