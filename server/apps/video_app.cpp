// `video`: full-motion content over most of the screen, as a video player shows it: a
// camera drifting over a landscape under moving light, with objects in motion, and a
// control bar with a progress indicator below.
#include <algorithm>
#include <array>
#include <cmath>
#include <string>

#include "protocol/keysym.hpp"
#include "server/apps/app.hpp"
#include "server/apps/landscape.hpp"

namespace rd {

namespace {

constexpr int kBar = 40, kMargin = 96, kBalls = 3, kBallSize = 72, kLength = 3600;

class VideoApp : public App {
 public:
  VideoApp(int w, int h) : w_(w), h_(h), vh_(std::max(1, h - kBar)) {}

  void start(Canvas& c) override {
    texture_ = make_landscape(w_ + 2 * kMargin, vh_ + 2 * kMargin, 77);
    make_ball();
    frame_buf_ = Surface(w_, vh_);
    render(0);
    c.image(0, 0, frame_buf_.view());
    paint_bar(c, 0);
  }

  void frame(Canvas& c, int /*index*/) override {
    if (paused_) return;
    ++t_;
    render(t_);
    c.image(0, 0, frame_buf_.view());
    paint_bar(c, t_);
  }

  void key(Canvas& c, const KeyEvent& k) override {
    if (k.down && k.keysym == ' ') {
      paused_ = !paused_;
      paint_bar(c, t_);
    }
  }
  void pointer(Canvas& c, const PointerEvent& p) override {
    bool left = p.buttons & 1;
    if (left && !(buttons_ & 1) && p.y >= vh_) {
      paused_ = !paused_;
      paint_bar(c, t_);
    }
    buttons_ = p.buttons;
  }

  nlohmann::json state() const override { return {{"time", t_}, {"paused", paused_}}; }

 private:
  void make_ball() {
    ball_.assign(static_cast<std::size_t>(kBallSize) * kBallSize, 0);
    const double r = kBallSize / 2.0;
    for (int y = 0; y < kBallSize; ++y)
      for (int x = 0; x < kBallSize; ++x) {
        double dx = (x + 0.5 - r) / r, dy = (y + 0.5 - r) / r;
        double d2 = dx * dx + dy * dy;
        if (d2 > 1.0) continue;
        double light = std::clamp(0.25 + 0.75 * (std::sqrt(1 - d2) * 0.7 - dx * 0.35 - dy * 0.45), 0.0, 1.0);
        auto v = static_cast<std::uint32_t>(light * 255);
        ball_[static_cast<std::size_t>(y) * kBallSize + x] = 0xFF000000u | (v << 16) | ((v * 3 / 5) << 8) | (v / 4);
      }
  }

  // One frame: the texture seen through a drifting camera, rows lit by moving bands of
  // light, and bouncing balls on top.
  void render(int t) {
    int ox = kMargin + static_cast<int>(std::lround((kMargin - 1) * std::sin(t * 0.013)));
    int oy = kMargin + static_cast<int>(std::lround((kMargin - 1) * std::sin(t * 0.021 + 1.0)));
    std::array<std::uint8_t, 256> lut;
    for (int y = 0; y < vh_; ++y) {
      int gain = 176 + static_cast<int>(80 * std::sin((y + 5 * t) * 0.015));  // 96..256 of 256
      for (int v = 0; v < 256; ++v) lut[static_cast<std::size_t>(v)] = static_cast<std::uint8_t>(v * gain >> 8);
      const std::uint32_t* in = texture_.row32(y + oy) + ox;
      std::uint32_t* out = frame_buf_.row32(y);
      for (int x = 0; x < w_; ++x) {
        std::uint32_t p = in[x];
        out[x] = 0xFF000000u | static_cast<std::uint32_t>(lut[(p >> 16) & 0xFF]) << 16 |
                 static_cast<std::uint32_t>(lut[(p >> 8) & 0xFF]) << 8 | lut[p & 0xFF];
      }
    }
    for (int b = 0; b < kBalls; ++b) {
      int bx = bounce(t * (5 + 2 * b) + b * 400, std::max(1, w_ - kBallSize));
      int by = bounce(t * (4 + 3 * b) + b * 250, std::max(1, vh_ - kBallSize));
      for (int y = 0; y < kBallSize && by + y < vh_; ++y) {
        std::uint32_t* out = frame_buf_.row32(by + y);
        for (int x = 0; x < kBallSize && bx + x < w_; ++x)
          if (std::uint32_t p = ball_[static_cast<std::size_t>(y) * kBallSize + x]) out[bx + x] = p;
      }
    }
  }

  static int bounce(int pos, int span) {
    int period = 2 * span;
    int p = pos % period;
    return p < span ? p : period - p;
  }

  void paint_bar(Canvas& c, int t) {
    c.fill({0, vh_, w_, h_ - vh_}, rgb(20, 20, 24));
    // Play or pause symbol.
    if (paused_) {
      c.fill({14, vh_ + 12, 5, 16}, rgb(230, 230, 230));
      c.fill({23, vh_ + 12, 5, 16}, rgb(230, 230, 230));
    } else {
      for (int k = 0; k < 8; ++k) c.line(14 + k, vh_ + 12 + k, 14 + k, vh_ + 28 - k, 1, rgb(230, 230, 230));
    }
    int bar_x = 44, bar_w = std::max(10, w_ - 180);
    c.fill({bar_x, vh_ + 18, bar_w, 4}, rgb(70, 70, 80));
    c.fill({bar_x, vh_ + 18, bar_w * (t % kLength) / kLength, 4}, rgb(220, 60, 60));
    char clock[32];
    int secs = t / 30;
    std::snprintf(clock, sizeof clock, "%d:%02d / 2:00", secs / 60, secs % 60);
    c.text(w_ - 124, vh_ + 26, clock, FontFace::Sans, 14, rgb(230, 230, 230));
  }

  int w_, h_, vh_;
  int t_ = 0;
  bool paused_ = false;
  std::uint32_t buttons_ = 0;
  Surface texture_, frame_buf_;
  std::vector<std::uint32_t> ball_;
};

}  // namespace

std::unique_ptr<App> make_video_app(int w, int h) { return std::make_unique<VideoApp>(w, h); }

}  // namespace rd
