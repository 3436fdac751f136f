#include "bench/tool/media.hpp"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <stdexcept>

#include "client/png_file.hpp"
#include "common/child_process.hpp"

namespace rd::bench {

void ensure_slides(const std::string& dir, int count, int w, int h) {
  std::filesystem::create_directories(dir);
  for (int i = 0; i < count; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "/slide-%02d.png", i);
    if (std::filesystem::exists(dir + name)) continue;
    std::mt19937 rng(static_cast<unsigned>(1000 + i));
    std::uniform_int_distribution<int> grain(-6, 6);
    Surface s(w, h);
    const double hue = i * 0.7;
    for (int y = 0; y < h; ++y)
      for (int x = 0; x < w; ++x) {
        double fx = static_cast<double>(x) / w, fy = static_cast<double>(y) / h;
        double r = 128 + 100 * std::sin(hue + fx * 3 + fy), g = 128 + 90 * std::sin(hue * 1.3 + fy * 4), b = 128 + 110 * std::cos(hue + fx * fy * 5);
        // A few soft discs: the photo's subjects.
        for (int k = 0; k < 3; ++k) {
          double cx = 0.2 + 0.3 * k + 0.05 * std::sin(hue + k), cy = 0.5 + 0.25 * std::cos(hue * 2 + k);
          double d = std::hypot(fx - cx, fy - cy);
          if (d < 0.15) {
            double t = 1 - d / 0.15;
            r = r * (1 - t) + (60 + 60 * k) * t;
            g = g * (1 - t) + (200 - 50 * k) * t;
            b = b * (1 - t) + (90 + 40 * k) * t;
          }
        }
        auto c = [&](double v) { return static_cast<std::uint32_t>(std::clamp(static_cast<int>(v) + grain(rng), 0, 255)); };
        s.row32(y)[x] = 0xFF000000u | c(r) << 16 | c(g) << 8 | c(b);
      }
    write_png(dir + name, s);
  }
}

void ensure_clip(const std::string& dir, int seconds) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/clip-" + std::to_string(seconds) + "s.mp4";
  if (std::filesystem::exists(path)) return;
  std::string tmp = path + ".part.mp4";
  ChildProcess ff({"ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=" + std::to_string(seconds),
                   "-c:v", "mpeg4", "-q:v", "4", tmp},
                  "", dir + "/ffmpeg.err");
  auto rc = ff.wait(std::chrono::seconds(120));
  if (!rc || *rc != 0) throw std::runtime_error("could not make the test clip with ffmpeg (is it installed?): " + slurp(dir + "/ffmpeg.err"));
  std::filesystem::rename(tmp, path);
}

}  // namespace rd::bench
