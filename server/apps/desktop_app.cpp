// `desktop`: a window manager scene with overlapping windows, buttons, a text field that
// echoes typed keys, windows dragged by their title bars, and a small animated graph.
#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "protocol/keysym.hpp"
#include "server/apps/app.hpp"
#include "server/apps/rng.hpp"

namespace rd {

namespace {

constexpr int kTitle = 28;
constexpr int kTaskbar = 36;
constexpr Color kBorder = rgb(20, 20, 30), kBody = rgb(236, 236, 240), kText = rgb(25, 25, 30);
constexpr Color kTitleActive = rgb(45, 90, 160), kTitleInactive = rgb(115, 115, 125);
constexpr Color kButton = rgb(214, 216, 224), kButtonDown = rgb(160, 170, 190);

const char* kNotesText =
    "Remote display protocols either send pixels (VNC, RDP's bitmap path) or drawing "
    "commands (X11, NX, SPICE's QXL). Pixels cost bandwidth in proportion to what "
    "changed on screen; commands cost in proportion to what the application drew. "
    "Which one wins depends on the workload, and that is what this session measures.";

struct Button {
  Rect r;  // relative to the window
  std::string label;
};

enum class WinKind { Files, Monitor, Notes };

struct Window {
  WinKind kind;
  std::string title;
  Rect r;
  std::vector<Button> buttons;
};

class DesktopApp : public App {
 public:
  DesktopApp(int w, int h) : w_(w), h_(h) {
    int sx = std::max(1, w / 4), sy = std::max(1, h / 5);
    wins_.push_back({WinKind::Files, "Files - /home/demo", {sx / 4, sy / 3, 420, 330}, {{{230, 290, 80, 28}, "Open"}, {{320, 290, 88, 28}, "Cancel"}}});
    wins_.push_back({WinKind::Monitor, "System Monitor", {sx * 2, sy / 2, 380, 250}, {}});
    wins_.push_back({WinKind::Notes, "Notes", {sx - 60, sy * 2, 560, 290}, {{{350, 250, 90, 28}, "Save"}, {{450, 250, 90, 28}, "Clear"}}});
    Rng rng(42);
    for (auto& v : graph_) v = 20 + rng.below(60);
  }

  void start(Canvas& c) override { paint(c, c.bounds()); }

  void frame(Canvas& c, int i) override {
    frame_ = i;
    // The animated region: the monitor's graph, every frame.
    Rng rng(1000 + static_cast<std::uint64_t>(i));
    std::rotate(graph_.begin(), graph_.begin() + 1, graph_.end());
    graph_.back() = std::clamp(graph_[graph_.size() - 2] + rng.range(-12, 12), 5, 95);
    paint(c, graph_rect());
    // Scripted typing in the notes, one character every second frame.
    if (i % 2 == 0 && notes_len_ < std::string(kNotesText).size()) {
      ++notes_len_;
      paint(c, notes_text_rect());
    }
    // The clock ticks once a simulated second.
    if (i % 30 == 0) paint(c, clock_rect());
    // Frames 90..149: the file manager slides to the right, as a scripted window move.
    if (i >= 90 && i < 150) move_window(c, find(WinKind::Files), 3, 1);
  }

  void key(Canvas& c, const KeyEvent& k) override {
    if (k.keysym == keysym::Control_L || k.keysym == keysym::Control_R) {
      control_ = k.down;
      return;
    }
    if (!k.down) return;
    if (control_ && (k.keysym == 'c' || k.keysym == 'C')) {  // copy the text field
      clipboard_out_ = field_;
      status_ = "Copied " + std::to_string(utf8_decode(field_).size()) + " characters";
      paint(c, status_rect());
      return;
    }
    if (control_ && (k.keysym == 'v' || k.keysym == 'V')) {  // paste into it
      for (char32_t cp : utf8_decode(clipboard_in_))
        if (cp >= 0x20 && field_.size() < 200) utf8_append(field_, cp);
      paint(c, field_rect());
      return;
    }
    if (k.keysym == keysym::BackSpace) {
      utf8_pop_back(field_);
    } else if (k.keysym == keysym::Return || k.keysym == keysym::KP_Enter) {
      status_ = "Entered: " + field_;
      paint(c, status_rect());
    } else if (char32_t cp = unicode_from_keysym(k.keysym)) {
      if (field_.size() < 200) utf8_append(field_, cp);
    } else {
      return;
    }
    paint(c, field_rect());
  }

