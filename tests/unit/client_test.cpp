#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <system_error>
#include <vector>

#include "client/input_stamps.hpp"
#include "client/keymap.hpp"
#include "client/frame_store.hpp"
#include "client/message_channel.hpp"
#include "client/stream_receiver.hpp"
#include "codecs/tile_cache.hpp"
#include "common/worker_pool.hpp"
#include "client/live_metrics.hpp"
#include "client/viewport.hpp"
#include "common/clock.hpp"
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

namespace {
// One SDL event as SDL delivers it on X11 (scancodes are key positions, keycodes the
// layout's unshifted character for that position).
struct SdlStep {
  enum Kind { Down, Up, Text, Repeat } kind;
  SDL_Keycode sym = SDLK_UNKNOWN;
  SDL_Scancode sc = SDL_SCANCODE_UNKNOWN;
  Uint16 mod = 0;
  const char* text = "";
};
SdlStep down(SDL_Keycode s, SDL_Scancode c, Uint16 m = 0) { return {SdlStep::Down, s, c, m, ""}; }
SdlStep repeat(SDL_Keycode s, SDL_Scancode c, Uint16 m = 0) { return {SdlStep::Repeat, s, c, m, ""}; }
SdlStep up(SDL_Keycode s, SDL_Scancode c, Uint16 m = 0) { return {SdlStep::Up, s, c, m, ""}; }
SdlStep text(const char* t) { return {SdlStep::Text, SDLK_UNKNOWN, SDL_SCANCODE_UNKNOWN, 0, t}; }

struct LayoutCase {
  const char* layout;
  const char* what;
  std::vector<SdlStep> steps;
  std::vector<std::pair<std::uint32_t, bool>> want;  // keysyms sent, pressed or released
};

std::vector<std::pair<std::uint32_t, bool>> run_steps(const std::vector<SdlStep>& steps) {
  std::vector<std::pair<std::uint32_t, bool>> sent;
  KeyTranslator kt([&](std::uint32_t ks, bool d) { sent.emplace_back(ks, d); });
  for (const SdlStep& s : steps) {
    SDL_KeyboardEvent e = key(s.sym, s.sc, s.mod);
    switch (s.kind) {
      case SdlStep::Down: kt.key_down(e); break;
      case SdlStep::Repeat: e.repeat = 1; kt.key_down(e); break;
      case SdlStep::Up: kt.key_up(e); break;
      case SdlStep::Text: kt.text_input(s.text); break;
    }
  }
  return sent;
}
}  // namespace

