// Session traces (rdisplay-server --record): the file format round trip, bad files,
// and a recorded session replayed to the very same pixels.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "codecs/session_trace.hpp"
#include "codecs/tile_codec.hpp"
#include "server/canvas.hpp"
#include "server/session.hpp"
#include "server/trace_recorder.hpp"

using namespace rd;

namespace {

std::string temp_path(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("rdisplay-" + name + "-" + std::to_string(::getpid()))).string();
}

GlyphDefineOp glyph(std::uint32_t id, int w, int h) {
  GlyphDefineOp g;
  g.id = id;
  g.w = w;
  g.h = h;
  g.left = 1;
  g.top = h;
  g.advance = w + 2;
  auto mask = std::make_shared<Bytes>(static_cast<std::size_t>(w) * h);
  for (std::size_t i = 0; i < mask->size(); ++i) (*mask)[i] = static_cast<std::uint8_t>(i * 37);
  g.mask = mask;
  return g;
}

}  // namespace

TEST_CASE("trace: ops, pixels and a resize come back as written and replay to the same pixels") {
  const std::string path = temp_path("trace-roundtrip");
  Surface img(8, 6);
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x) img.row32(y)[x] = 0xFF000000u | static_cast<std::uint32_t>(x * 30 + y * 7000);
  OpList ops = {glyph(7, 5, 9),
                FillRectOp{{10, 10, 100, 50}, 0xFF336699u},
                SetClipOp{{0, 0, 150, 150}},
                GlyphRunOp{{20, 40}, {7, 7, 7}, 0xFFFFFFFFu},
                LineOp{{0, 0}, {199, 149}, 3, 0xFFFF0000u},
                PutImageOp{{30, 70, 8, 6}, TileCodec::Raw, std::make_shared<Bytes>(encode_raw(img.view()))},
                ClearClipOp{},
                CopyAreaOp{{10, 10, 60, 30}, {100, 100}}};
  {
    TraceWriter w(path, {200, 150, "round trip"});
    TraceRecord r;
    r.kind = TraceRecord::Ops;
    r.t_us = 1000;
    r.ops = ops;
    w.write(r);
    Surface src(200, 150, 0xFF123456u);
    w.write_pixels(2000, src, {5, 5, 20, 10});
    TraceRecord rs;
    rs.kind = TraceRecord::Resize;
    rs.t_us = 3000;
    rs.w = 120;
    rs.h = 90;
    w.write(rs);
    w.close();
    CHECK(w.records() == 3);
  }
  TraceReader rd(path);
  CHECK(rd.header().width == 200);
  CHECK(rd.header().height == 150);
  CHECK(rd.header().name == "round trip");
  Surface played(200, 150), direct(200, 150);
  TracePlayer player(played);
  GlyphStore store(1 << 20);
  OpRasterizer raster(store);
  auto a = rd.next();
  REQUIRE(a);
  CHECK(a->kind == TraceRecord::Ops);
  CHECK(a->t_us == 1000);
  CHECK(a->ops.size() == ops.size());
  CHECK(!player.apply(*a).empty());
  for (const Op& op : ops) raster.apply(direct, op);
  CHECK(played.hash() == direct.hash());
  auto b = rd.next();
  REQUIRE(b);
  CHECK(b->kind == TraceRecord::Pixels);
  CHECK(b->t_us == 2000);
  CHECK(b->rect.x == 5);
  CHECK(b->rect.w == 20);
  player.apply(*b);
  CHECK(played.pixel(5, 5) == 0xFF123456u);
  CHECK(played.pixel(24, 14) == 0xFF123456u);
  auto c = rd.next();
  REQUIRE(c);
  CHECK(c->kind == TraceRecord::Resize);
  player.apply(*c);
  CHECK(played.width() == 120);
  CHECK(played.height() == 90);
  CHECK(!rd.next());
  std::filesystem::remove(path);
}

TEST_CASE("trace: a missing file, a file that is no trace and a truncated trace are clear errors") {
  CHECK_THROWS_AS(TraceReader("/nonexistent/rdisplay.trace"), std::runtime_error);
  const std::string junk = temp_path("trace-junk");
  std::ofstream(junk) << "this is not a zstd stream at all";
  CHECK_THROWS_AS(TraceReader{junk}, DecodeError);
  // A real trace cut short: every prefix fails cleanly (or ends early at a record edge).
  const std::string path = temp_path("trace-cut");
  {
    TraceWriter w(path, {64, 64, "cut"});
    Surface s(64, 64, 0xFF00FF00u);
    for (int i = 0; i < 20; ++i) w.write_pixels(static_cast<std::uint64_t>(i) * 1000, s, {0, i, 64, 3});
  }
  std::string whole;
  {
    std::ifstream f(path, std::ios::binary);
    whole.assign(std::istreambuf_iterator<char>(f), {});
  }
  REQUIRE(whole.size() > 20);
  int errors = 0;
  for (std::size_t cut : {std::size_t{5}, whole.size() / 3, whole.size() / 2, whole.size() - 3}) {
    std::ofstream(path, std::ios::binary | std::ios::trunc).write(whole.data(), static_cast<std::streamsize>(cut));
    try {
      TraceReader r(path);
      int n = 0;
      while (r.next()) ++n;
      CHECK(n < 20);
    } catch (const DecodeError&) {
      ++errors;
    }
  }
  CHECK(errors >= 2);
  std::filesystem::remove(path);
  std::filesystem::remove(junk);
}

TEST_CASE("trace recorder: a session's ops and pixel publishes replay to the session's screen") {
  const std::string path = temp_path("trace-session");
  Session session(320, 200, "recorded");
  TraceRecorder rec(path, 320, 200, "recorded");
  session.set_recorder(&rec);
  CHECK(session.wants_ops());
  FontCache fonts(default_font_dir());
  Surface back(320, 200);
  Canvas canvas(back, fonts);
  // Frames with ops, as an app draws them (text: glyphs defined once, used again).
  for (int f = 0; f < 5; ++f) {
    canvas.start_recording();
    canvas.fill({0, 0, 320, 200}, 0xFF202020u + static_cast<Color>(f));
    canvas.text(10, 40 + f * 20, "hello trace", FontFace::Sans, 16, 0xFFFFFFFFu);
    canvas.copy({0, 0, 100, 40}, 150, 120);
    session.publish(back, canvas.take_damage(), canvas.take_ops());
  }
  // A change without ops (an X display's): its pixels are recorded.
  canvas.stop_recording();
  canvas.fill({200, 10, 50, 50}, 0xFF00AA00u);
  session.publish(back, canvas.take_damage());
  rec.close();
  auto st = rec.stats();
  CHECK(st["ops_records"] == 5);
  CHECK(st["pixel_records"].get<int>() >= 1);
  TraceReader r(path);
  Surface played(r.header().width, r.header().height);
  TracePlayer player(played);
  while (auto x = r.next()) player.apply(*x);
  auto lk = session.lock();
  CHECK(played.hash() == session.surface().hash());
  std::filesystem::remove(path);
}