  void pointer(Canvas& c, const PointerEvent& p) override {
    const bool left = p.buttons & 1, was_left = buttons_ & 1;
    buttons_ = p.buttons;
    if (left && !was_left) press(c, p.x, p.y);
    if (left && dragging_ >= 0) {
      move_window(c, dragging_, p.x - drag_x_, p.y - drag_y_);
      drag_x_ = p.x;
      drag_y_ = p.y;
    }
    if (!left && was_left) release(c, p.x, p.y);
  }

  void clipboard(Canvas& c, const std::string& utf8) override {
    clipboard_in_ = utf8;
    status_ = "Clipboard: " + std::to_string(utf8_decode(utf8).size()) + " characters (Ctrl+V pastes)";
    paint(c, status_rect());
  }

  std::optional<std::string> take_clipboard() override {
    auto out = std::move(clipboard_out_);
    clipboard_out_.reset();
    return out;
  }

  nlohmann::json state() const override {
    nlohmann::json wins = nlohmann::json::array();
    for (const auto& w : wins_) wins.push_back({{"title", w.title}, {"x", w.r.x}, {"y", w.r.y}, {"w", w.r.w}, {"h", w.r.h}});
    return {{"text_field", field_}, {"status", status_}, {"windows", wins}, {"frame", frame_}, {"clipboard_in", clipboard_in_}};
  }

 private:
  int find(WinKind k) const {
    for (std::size_t i = 0; i < wins_.size(); ++i)
      if (wins_[i].kind == k) return static_cast<int>(i);
    return -1;
  }
  const Window& win(WinKind k) const { return wins_[static_cast<std::size_t>(find(k))]; }
  Rect graph_rect() const {
    const Rect& r = win(WinKind::Monitor).r;
    return {r.x + 12, r.y + kTitle + 34, r.w - 24, r.h - kTitle - 46};
  }
  Rect field_rect() const {
    const Rect& r = win(WinKind::Notes).r;
    return {r.x + 90, r.y + kTitle + 14, r.w - 110, 30};
  }
  Rect notes_text_rect() const {
    const Rect& r = win(WinKind::Notes).r;
    return {r.x + 14, r.y + kTitle + 56, r.w - 28, 150};
  }
  Rect status_rect() const {
    const Rect& r = win(WinKind::Notes).r;
    return {r.x + 14, r.y + r.h - 40, 320, 28};
  }
  Rect clock_rect() const { return {w_ - 110, h_ - kTaskbar, 110, kTaskbar}; }

  void move_window(Canvas& c, int idx, int dx, int dy) {
    if (idx < 0 || (dx == 0 && dy == 0)) return;
    Window& w = wins_[static_cast<std::size_t>(idx)];
    Rect before = w.r;
    w.r.x = std::clamp(w.r.x + dx, -w.r.w + 40, w_ - 40);
    w.r.y = std::clamp(w.r.y + dy, 0, h_ - kTaskbar - kTitle);
    paint(c, before.united(w.r));
  }

  void press(Canvas& c, int x, int y) {
    for (int i = static_cast<int>(wins_.size()) - 1; i >= 0; --i) {
      Window& w = wins_[static_cast<std::size_t>(i)];
      if (!w.r.contains(x, y)) continue;
      if (i != static_cast<int>(wins_.size()) - 1) {  // raise
        Window top = w;
        wins_.erase(wins_.begin() + i);
        wins_.push_back(top);
        paint(c, top.r);
        i = static_cast<int>(wins_.size()) - 1;
      }
      Window& front = wins_.back();
      if (y < front.r.y + kTitle) {
        dragging_ = i;
        drag_x_ = x;
        drag_y_ = y;
        return;
      }
      for (std::size_t b = 0; b < front.buttons.size(); ++b)
        if (front.buttons[b].r.translated(front.r.x, front.r.y).contains(x, y)) {
          pressed_ = {i, static_cast<int>(b)};
          paint(c, front.buttons[b].r.translated(front.r.x, front.r.y));
        }
      return;
    }
  }