TEST_CASE("key translation table: US, German and French layouts, AltGr, dead keys and repeat") {
  constexpr std::uint32_t Alt_R = keysym::Alt_R, Shift = keysym::Shift_L;
  const std::vector<LayoutCase> cases = {
      {"us", "Right Alt is Alt: Alt+x reaches the remote side as Alt_R and x",
       {down(SDLK_RALT, SDL_SCANCODE_RALT, KMOD_RALT), down(SDLK_x, SDL_SCANCODE_X, KMOD_RALT), text("x"),
        up(SDLK_x, SDL_SCANCODE_X, KMOD_RALT), up(SDLK_RALT, SDL_SCANCODE_RALT)},
       {{Alt_R, true}, {'x', true}, {'x', false}, {Alt_R, false}}},
      {"us", "Right Alt then Tab: Alt first",
       {down(SDLK_RALT, SDL_SCANCODE_RALT, KMOD_RALT), down(SDLK_TAB, SDL_SCANCODE_TAB, KMOD_RALT),
        up(SDLK_TAB, SDL_SCANCODE_TAB, KMOD_RALT), up(SDLK_RALT, SDL_SCANCODE_RALT)},
       {{Alt_R, true}, {keysym::Tab, true}, {keysym::Tab, false}, {Alt_R, false}}},
      {"us", "key repeat: presses repeat, one release",
       {down(SDLK_a, SDL_SCANCODE_A), text("a"), repeat(SDLK_a, SDL_SCANCODE_A), text("a"), repeat(SDLK_a, SDL_SCANCODE_A),
        text("a"), up(SDLK_a, SDL_SCANCODE_A)},
       {{'a', true}, {'a', true}, {'a', true}, {'a', false}}},
      {"us", "Shift+2 types @",
       {down(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT, KMOD_LSHIFT), down(SDLK_2, SDL_SCANCODE_2, KMOD_LSHIFT), text("@"),
        up(SDLK_2, SDL_SCANCODE_2, KMOD_LSHIFT), up(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT)},
       {{Shift, true}, {'@', true}, {'@', false}, {Shift, false}}},
      {"de", "AltGr+Q types @ and no Alt reaches the remote side",
       {down(SDLK_RALT, SDL_SCANCODE_RALT, KMOD_RALT), down(SDLK_q, SDL_SCANCODE_Q, KMOD_RALT), text("@"),
        up(SDLK_q, SDL_SCANCODE_Q, KMOD_RALT), up(SDLK_RALT, SDL_SCANCODE_RALT)},
       {{'@', true}, {'@', false}}},
      {"de", "AltGr+E types the euro sign (a Unicode keysym)",
       {down(SDLK_RALT, SDL_SCANCODE_RALT, KMOD_RALT), down(SDLK_e, SDL_SCANCODE_E, KMOD_RALT), text("\u20ac"),
        up(SDLK_e, SDL_SCANCODE_E, KMOD_RALT), up(SDLK_RALT, SDL_SCANCODE_RALT)},
       {{0x010020ac, true}, {0x010020ac, false}}},
      {"de", "dead circumflex then e types e-circumflex; the dead key sends nothing",
       {down(SDLK_CARET, SDL_SCANCODE_GRAVE), up(SDLK_CARET, SDL_SCANCODE_GRAVE), down(SDLK_e, SDL_SCANCODE_E), text("\u00ea"),
        up(SDLK_e, SDL_SCANCODE_E)},
       {{0xea, true}, {0xea, false}}},
      {"de", "the key where US has Y types z; sharp s is its own key",
       {down(SDLK_z, SDL_SCANCODE_Y), text("z"), up(SDLK_z, SDL_SCANCODE_Y), down(0xdf, SDL_SCANCODE_MINUS), text("\u00df"),
        up(0xdf, SDL_SCANCODE_MINUS)},
       {{'z', true}, {'z', false}, {0xdf, true}, {0xdf, false}}},
      {"de", "Shift+7 types /",
       {down(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT, KMOD_LSHIFT), down(SDLK_7, SDL_SCANCODE_7, KMOD_LSHIFT), text("/"),
        up(SDLK_7, SDL_SCANCODE_7, KMOD_LSHIFT), up(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT)},
       {{Shift, true}, {'/', true}, {'/', false}, {Shift, false}}},
      {"fr", "AZERTY: the key where US has Q types a; the 2 key types e-acute",
       {down(SDLK_a, SDL_SCANCODE_Q), text("a"), up(SDLK_a, SDL_SCANCODE_Q), down(0xe9, SDL_SCANCODE_2), text("\u00e9"),
        up(0xe9, SDL_SCANCODE_2)},
       {{'a', true}, {'a', false}, {0xe9, true}, {0xe9, false}}},
      {"fr", "digits need Shift: Shift+& types 1",
       {down(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT, KMOD_LSHIFT), down(SDLK_AMPERSAND, SDL_SCANCODE_1, KMOD_LSHIFT), text("1"),
        up(SDLK_AMPERSAND, SDL_SCANCODE_1, KMOD_LSHIFT), up(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT)},
       {{Shift, true}, {'1', true}, {'1', false}, {Shift, false}}},
      {"fr", "AltGr+a-grave types @",
       {down(SDLK_RALT, SDL_SCANCODE_RALT, KMOD_RALT), down(0xe0, SDL_SCANCODE_0, KMOD_RALT), text("@"),
        up(0xe0, SDL_SCANCODE_0, KMOD_RALT), up(SDLK_RALT, SDL_SCANCODE_RALT)},
       {{'@', true}, {'@', false}}},
      {"fr", "dead diaeresis (Shift+dead circumflex) then i types i-diaeresis",
       {down(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT, KMOD_LSHIFT), down(SDLK_CARET, SDL_SCANCODE_LEFTBRACKET, KMOD_LSHIFT),
        up(SDLK_CARET, SDL_SCANCODE_LEFTBRACKET, KMOD_LSHIFT), up(SDLK_LSHIFT, SDL_SCANCODE_LSHIFT),
        down(SDLK_i, SDL_SCANCODE_I), text("\u00ef"), up(SDLK_i, SDL_SCANCODE_I)},
       {{Shift, true}, {Shift, false}, {0xef, true}, {0xef, false}}},
  };
  for (const LayoutCase& c : cases) {
    CAPTURE(c.layout);
    CAPTURE(c.what);
    CHECK(run_steps(c.steps) == c.want);
  }
}

TEST_CASE("percentiles by nearest rank") {
  std::vector<std::uint32_t> v{5, 1, 4, 2, 3};
  CHECK(percentile(v, 50) == 3);
  CHECK(percentile(v, 100) == 5);
  CHECK(percentile(v, 0) == 1);
  CHECK(percentile({}, 50) == 0);
}

