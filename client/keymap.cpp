#include "client/keymap.hpp"

#include "protocol/keysym.hpp"

namespace rd {

std::uint32_t keysym_for_nontext_key(SDL_Keycode k) {
  namespace ks = keysym;
  switch (k) {
    case SDLK_RETURN: return ks::Return;
    case SDLK_ESCAPE: return ks::Escape;
    case SDLK_BACKSPACE: return ks::BackSpace;
    case SDLK_TAB: return ks::Tab;
    case SDLK_DELETE: return ks::Delete;
    case SDLK_INSERT: return ks::Insert;
    case SDLK_HOME: return ks::Home;
    case SDLK_END: return ks::End;
    case SDLK_PAGEUP: return ks::PageUp;
    case SDLK_PAGEDOWN: return ks::PageDown;
    case SDLK_LEFT: return ks::Left;
    case SDLK_RIGHT: return ks::Right;
    case SDLK_UP: return ks::Up;
    case SDLK_DOWN: return ks::Down;
    case SDLK_KP_ENTER: return ks::KP_Enter;
    case SDLK_LSHIFT: return ks::Shift_L;
    case SDLK_RSHIFT: return ks::Shift_R;
    case SDLK_LCTRL: return ks::Control_L;
    case SDLK_RCTRL: return ks::Control_R;
    case SDLK_LALT: return ks::Alt_L;
    case SDLK_RALT: return ks::Alt_R;
    case SDLK_LGUI: return ks::Super_L;
    case SDLK_RGUI: return ks::Super_R;
    case SDLK_MODE: return ks::ISO_Level3_Shift;
    case SDLK_CAPSLOCK: return ks::Caps_Lock;
    case SDLK_NUMLOCKCLEAR: return 0xff7f;
    case SDLK_SCROLLLOCK: return 0xff14;
    case SDLK_PAUSE: return 0xff13;
    case SDLK_PRINTSCREEN: return 0xff61;
    case SDLK_APPLICATION: return 0xff67;  // Menu
    default: break;
  }
  if (k >= SDLK_F1 && k <= SDLK_F12) return ks::F1 + static_cast<std::uint32_t>(k - SDLK_F1);
  if (k >= SDLK_F13 && k <= SDLK_F24) return ks::F1 + 12 + static_cast<std::uint32_t>(k - SDLK_F13);
  return 0;
}

void KeyTranslator::flush_right_alt() {
  if (!right_alt_ || pressed_.count(*right_alt_)) return;
  pressed_[*right_alt_] = right_alt_keysym_;
  send_(right_alt_keysym_, true);
}

void KeyTranslator::key_down(const SDL_KeyboardEvent& e) {
  SDL_Scancode sc = e.keysym.scancode;
  if ((e.keysym.sym == SDLK_RALT || e.keysym.sym == SDLK_MODE) && !e.repeat) {
    right_alt_ = sc;  // AltGr or Alt: what comes next decides
    right_alt_keysym_ = keysym_for_nontext_key(e.keysym.sym);
    return;
  }
  if (right_alt_ && sc == *right_alt_) return;  // its auto-repeat
  if (std::uint32_t ks = keysym_for_nontext_key(e.keysym.sym)) {
    flush_right_alt();
    pressed_[sc] = ks;
    send_(ks, true);
    return;
  }
  // With Ctrl, left Alt or Super held no text event follows: send the key's own
  // character (SDL keycodes of printable keys are their unshifted characters).
  if (e.keysym.mod & (KMOD_CTRL | KMOD_LALT | KMOD_GUI)) {
    flush_right_alt();
    if (std::uint32_t ks = keysym_from_unicode(static_cast<char32_t>(e.keysym.sym))) {
      pressed_[sc] = ks;
      send_(ks, true);
    }
    return;
  }
  awaiting_text_ = sc;
  awaiting_sym_ = e.keysym.sym;
}

namespace {
// Whether a key typed its own character (maybe shifted): then a held right Alt did not
// act as AltGr.
bool types_own_character(char32_t cp, SDL_Keycode sym) {
  if (sym <= 0 || sym >= 0x110000) return false;
  auto lower = [](char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; };
  return lower(cp) == lower(static_cast<char32_t>(sym));
}
}  // namespace

void KeyTranslator::text_input(const char* utf8) {
  for (char32_t cp : utf8_decode(utf8)) {
    std::uint32_t ks = keysym_from_unicode(cp);
    if (!ks) continue;
    if (awaiting_text_) {
      if (types_own_character(cp, awaiting_sym_)) flush_right_alt();
      // Held until the key's release, like any other key.
      pressed_[*awaiting_text_] = ks;
      awaiting_text_.reset();
      send_(ks, true);
    } else {  // further characters of one event (an input method's commit)
      send_(ks, true);
      send_(ks, false);
    }
  }
}

void KeyTranslator::key_up(const SDL_KeyboardEvent& e) {
  SDL_Scancode sc = e.keysym.scancode;
  if (awaiting_text_ == sc) awaiting_text_.reset();  // a dead key: no text came
  if (right_alt_ == sc) right_alt_.reset();
  auto it = pressed_.find(sc);
  if (it == pressed_.end()) return;
  std::uint32_t ks = it->second;
  pressed_.erase(it);
  send_(ks, false);
}

void KeyTranslator::release_all() {
  for (const auto& [sc, ks] : pressed_) send_(ks, false);
  pressed_.clear();
  awaiting_text_.reset();
  right_alt_.reset();
}

}  // namespace rd
