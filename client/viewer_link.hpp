#pragma once
#include <cstdint>
#include <string>

namespace rd {

// What the window needs from a connection, whatever the protocol: input and clipboard
// going out. Every call may come from the main thread while the network thread reads;
// implementations serialise their writes and never throw (a broken connection shows
// up on the network thread, which ends the session).
class ViewerLink {
 public:
  virtual ~ViewerLink() = default;
  virtual void send_key(std::uint32_t keysym, bool down) = 0;
  virtual void send_pointer(int x, int y, std::uint32_t buttons) = 0;  // bit 0 left, 1 middle, 2 right
  virtual void send_wheel(int x, int y, int dx, int dy) = 0;           // clicks; dy > 0 up
  virtual void send_clipboard(const std::string& utf8) = 0;
  // Asks the server for another screen size (where the protocol can).
  virtual void request_size(int /*w*/, int /*h*/) {}
};

}  // namespace rd