TEST_CASE("viewport: fit keeps the aspect ratio, 1:1 and factors pan with the pointer, the pointer maps back") {
  SUBCASE("fit letterboxes a 1280x800 screen in a 1000x1000 window") {
    Viewport v = Viewport::compute(ScaleMode::Fit, 1, 1280, 800, 1000, 1000, 0, 0);
    CHECK(v.scale == doctest::Approx(1000.0 / 1280));
    CHECK(v.w == doctest::Approx(1000));
    CHECK(v.h == doctest::Approx(625));
    CHECK(v.x == 0);
    CHECK(v.y == doctest::Approx(187));  // centred
    int rx = 0, ry = 0;
    v.to_remote(999, 187 + 624, 1280, 800, &rx, &ry);
    CHECK(rx == 1278);
    CHECK(ry == 798);
    v.to_remote(500, 5, 1280, 800, &rx, &ry);  // in the letterbox: clamped onto the screen
    CHECK(ry == 0);
  }
  SUBCASE("1:1 on a HiDPI drawable maps one remote pixel to one physical pixel") {
    Viewport v = Viewport::compute(ScaleMode::OneToOne, 1, 800, 600, 1600, 1200, 0, 0);
    CHECK(v.scale == 1);
    CHECK(v.x == 400);
    CHECK(v.y == 300);
  }
  SUBCASE("larger than the window: the pointer's place across the window picks the part shown") {
    Viewport left = Viewport::compute(ScaleMode::Fixed, 2, 1000, 500, 800, 600, 0, 300);
    CHECK(left.x == 0);
    Viewport right = Viewport::compute(ScaleMode::Fixed, 2, 1000, 500, 800, 600, 799, 300);
    CHECK(right.x == -(2000 - 800));
    int rx = 0, ry = 0;
    right.to_remote(799, 300, 1000, 500, &rx, &ry);
    CHECK(rx == 999);  // the pointer at the right edge is on the screen's last column
    CHECK(ry == 250);  // 1000 tall in 600, pointer half way down: panned by 200, (300 + 200) / 2
  }
}

TEST_CASE("input stamps: ids increase, each answers once, live metrics give recent latency percentiles") {
  InputStamps st;
  InputStamp a = st.next(), b = st.next();
  CHECK(a.id > 0);
  CHECK(b.id == a.id + 1);
  CHECK(st.answer(b.id) == b.time_us);
  CHECK_FALSE(st.answer(b.id));  // once
  CHECK(st.answer(a.id) == a.time_us);
  CHECK_FALSE(st.answer(12345));
  for (std::size_t i = 0; i < InputStamps::kMaxWaiting + 10; ++i) st.next();  // never answered: bounded
  LiveMetrics m;
  for (std::uint32_t us = 1000; us <= 100000; us += 1000) m.input_shown(us);
  LiveMetrics::Now n = m.now(now_us());
  CHECK(n.latency_samples == 100);
  CHECK(n.latency_p50_ms == doctest::Approx(50));
  CHECK(n.latency_p99_ms == doctest::Approx(99));
  m.frame_done(1000000, 2000, 300, 700);
  m.frame_done(1500000, 4000, 0, 1000);
  LiveMetrics::Now f = m.now(1600000);
  CHECK(f.fps == 2);
  CHECK(f.decode_ms == doctest::Approx(3));
  CHECK(f.ops_share == doctest::Approx(0.15));
  CHECK(m.now(2700000).fps == 0);  // a second later, nothing recent
}

TEST_CASE("viewer stream seeds: the fuzz corpus's server streams play through the real receiver to their goodbye") {
  namespace fs = std::filesystem;
  int played = 0;
  for (const auto& e : fs::directory_iterator(fs::path(RDISPLAY_SOURCE_DIR) / "tests/fuzz/corpus/viewer_stream")) {
    if (e.path().filename().string().size() > 16) continue;  // seeds have app names; found inputs have hashes
    std::ifstream in(e.path(), std::ios::binary);
    Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    struct Channel : MessageChannel {
      ServerHello hello;
      MessageParser parser{1 << 22};
      const ServerHello& server_hello() const override { return hello; }
      RawMessage read() override {
        if (auto m = parser.next()) return std::move(*m);
        throw std::system_error(std::make_error_code(std::errc::connection_reset));
      }
      void send(const Bytes&) override {}
    } ch;
    ch.hello.width = 128;
    ch.hello.height = 80;
    ch.hello.capabilities = kCapsV1;
    ch.parser.feed(data);
    WorkerPool pool(2);
    FrameStore store;
    TileCacheStore tiles(1 << 20);
    ReceiverStats stats;
    StreamReceiver r(ch, pool, store, 64 * 1024, &tiles, stats, nullptr, false);
    CAPTURE(e.path().string());
    CHECK(r.run() == StreamReceiver::End::Finished);
    CHECK_MESSAGE(store.finish_reason().find("seed over") != std::string::npos, store.finish_reason());
    CHECK(stats.frames == 4);
    CHECK(stats.cache_refs == 1);
    CHECK(stats.copies == 1);
    CHECK(stats.ops > 0);
    CHECK(store.snapshot().width() == 100);
    ++played;
  }
  CHECK(played == 4);
}
