// `photo`: a slideshow of procedurally generated landscapes, each held for a while and
// cross-faded into the next; arrow keys, a click or the wheel change slides.
#include <algorithm>
#include <string>

#include "protocol/keysym.hpp"
#include "server/apps/app.hpp"
#include "server/apps/landscape.hpp"

namespace rd {

namespace {

constexpr int kCaption = 40, kHold = 45, kFade = 15, kSlides = 12;

const char* kTitles[kSlides] = {"Alpine lake", "Evening ridge", "Morning mist", "Autumn valley",
                                "High meadow", "Quiet shore", "Far peaks", "Cloud bank",
                                "Glacier view", "Pine slopes", "Still water", "Last light"};

class PhotoApp : public App {
 public:
  PhotoApp(int w, int h) : w_(w), h_(h), img_h_(std::max(1, h - kCaption)) {}

  void start(Canvas& c) override {
    current_ = make_landscape(w_, img_h_, seed(0));
    show(c, 0);
  }

  void frame(Canvas& c, int i) override {
    int phase = i % (kHold + kFade);
    int next_slide = (slide_ + 1) % kSlides;
    if (phase == kHold - 1) next_ = make_landscape(w_, img_h_, seed(next_slide));  // ready before the fade
    if (phase >= kHold) {
      if (next_.empty()) next_ = make_landscape(w_, img_h_, seed(next_slide));
      int t = (phase - kHold + 1) * 256 / kFade;  // 1/15 .. 256/256
      blend_into(scratch_, current_, next_, t);
      c.image(0, 0, scratch_.view());
      if (phase == kHold + kFade - 1) {
        current_ = std::move(next_);
        next_ = Surface();
        show(c, next_slide);
      }
    }
  }

  void key(Canvas& c, const KeyEvent& k) override {
    if (!k.down) return;
    if (k.keysym == keysym::Right || k.keysym == ' ') jump(c, slide_ + 1);
    else if (k.keysym == keysym::Left) jump(c, slide_ - 1);
  }
  void pointer(Canvas& c, const PointerEvent& p) override {
    bool left = p.buttons & 1;
    if (left && !(buttons_ & 1)) jump(c, slide_ + 1);
    buttons_ = p.buttons;
  }
  void wheel(Canvas& c, const WheelEvent& w) override {
    if (w.dy != 0) jump(c, slide_ + (w.dy < 0 ? 1 : -1));
  }

  nlohmann::json state() const override { return {{"slide", slide_}, {"title", kTitles[slide_]}}; }

 private:
  static std::uint64_t seed(int slide) { return 1000 + static_cast<std::uint64_t>(slide) * 31; }

  void jump(Canvas& c, int s) {
    s = ((s % kSlides) + kSlides) % kSlides;
    current_ = make_landscape(w_, img_h_, seed(s));
    next_ = Surface();
    show(c, s);
  }

  void show(Canvas& c, int s) {
    slide_ = s;
    c.image(0, 0, current_.view());
    c.fill({0, img_h_, w_, h_ - img_h_}, rgb(24, 24, 28));
    std::string caption = std::to_string(s + 1) + " / " + std::to_string(kSlides) + "   " + kTitles[s];
    c.text(16, img_h_ + 26, caption, FontFace::Sans, 16, rgb(235, 235, 235));
  }

  static void blend_into(Surface& out, const Surface& a, const Surface& b, int t) {
    if (out.width() != a.width() || out.height() != a.height()) out = Surface(a.width(), a.height());
    for (int y = 0; y < a.height(); ++y) {
      const std::uint8_t* pa = reinterpret_cast<const std::uint8_t*>(a.row32(y));
      const std::uint8_t* pb = reinterpret_cast<const std::uint8_t*>(b.row32(y));
      std::uint8_t* po = reinterpret_cast<std::uint8_t*>(out.row32(y));
      for (int x = 0; x < a.width() * 4; ++x) po[x] = static_cast<std::uint8_t>((pa[x] * (256 - t) + pb[x] * t) >> 8);
    }
  }

  int w_, h_, img_h_;
  int slide_ = 0;
  std::uint32_t buttons_ = 0;
  Surface current_, next_, scratch_;
};

}  // namespace

std::unique_ptr<App> make_photo_app(int w, int h) { return std::make_unique<PhotoApp>(w, h); }

}  // namespace rd
