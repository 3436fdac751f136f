#pragma once
#include <SDL.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>

namespace rd {

// The X keysym of an SDL key that types no text (Return, arrows, F-keys, modifiers),
// or 0 for keys that type text.
std::uint32_t keysym_for_nontext_key(SDL_Keycode k);

// Turns SDL key and text events into X keysym presses and releases.
// Keys that type text are sent as the keysym of the character typed, which the text
// event carries with the user's layout, Shift, AltGr and dead keys already applied;
// every other key is sent as its own keysym. A release always carries the keysym its
// press sent, so a remote side never sees a key stuck down.
class KeyTranslator {
 public:
  using Send = std::function<void(std::uint32_t keysym, bool down)>;
  explicit KeyTranslator(Send send) : send_(std::move(send)) {}

  void key_down(const SDL_KeyboardEvent& e);
  void key_up(const SDL_KeyboardEvent& e);
  void text_input(const char* utf8);
  void release_all();  // the window lost focus

 private:
  Send send_;
  std::map<SDL_Scancode, std::uint32_t> pressed_;
  std::optional<SDL_Scancode> awaiting_text_;
};

}  // namespace rd
