#pragma once
#include <cstdint>
#include <string>
#include <string_view>

namespace rd {

// X11 keysyms as the Key message carries them (the same numbers RFB uses).
namespace keysym {
constexpr std::uint32_t BackSpace = 0xff08, Tab = 0xff09, Return = 0xff0d, Escape = 0xff1b, Delete = 0xffff;
constexpr std::uint32_t Home = 0xff50, Left = 0xff51, Up = 0xff52, Right = 0xff53, Down = 0xff54;
constexpr std::uint32_t PageUp = 0xff55, PageDown = 0xff56, End = 0xff57, Insert = 0xff63;
constexpr std::uint32_t KP_Enter = 0xff8d;
constexpr std::uint32_t F1 = 0xffbe;  // F1..F24 are consecutive
constexpr std::uint32_t Shift_L = 0xffe1, Shift_R = 0xffe2, Control_L = 0xffe3, Control_R = 0xffe4;
constexpr std::uint32_t Caps_Lock = 0xffe5, Meta_L = 0xffe7, Meta_R = 0xffe8, Alt_L = 0xffe9, Alt_R = 0xffea;
constexpr std::uint32_t Super_L = 0xffeb, Super_R = 0xffec, ISO_Level3_Shift = 0xfe03;
}  // namespace keysym

// The keysym that types one Unicode character: Latin-1 maps to itself, everything
// else to 0x01000000 + code point (the X11 convention); 0 for control characters.
std::uint32_t keysym_from_unicode(char32_t cp);
// The character a keysym types, or 0 when it types none (function keys, modifiers).
char32_t unicode_from_keysym(std::uint32_t ks);

// UTF-8 helpers; malformed sequences decode to U+FFFD.
std::u32string utf8_decode(std::string_view s);
void utf8_append(std::string& out, char32_t cp);
// Removes the last UTF-8 character of s (if any).
void utf8_pop_back(std::string& s);

}  // namespace rd
