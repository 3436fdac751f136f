#pragma once
#include <memory>
#include <string>

namespace rd {

// Another X client that repaints the whole screen in one request, for capture
// benchmarks. Kept apart so that Xlib's macros (Success, None, ...) stay out of the
// benchmark's own file.
class XPainter {
 public:
  explicit XPainter(const std::string& display);  // throws std::runtime_error
  ~XPainter();
  XPainter(const XPainter&) = delete;
  XPainter& operator=(const XPainter&) = delete;
  // Fills the root window with 0xRRGGBB and waits until the server has done it.
  void fill(unsigned long rgb);
  // Fills one rectangle (a line of text's worth, say) the same way.
  void fill_rect(int x, int y, int w, int h, unsigned long rgb);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rd