  void release(Canvas& c, int x, int y) {
    dragging_ = -1;
    if (pressed_.first < 0) return;
    Window& w = wins_[static_cast<std::size_t>(pressed_.first)];
    const Button& b = w.buttons[static_cast<std::size_t>(pressed_.second)];
    Rect br = b.r.translated(w.r.x, w.r.y);
    pressed_ = {-1, -1};
    if (br.contains(x, y)) {
      if (b.label == "Clear") field_.clear();
      status_ = b.label + " pressed";
      if (w.kind == WinKind::Notes) paint(c, w.r);
    }
    paint(c, br);
  }

  // Repaints everything inside area, back to front.
  void paint(Canvas& c, const Rect& area) {
    c.set_clip(area);
    paint_wallpaper(c, area);
    for (std::size_t i = 0; i < wins_.size(); ++i)
      if (wins_[i].r.intersects(area)) paint_window(c, wins_[i], i + 1 == wins_.size());
    paint_taskbar(c);
    c.clear_clip();
  }

  void paint_wallpaper(Canvas& c, const Rect& area) {
    constexpr int kBand = 8;
    int y0 = std::max(0, area.y / kBand * kBand);
    for (int y = y0; y < std::min(area.bottom(), h_ - kTaskbar); y += kBand) {
      int t = y * 255 / std::max(1, h_);
      c.fill({area.x, y, area.w, kBand}, rgb(static_cast<std::uint8_t>(30 + t / 6), static_cast<std::uint8_t>(60 + t / 4),
                                             static_cast<std::uint8_t>(110 + t / 5)));
    }
  }

  void paint_taskbar(Canvas& c) {
    int y = h_ - kTaskbar;
    c.fill({0, y, w_, kTaskbar}, rgb(32, 32, 40));
    c.fill({6, y + 4, 84, kTaskbar - 8}, rgb(60, 120, 200));
    c.text(20, y + 24, "Start", FontFace::SansBold, 14, rgb(255, 255, 255));
    int x = 110;
    for (const auto& w : wins_) {
      c.fill({x, y + 4, 150, kTaskbar - 8}, &w == &wins_.back() ? rgb(80, 80, 96) : rgb(52, 52, 62));
      std::string t = w.title.substr(0, 16);
      c.text(x + 8, y + 23, t, FontFace::Sans, 13, rgb(230, 230, 230));
      x += 156;
    }
    int secs = frame_ / 30;
    char clock[16];
    std::snprintf(clock, sizeof clock, "10:%02d:%02d", 12 + secs / 60 % 48, secs % 60);
    c.text(w_ - 96, y + 24, clock, FontFace::Sans, 14, rgb(230, 230, 230));
  }

  void paint_button(Canvas& c, const Window& w, std::size_t b, bool down) {
    Rect r = w.buttons[b].r.translated(w.r.x, w.r.y);
    c.fill(r, kBorder);
    c.fill({r.x + 1, r.y + 1, r.w - 2, r.h - 2}, down ? kButtonDown : kButton);
    int tw = c.text_width(w.buttons[b].label, FontFace::Sans, 14);
    c.text(r.x + (r.w - tw) / 2, r.y + 19, w.buttons[b].label, FontFace::Sans, 14, kText);
  }

  void paint_window(Canvas& c, const Window& w, bool active) {
    const Rect& r = w.r;
    c.fill({r.x + 5, r.y + 5, r.w, r.h}, rgb(15, 20, 35));  // shadow
    c.fill(r, kBorder);
    c.fill({r.x + 1, r.y + 1, r.w - 2, kTitle - 1}, active ? kTitleActive : kTitleInactive);
    c.text(r.x + 10, r.y + 19, w.title, FontFace::SansBold, 14, rgb(255, 255, 255));
    c.fill({r.right() - 26, r.y + 5, 18, 18}, rgb(200, 70, 60));
    c.line(r.right() - 22, r.y + 9, r.right() - 13, r.y + 18, 2, rgb(255, 255, 255));
    c.line(r.right() - 13, r.y + 9, r.right() - 22, r.y + 18, 2, rgb(255, 255, 255));
    c.fill({r.x + 1, r.y + kTitle, r.w - 2, r.h - kTitle - 1}, kBody);
    switch (w.kind) {
      case WinKind::Files: paint_files(c, r); break;
      case WinKind::Monitor: paint_monitor(c, r); break;
      case WinKind::Notes: paint_notes(c, r); break;
    }
    int idx = static_cast<int>(&w - wins_.data());
    for (std::size_t b = 0; b < w.buttons.size(); ++b)
      paint_button(c, w, b, pressed_.first == idx && pressed_.second == static_cast<int>(b));
  }

