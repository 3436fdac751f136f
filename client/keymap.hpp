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
// Right Alt is AltGr on many layouts and plain Alt on others, which SDL does not tell
// apart: its press waits for what follows. A key whose text differs from the key's own
// character (AltGr+Q typing @) shows it was AltGr, consumed by the local layout and never
// sent, so the remote side gets '@' and no Alt; anything else sends it as Alt first.
class KeyTranslator {
 public:
  using Send = std::function<void(std::uint32_t keysym, bool down)>;
  explicit KeyTranslator(Send send) : send_(std::move(send)) {}

  void key_down(const SDL_KeyboardEvent& e);
  void key_up(const SDL_KeyboardEvent& e);
  void text_input(const char* utf8);
  void release_all();  // the window lost focus
  // Something other than a key (a click) needs the modifiers held to be on the remote side.
  void flush_modifiers() { flush_right_alt(); }

 private:
  void flush_right_alt();
  Send send_;
  std::map<SDL_Scancode, std::uint32_t> pressed_;
  std::optional<SDL_Scancode> awaiting_text_;
  SDL_Keycode awaiting_sym_ = SDLK_UNKNOWN;
  // Right Alt (or Mode_switch) held and not sent yet; its keysym if it turns out an Alt.
  std::optional<SDL_Scancode> right_alt_;
  std::uint32_t right_alt_keysym_ = 0;
};

}  // namespace rd
