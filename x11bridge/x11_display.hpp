#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codecs/region.hpp"
#include "codecs/surface.hpp"
#include "protocol/messages.hpp"

namespace rd {

// One connection to an X display that captures the screen, its cursor and clipboard,
// and injects input. Xlib is not thread-safe here: one thread owns the object and
// calls every method; fd() lets that thread wait for X events with poll().
//
// Capture: XDamage accumulates what changed; capture() fetches the damaged region,
// grabs the screen with XShmGetImage (XGetImage of the damaged box when the server
// refuses shared memory, e.g. across IPC namespaces) and copies the damaged rectangles
// into the caller's surface.
class X11Display {
 public:
  // use_shm false captures with XGetImage even where XShm would work (x11vnc's -noshm).
  explicit X11Display(const std::string& name, bool use_shm = true);  // throws std::runtime_error
  ~X11Display();
  X11Display(const X11Display&) = delete;
  X11Display& operator=(const X11Display&) = delete;

  int width() const;
  int height() const;
  int fd() const;
  bool uses_shm() const;

  // Reads pending X events (damage, cursor, selections, screen size). Returns true when
  // something needs capture() or take_*().
  bool process_events();
  bool has_damage() const;
  // Brings `frame` up to date and returns what changed (the whole screen after a size
  // change: frame is resized to the screen first).
  Region capture(Surface& frame);
  std::optional<CursorShape> take_cursor();        // the pointer shape, when it changed
  std::optional<std::string> take_clipboard();     // text another X client put on CLIPBOARD or PRIMARY

  // Input through XTest.
  void key(std::uint32_t keysym, bool down);
  void pointer(int x, int y, std::uint32_t buttons);
  void wheel(int x, int y, int dx, int dy);
  void release_all();  // every key and button this object pressed

  // Owns CLIPBOARD and PRIMARY with this text (UTF-8; Latin-1 for STRING requests).
  void set_clipboard(const std::string& utf8);
  // Asks RandR for a new screen size; false where the server cannot.
  bool resize(int w, int h);

  struct Stats {
    bool shm = false;
    std::uint64_t captures = 0, full_grabs = 0, damage_rects = 0, spare_keycodes_used = 0;
    double capture_ms_total = 0;
  };
  Stats stats() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rd
