#pragma once
#include <algorithm>
#include <cmath>

namespace rd {

// How the remote screen is drawn in the window.
enum class ScaleMode {
  Fit,       // as large as the window allows, aspect ratio kept (letterboxed)
  OneToOne,  // one remote pixel per screen pixel (HiDPI: per physical pixel)
  Fixed,     // a chosen number of screen pixels per remote pixel
};

// Where the remote screen lands in the window's drawable (physical pixels), and the
// way back for the pointer. When the scaled screen is larger than the window, the view
// pans with the pointer: its position across the window picks the part shown.
struct Viewport {
  double scale = 1;  // drawable pixels per remote pixel
  double x = 0, y = 0;  // the remote screen's top-left corner in the drawable (may be < 0)
  double w = 0, h = 0;  // its scaled size

  // fb: the remote screen; out: the drawable; pointer: the pointer in drawable pixels.
  static Viewport compute(ScaleMode mode, double fixed_scale, int fb_w, int fb_h, int out_w, int out_h, double pointer_x,
                          double pointer_y) {
    Viewport v;
    if (fb_w <= 0 || fb_h <= 0 || out_w <= 0 || out_h <= 0) return v;
    v.scale = mode == ScaleMode::Fit        ? std::min(static_cast<double>(out_w) / fb_w, static_cast<double>(out_h) / fb_h)
              : mode == ScaleMode::OneToOne ? 1.0
                                            : fixed_scale;
    v.w = fb_w * v.scale;
    v.h = fb_h * v.scale;
    v.x = place(v.w, out_w, pointer_x);
    v.y = place(v.h, out_h, pointer_y);
    return v;
  }

  // The remote pixel under a drawable position, clamped to the screen.
  void to_remote(double out_x, double out_y, int fb_w, int fb_h, int* rx, int* ry) const {
    *rx = std::clamp(static_cast<int>(std::floor((out_x - x) / scale)), 0, std::max(0, fb_w - 1));
    *ry = std::clamp(static_cast<int>(std::floor((out_y - y) / scale)), 0, std::max(0, fb_h - 1));
  }

 private:
  // Centred when it fits; else panned so that the pointer's share of the window is the
  // share of the screen shown to its left.
  static double place(double size, int out, double pointer) {
    if (size <= out) return std::floor((out - size) / 2);
    double t = std::clamp(pointer / std::max(1, out - 1), 0.0, 1.0);
    return std::round(-(size - out) * t);
  }
};

}  // namespace rd
