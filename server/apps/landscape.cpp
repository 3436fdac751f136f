#include "server/apps/landscape.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "server/apps/rng.hpp"

namespace rd {

namespace {

double lattice(int x, int y, std::uint64_t seed) {
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(static_cast<std::uint32_t>(x)) * 0x9e3779b97f4a7c15ull) ^
                    (static_cast<std::uint64_t>(static_cast<std::uint32_t>(y)) * 0xc2b2ae3d27d4eb4full);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return static_cast<double>(h >> 11) * (1.0 / 9007199254740992.0);
}

double smooth(double t) { return t * t * (3 - 2 * t); }

double value_noise(double x, double y, std::uint64_t seed) {
  int xi = static_cast<int>(std::floor(x)), yi = static_cast<int>(std::floor(y));
  double fx = smooth(x - xi), fy = smooth(y - yi);
  double a = lattice(xi, yi, seed), b = lattice(xi + 1, yi, seed);
  double c = lattice(xi, yi + 1, seed), d = lattice(xi + 1, yi + 1, seed);
  return (a + (b - a) * fx) * (1 - fy) + (c + (d - c) * fx) * fy;
}

struct Rgb {
  double r, g, b;
};
Rgb mix(Rgb a, Rgb b, double t) { return {a.r + (b.r - a.r) * t, a.g + (b.g - a.g) * t, a.b + (b.b - a.b) * t}; }
std::uint32_t pack(Rgb c) {
  auto q = [](double v) { return static_cast<std::uint32_t>(std::clamp(v, 0.0, 255.0) + 0.5) & 0xFF; };
  return 0xFF000000u | q(c.r) << 16 | q(c.g) << 8 | q(c.b);
}

struct Palette {
  Rgb sky_top, sky_horizon, sun, cloud, far_ridge, near_ridge, ground, water;
};

const Palette kPalettes[] = {
    // clear noon
    {{40, 90, 170}, {170, 205, 235}, {255, 250, 225}, {250, 250, 250}, {110, 130, 160}, {50, 80, 60}, {70, 120, 50}, {40, 80, 120}},
    // dusk
    {{40, 30, 80}, {250, 150, 90}, {255, 220, 150}, {240, 170, 150}, {120, 80, 110}, {50, 35, 55}, {60, 50, 40}, {90, 60, 90}},
    // misty morning
    {{120, 140, 160}, {220, 220, 215}, {255, 255, 240}, {235, 235, 235}, {150, 160, 170}, {80, 100, 90}, {90, 110, 80}, {110, 130, 140}},
    // autumn
    {{60, 110, 190}, {200, 215, 230}, {255, 245, 210}, {245, 245, 245}, {120, 110, 120}, {120, 70, 30}, {150, 100, 40}, {50, 70, 100}},
};

}  // namespace

double fbm2(double x, double y, int octaves, std::uint64_t seed) {
  double sum = 0, amp = 0.5, norm = 0;
  for (int o = 0; o < octaves; ++o) {
    sum += amp * value_noise(x, y, seed + static_cast<std::uint64_t>(o) * 7919);
    norm += amp;
    x *= 2.03;
    y *= 2.03;
    amp *= 0.5;
  }
  return sum / norm;
}

Surface make_landscape(int w, int h, std::uint64_t seed) {
  Rng rng(seed);
  const Palette& p = kPalettes[rng.below(4)];
  const double horizon = h * (0.55 + 0.1 * rng.unit());
  const bool water = rng.below(2) == 0;
  const double sun_x = w * (0.2 + 0.6 * rng.unit()), sun_y = horizon * (0.25 + 0.4 * rng.unit());
  const double sun_r = std::max(6.0, h * 0.035);
  const double scale = 1.0 / std::max(1, std::min(w, h));

  // Ridge lines: three layers, farthest first, each an fBm curve over x.
  constexpr int kLayers = 3;
  std::vector<std::vector<double>> ridge(kLayers, std::vector<double>(static_cast<std::size_t>(w)));
  for (int l = 0; l < kLayers; ++l) {
    double base = horizon - h * (0.28 - 0.08 * l), amp = h * (0.22 - 0.05 * l);
    for (int x = 0; x < w; ++x)
      ridge[l][static_cast<std::size_t>(x)] = base + amp * (0.5 - fbm2(x * scale * (2.0 + l), l * 10.0, 6, seed + 101 + l));
  }

  Surface s(w, h);
  for (int y = 0; y < h; ++y) {
    std::uint32_t* row = s.row32(y);
    for (int x = 0; x < w; ++x) {
      double nx = x * scale, ny = y * scale;
      Rgb c;
      if (y < horizon) {
        int layer = -1;  // the nearest ridge this pixel lies under
        for (int l = kLayers - 1; l >= 0 && layer < 0; --l)
          if (y >= ridge[l][static_cast<std::size_t>(x)]) layer = l;
        if (layer >= 0) {
          double haze = 0.55 - 0.22 * layer;
          Rgb rock = mix(p.far_ridge, p.near_ridge, layer / 2.0);
          double tex = fbm2(nx * 12, ny * 12, 4, seed + 31 + layer);
          rock = mix(rock, {rock.r * 1.3, rock.g * 1.3, rock.b * 1.3}, tex - 0.3);
          c = mix(rock, p.sky_horizon, haze);
        } else {
          c = mix(p.sky_top, p.sky_horizon, std::pow(y / horizon, 1.3));
          double d = std::hypot(x - sun_x, y - sun_y);
          if (d < sun_r) c = p.sun;
          else c = mix(c, p.sun, 0.5 * std::exp(-(d - sun_r) / (h * 0.06)));
          double cl = fbm2(nx * 3, ny * 8, 5, seed + 7);
          if (cl > 0.55) c = mix(c, p.cloud, std::min(1.0, (cl - 0.55) * 4) * 0.85);
        }
      } else {
        double depth = (y - horizon) / (h - horizon);
        if (water) {
          // Mirror of the scene above, rippled and darkened.
          int my = static_cast<int>(2 * horizon - y);
          double ripple = fbm2(nx * 40, ny * 160, 3, seed + 55) - 0.5;
          int mx = std::clamp(x + static_cast<int>(ripple * 12), 0, w - 1);
          my = std::clamp(my, 0, static_cast<int>(horizon) - 1);
          std::uint32_t m = s.row32(my)[mx];
          Rgb refl{static_cast<double>((m >> 16) & 0xFF), static_cast<double>((m >> 8) & 0xFF), static_cast<double>(m & 0xFF)};
          c = mix(refl, p.water, 0.35 + 0.4 * depth);
        } else {
          double grass = fbm2(nx * 30, ny * 60, 5, seed + 77);
          c = mix(p.ground, {p.ground.r * 0.5, p.ground.g * 0.6, p.ground.b * 0.4}, grass);
          c = mix(mix(c, p.sky_horizon, 0.3 * (1 - depth)), c, depth);
        }
      }
      row[x] = pack(c);
    }
  }
  return s;
}

}  // namespace rd
