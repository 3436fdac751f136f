#include <doctest/doctest.h>

#include <vector>

#include "client/keymap.hpp"
#include "client/target.hpp"
#include "client/viewer_report.hpp"
#include "protocol/keysym.hpp"

using namespace rd;

TEST_CASE("viewer targets") {
  Target t = parse_target("rdisplay://example.org:7402");
  CHECK(t.host == "example.org");
  CHECK(t.port == 7402);
  CHECK(parse_target("localhost").port == 7400);
  CHECK(parse_target("vnc://h").port == 5900);
  CHECK(parse_target("vnc://h").scheme == Target::Scheme::Vnc);
  Target v6 = parse_target("rdisplay://[::1]:7401/");
  CHECK(v6.host == "::1");
  CHECK(v6.port == 7401);
  CHECK_THROWS_AS(parse_target("http://x"), std::invalid_argument);
  CHECK_THROWS_AS(parse_target("rdisplay://:7400"), std::invalid_argument);
  CHECK_THROWS_AS(parse_target("rdisplay://h:99999"), std::invalid_argument);
  CHECK_THROWS_AS(parse_target("rdisplay://h:7x"), std::invalid_argument);
}

namespace {
SDL_KeyboardEvent key(SDL_Keycode sym, SDL_Scancode sc, Uint16 mod = 0) {
  SDL_KeyboardEvent e{};
  e.keysym.sym = sym;
  e.keysym.scancode = sc;
  e.keysym.mod = mod;
  return e;
}
}  // namespace

TEST_CASE("key translation: text keys send the typed character, releases match presses") {
  std::vector<std::pair<std::uint32_t, bool>> sent;
  KeyTranslator kt([&](std::uint32_t ks, bool down) { sent.emplace_back(ks, down); });

  SUBCASE("Shift+a types A; Shift is its own key") {
    kt.key_down(key(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT, KMOD_LSHIFT));
    kt.key_down(key(SDLK_a, SDL_SCANCODE_A, KMOD_LSHIFT));
    kt.text_input("A");
    kt.key_up(key(SDLK_a, SDL_SCANCODE_A, KMOD_LSHIFT));
    kt.key_up(key(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT));
    std::vector<std::pair<std::uint32_t, bool>> want{
        {keysym::Shift_L, true}, {'A', true}, {'A', false}, {keysym::Shift_L, false}};
    CHECK(sent == want);
  }
  SUBCASE("a layout's character (AltGr+e on German: euro) is sent as its keysym") {
    kt.key_down(key(SDLK_e, SDL_SCANCODE_E, KMOD_RALT));
    kt.text_input("\u20ac");
    kt.key_up(key(SDLK_e, SDL_SCANCODE_E));
    std::vector<std::pair<std::uint32_t, bool>> want{{0x010020ac, true}, {0x010020ac, false}};
    CHECK(sent == want);
  }
  SUBCASE("Ctrl+c sends c, since no text event comes") {
    kt.key_down(key(SDLK_c, SDL_SCANCODE_C, KMOD_LCTRL));
    kt.key_up(key(SDLK_c, SDL_SCANCODE_C, KMOD_LCTRL));
    std::vector<std::pair<std::uint32_t, bool>> want{{'c', true}, {'c', false}};
    CHECK(sent == want);
  }
  SUBCASE("a dead key sends nothing; the composed character comes with the next key") {
    kt.key_down(key(SDLK_QUOTE, SDL_SCANCODE_APOSTROPHE));
    kt.key_up(key(SDLK_QUOTE, SDL_SCANCODE_APOSTROPHE));
    kt.key_down(key(SDLK_e, SDL_SCANCODE_E));
    kt.text_input("\u00e9");
    kt.key_up(key(SDLK_e, SDL_SCANCODE_E));
    std::vector<std::pair<std::uint32_t, bool>> want{{0xe9, true}, {0xe9, false}};
    CHECK(sent == want);
  }
  SUBCASE("function keys and losing focus release everything held") {
    kt.key_down(key(SDLK_F5, SDL_SCANCODE_F5));
    kt.key_down(key(SDLK_RETURN, SDL_SCANCODE_RETURN));
    kt.release_all();
    CHECK(sent.size() == 4);
    CHECK(sent[0] == std::pair<std::uint32_t, bool>{keysym::F1 + 4, true});
    CHECK(sent[2].second == false);
    CHECK(sent[3].second == false);
  }
}

TEST_CASE("percentiles by nearest rank") {
  std::vector<std::uint32_t> v{5, 1, 4, 2, 3};
  CHECK(percentile(v, 50) == 3);
  CHECK(percentile(v, 100) == 5);
  CHECK(percentile(v, 0) == 1);
  CHECK(percentile({}, 50) == 0);
}