  void paint_files(Canvas& c, const Rect& r) {
    static const char* names[] = {"Documents", "Downloads", "Music", "Pictures", "Projects", "notes.txt",
                                  "report-2026.pdf", "screenshot.png", "setup.sh", "todo.md"};
    static const char* sizes[] = {"-", "-", "-", "-", "-", "4.2 KB", "1.3 MB", "812 KB", "2.1 KB", "640 B"};
    for (int i = 0; i < 10; ++i) {
      int y = r.y + kTitle + 10 + i * 25;
      if (i % 2) c.fill({r.x + 8, y - 2, r.w - 16, 25}, rgb(226, 228, 236));
      bool dir = i < 5;
      c.fill({r.x + 14, y + 3, 16, 14}, dir ? rgb(230, 180, 60) : rgb(90, 140, 210));
      c.text(r.x + 38, y + 16, names[i], FontFace::Sans, 14, kText);
      c.text(r.x + 300, y + 16, sizes[i], FontFace::Sans, 13, rgb(90, 90, 100));
    }
  }

  void paint_monitor(Canvas& c, const Rect& r) {
    c.text(r.x + 12, r.y + kTitle + 22, "CPU usage (last 60 s)", FontFace::Sans, 14, kText);
    Rect g = graph_rect();
    const Rect outer_clip = c.clip();
    c.set_clip(outer_clip.intersect(g));  // wide pens must not spill over the frame
    c.fill(g, rgb(20, 28, 40));
    for (int k = 1; k < 4; ++k) c.line(g.x, g.y + g.h * k / 4, g.right() - 1, g.y + g.h * k / 4, 1, rgb(50, 64, 84));
    int n = static_cast<int>(graph_.size());
    std::vector<Point> pts;
    for (int k = 0; k < n; ++k)
      pts.push_back({g.x + k * (g.w - 1) / (n - 1), g.bottom() - 1 - graph_[static_cast<std::size_t>(k)] * (g.h - 2) / 100});
    c.polyline(pts, 2, rgb(90, 220, 120));
    char label[16];
    std::snprintf(label, sizeof label, "%d%%", graph_.back());
    c.text(g.right() - 44, g.y + 18, label, FontFace::SansBold, 14, rgb(230, 230, 230));
    c.set_clip(outer_clip);
  }

  void paint_notes(Canvas& c, const Rect& r) {
    c.text(r.x + 14, r.y + kTitle + 34, "Name:", FontFace::Sans, 14, kText);
    Rect f = field_rect();
    c.fill(f, rgb(120, 130, 150));
    c.fill({f.x + 1, f.y + 1, f.w - 2, f.h - 2}, rgb(255, 255, 255));
    int end = c.text(f.x + 6, f.y + 21, field_, FontFace::Sans, 15, kText);
    c.fill({end + 1, f.y + 5, 2, f.h - 10}, kText);  // caret
    // The notes body, word-wrapped.
    Rect t = notes_text_rect();
    std::string text(kNotesText, notes_len_);
    int x = t.x, y = t.y + 16;
    std::size_t pos = 0;
    while (pos < text.size()) {
      std::size_t sp = text.find(' ', pos);
      std::string word = text.substr(pos, sp == std::string::npos ? std::string::npos : sp - pos + 1);
      int ww = c.text_width(word, FontFace::Sans, 14);
      if (x + ww > t.right() && x > t.x) {
        x = t.x;
        y += 20;
      }
      x = c.text(x, y, word, FontFace::Sans, 14, rgb(40, 40, 60));
      pos += word.size();
    }
    c.text(r.x + 14, r.y + r.h - 20, status_, FontFace::Sans, 13, rgb(60, 100, 60));
  }

  int w_, h_;
  std::vector<Window> wins_;
  std::array<int, 60> graph_{};
  std::string field_, status_ = "Ready";
  std::string clipboard_in_;
  std::optional<std::string> clipboard_out_;
  bool control_ = false;
  std::size_t notes_len_ = 0;
  int frame_ = 0;
  std::uint32_t buttons_ = 0;
  int dragging_ = -1, drag_x_ = 0, drag_y_ = 0;
  std::pair<int, int> pressed_{-1, -1};
};

}  // namespace

std::unique_ptr<App> make_desktop_app(int w, int h) { return std::make_unique<DesktopApp>(w, h); }

}  // namespace rd
