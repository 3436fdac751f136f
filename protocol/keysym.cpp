#include "protocol/keysym.hpp"

namespace rd {

std::uint32_t keysym_from_unicode(char32_t cp) {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 0;
  if (cp <= 0xff) return static_cast<std::uint32_t>(cp);
  if (cp > 0x10ffff) return 0;
  return 0x01000000u + static_cast<std::uint32_t>(cp);
}

char32_t unicode_from_keysym(std::uint32_t ks) {
  if ((ks >= 0x20 && ks <= 0x7e) || (ks >= 0xa0 && ks <= 0xff)) return static_cast<char32_t>(ks);
  if (ks >= 0x01000100u && ks <= 0x0110ffffu) return static_cast<char32_t>(ks - 0x01000000u);
  // Legacy keysyms for a few common characters (X11 keysymdef.h).
  switch (ks) {
    case 0x20ac: return U'\u20ac';  // EuroSign
    case 0xff80: return U' ';       // KP_Space
    case 0xffaa: return U'*';
    case 0xffab: return U'+';
    case 0xffad: return U'-';
    case 0xffae: return U'.';
    case 0xffaf: return U'/';
    default: break;
  }
  if (ks >= 0xffb0 && ks <= 0xffb9) return static_cast<char32_t>(U'0' + (ks - 0xffb0));  // KP_0..KP_9
  return 0;
}

std::u32string utf8_decode(std::string_view s) {
  std::u32string out;
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || i + static_cast<std::size_t>(len) > s.size()) {
      out.push_back(U'\ufffd');
      ++i;
      continue;
    }
    char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
    bool ok = true;
    for (int k = 1; k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
      if ((cc >> 6) != 2) {
        ok = false;
        break;
      }
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (!ok) {
      out.push_back(U'\ufffd');
      ++i;
      continue;
    }
    out.push_back(cp);
    i += static_cast<std::size_t>(len);
  }
  return out;
}

void utf8_append(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xc0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xe0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  } else {
    out.push_back(static_cast<char>(0xf0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3f)));
  }
}

void utf8_pop_back(std::string& s) {
  while (!s.empty()) {
    unsigned char c = static_cast<unsigned char>(s.back());
    s.pop_back();
    if ((c >> 6) != 2) return;  // removed the lead byte
  }
}

}  // namespace rd
