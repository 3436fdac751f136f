// rdisplay-bench-ops-dict: does a trained zstd dictionary shrink op batches?
// Collects the per-frame op batches of the demo apps (what an ops viewer receives),
// trains a dictionary on one run (1280x800, the first half of each script) and
// measures the other half and a different screen size (1024x768) with and without it.
#include <zdict.h>
#include <zstd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "server/apps/app.hpp"
#include "server/canvas.hpp"
#include "server/ops_planner.hpp"

using namespace rd;

namespace {

std::vector<Bytes> batches(const std::string& app_name, int w, int h, int frames) {
  Surface s(w, h);
  FontCache fonts(default_font_dir());
  Canvas canvas(s, fonts);
  auto app = make_app(app_name, w, h);
  GlyphCacheModel mirror(4u << 20);
  std::vector<Bytes> out;
  for (int f = -1; f < frames; ++f) {
    canvas.start_recording();
    if (f < 0) app->start(canvas);
    else app->frame(canvas, f);
    auto ops = canvas.take_ops();
    canvas.take_damage();
    if (ops.size() <= 1) continue;  // only the clip state: nothing drawn
    out.push_back(serialize_for_viewer(ops, std::vector<char>(ops.size(), 1), mirror));
  }
  return out;
}

std::size_t compressed(const std::vector<Bytes>& set, int level, const ZSTD_CDict* dict) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  std::size_t total = 0;
  for (const Bytes& b : set) {
    Bytes z(ZSTD_compressBound(b.size()));
    std::size_t n = dict ? ZSTD_compress_usingCDict(c, z.data(), z.size(), b.data(), b.size(), dict)
                         : ZSTD_compressCCtx(c, z.data(), z.size(), b.data(), b.size(), level);
    total += std::min(n, b.size()) + 5;  // the batch keeps the smaller of raw and zstd, plus its 5-byte header
  }
  ZSTD_freeCCtx(c);
  return total;
}

}  // namespace

int main(int argc, char** argv) {
  int frames = 240;
  std::size_t dict_size = 16 * 1024;
  std::string write_to;
  CLI::App cli{"rdisplay-bench-ops-dict: op batches with and without a trained zstd dictionary"};
  cli.add_option("--frames", frames, "script frames per app")->capture_default_str();
  cli.add_option("--dict-size", dict_size, "dictionary size in bytes")->capture_default_str();
  cli.add_option("--write", write_to, "save the trained dictionary (codecs/ops_dictionary.bin is made so)");
  CLI11_PARSE(cli, argc, argv);

  std::vector<std::string> apps{"desktop", "terminal"};
  std::vector<Bytes> train;
  std::vector<std::pair<std::string, std::vector<Bytes>>> tests;
  for (const auto& a : apps) {
    auto all = batches(a, 1280, 800, frames);
    std::size_t half = all.size() / 2;
    train.insert(train.end(), all.begin(), all.begin() + static_cast<std::ptrdiff_t>(half));
    tests.push_back({a + " 1280x800, later frames", std::vector<Bytes>(all.begin() + static_cast<std::ptrdiff_t>(half), all.end())});
    tests.push_back({a + " 1024x768", batches(a, 1024, 768, frames)});
  }
  Bytes samples;
  std::vector<std::size_t> sizes;
  for (const Bytes& b : train) {
    samples.insert(samples.end(), b.begin(), b.end());
    sizes.push_back(b.size());
  }
  Bytes dict(dict_size);
  std::size_t n = ZDICT_trainFromBuffer(dict.data(), dict.size(), samples.data(), sizes.data(), static_cast<unsigned>(sizes.size()));
  if (ZDICT_isError(n)) {
    std::fprintf(stderr, "training failed: %s\n", ZDICT_getErrorName(n));
    return 1;
  }
  dict.resize(n);
  if (!write_to.empty())
    std::ofstream(write_to, std::ios::binary).write(reinterpret_cast<const char*>(dict.data()), static_cast<std::streamsize>(dict.size()));
  ZSTD_CDict* cdict = ZSTD_createCDict(dict.data(), dict.size(), 3);
  std::printf("dictionary: %zu bytes trained on %zu batches\n\n", dict.size(), train.size());
  std::printf("| test set | batches | raw bytes | zstd -3 | zstd -3 + dictionary | with / without |\n|---|---:|---:|---:|---:|---:|\n");
  for (const auto& [name, set] : tests) {
    std::size_t raw = 0;
    for (const Bytes& b : set) raw += b.size() + 5;
    std::size_t plain = compressed(set, 3, nullptr), with = compressed(set, 3, cdict);
    std::printf("| %s | %zu | %zu | %zu | %zu | %.3f |\n", name.c_str(), set.size(), raw, plain, with,
                static_cast<double>(with) / static_cast<double>(plain));
  }
  ZSTD_freeCDict(cdict);
  return 0;
}
