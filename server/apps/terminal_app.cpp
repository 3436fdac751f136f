// `terminal`: a shell session in a monospace terminal: a scripted stream of command
// output that scrolls (by copy area, as xterm does), then a prompt that echoes typing.
#include <algorithm>
#include <string>
#include <vector>

#include "protocol/keysym.hpp"
#include "server/apps/app.hpp"
#include "server/apps/rng.hpp"

namespace rd {

namespace {

constexpr int kFontPx = 14, kMargin = 4, kLinesPerFrame = 2;
constexpr Color kBg = rgb(18, 18, 24), kFg = rgb(204, 204, 204), kPrompt = rgb(80, 220, 100);
constexpr Color kDir = rgb(100, 150, 255), kWarn = rgb(230, 190, 80), kErr = rgb(240, 90, 80);

struct Line {
  std::string text;
  Color colour = kFg;
};

// Deterministic shell output: a build, a directory listing, a log tail, repeating.
Line scripted_line(int n) {
  Rng rng(static_cast<std::uint64_t>(n) * 7777 + 13);
  static const char* dirs[] = {"codecs", "server", "client", "protocol", "x11bridge", "bench"};
  static const char* files[] = {"surface", "region", "tile_grid", "raster", "session", "viewer", "framing", "handshake"};
  static const char* levels[] = {"INFO", "INFO", "INFO", "DEBUG", "WARN"};
  char buf[160];
  switch ((n / 40) % 3) {
    case 0:
      if (n % 40 == 0) return {"$ make -j2", kPrompt};
      std::snprintf(buf, sizeof buf, "[%3d%%] Building CXX object %s/CMakeFiles/rdisplay_%s.dir/%s.cpp.o", (n % 40) * 100 / 40,
                    dirs[rng.below(6)], dirs[rng.below(6)], files[rng.below(8)]);
      return {buf, kFg};
    case 1:
      if (n % 40 == 0) return {"$ ls -l /usr/share/doc", kPrompt};
      std::snprintf(buf, sizeof buf, "drwxr-xr-x  %d root root %6d Nov %2d %02d:%02d lib%s%d-%d", rng.range(2, 9),
                    rng.range(4096, 65536), rng.range(1, 27), rng.range(0, 23), rng.range(0, 59), files[rng.below(8)],
                    rng.range(1, 9), rng.range(0, 40));
      return {buf, kDir};
    default: {
      if (n % 40 == 0) return {"$ tail -f /var/log/rdisplay.log", kPrompt};
      int lvl = rng.below(5);
      std::snprintf(buf, sizeof buf, "2026-11-27 10:%02d:%02d.%03d %-5s [worker-%d] frame %d: %d tiles, %d bytes", n / 60 % 60,
                    n % 60, rng.below(1000), levels[lvl], rng.below(4), n, rng.range(1, 510), rng.range(100, 90000));
      return {buf, lvl == 4 ? kWarn : kFg};
    }
  }
}

class TerminalApp : public App {
 public:
  TerminalApp(int w, int h) : w_(w), h_(h) {}

  void start(Canvas& c) override {
    FontMetrics m = c.metrics(FontFace::Mono, kFontPx);
    cell_w_ = std::max(1, c.text_width("M", FontFace::Mono, kFontPx));
    cell_h_ = std::max(1, m.line_height);
    ascent_ = m.ascent;
    cols_ = std::max(1, (w_ - 2 * kMargin) / cell_w_);
    rows_ = std::max(2, (h_ - 2 * kMargin) / cell_h_);
    c.fill(c.bounds(), kBg);
    print(c, {"rdisplay demo terminal - scripted output, then type at the prompt", kWarn});
    draw_prompt(c);
  }

  void frame(Canvas& c, int) override {
    std::vector<Line> lines;
    for (int k = 0; k < kLinesPerFrame; ++k) lines.push_back(scripted_line(printed_++));
    print_many(c, lines);
    draw_prompt(c);
  }

  void key(Canvas& c, const KeyEvent& k) override {
    if (!k.down) return;
    if (k.keysym == keysym::Return || k.keysym == keysym::KP_Enter) {
      std::string cmd = input_;
      input_.clear();
      std::vector<Line> out{{"$ " + cmd, kPrompt}};
      if (cmd == "clear") {
        c.fill(c.bounds(), kBg);
        row_ = 0;
        draw_prompt(c);
        history_.push_back(cmd);
        return;
      }
      if (!cmd.empty()) {
        history_.push_back(cmd);
        if (cmd.rfind("echo ", 0) == 0) out.push_back({cmd.substr(5), kFg});
        else out.push_back({"bash: " + cmd.substr(0, cmd.find(' ')) + ": command not found", kErr});
      }
      print_many(c, out);
      draw_prompt(c);
      return;
    }
    if (k.keysym == keysym::BackSpace) utf8_pop_back(input_);
    else if (char32_t cp = unicode_from_keysym(k.keysym)) utf8_append(input_, cp);
    else return;
    draw_prompt(c);
  }

  nlohmann::json state() const override {
    return {{"input", input_}, {"history", history_}, {"lines_printed", printed_}, {"cols", cols_}, {"rows", rows_}};
  }

 private:
  int row_y(int row) const { return kMargin + row * cell_h_; }
  Rect row_rect(int row) const { return {0, row_y(row), w_, cell_h_}; }

  // Prints lines above the prompt row, scrolling once for the whole batch.
  void print_many(Canvas& c, const std::vector<Line>& lines) {
    int n = static_cast<int>(lines.size());
    int free_rows = rows_ - 1 - row_;  // the last row is the prompt's
    int scroll = std::max(0, n - free_rows);
    if (scroll > 0) {
      scroll = std::min(scroll, rows_ - 1);
      int keep = rows_ - 1 - scroll;
      if (keep > 0) c.copy({0, row_y(scroll), w_, keep * cell_h_}, 0, row_y(0));
      row_ -= scroll;
      c.fill({0, row_y(std::max(0, row_)), w_, (rows_ - std::max(0, row_)) * cell_h_}, kBg);
      row_ = std::max(0, row_);
    }
    for (const Line& l : lines) {
      if (row_ >= rows_ - 1) row_ = rows_ - 2;  // batch longer than the screen
      c.fill(row_rect(row_), kBg);
      c.text(kMargin, row_y(row_) + ascent_, l.text.substr(0, static_cast<std::size_t>(cols_)), FontFace::Mono, kFontPx, l.colour);
      ++row_;
    }
  }
  void print(Canvas& c, const Line& l) { print_many(c, {l}); }

  void draw_prompt(Canvas& c) {
    int r = std::min(row_, rows_ - 1);
    c.fill(row_rect(r), kBg);
    int x = c.text(kMargin, row_y(r) + ascent_, "$ ", FontFace::Mono, kFontPx, kPrompt);
    x = c.text(x, row_y(r) + ascent_, input_, FontFace::Mono, kFontPx, kFg);
    c.fill({x, row_y(r) + 1, cell_w_, cell_h_ - 2}, kFg);  // block cursor
  }

  int w_, h_;
  int cell_w_ = 8, cell_h_ = 17, ascent_ = 13, cols_ = 80, rows_ = 24;
  int row_ = 0, printed_ = 0;
  std::string input_;
  std::vector<std::string> history_;
};

}  // namespace

std::unique_ptr<App> make_terminal_app(int w, int h) { return std::make_unique<TerminalApp>(w, h); }

}  // namespace rd
