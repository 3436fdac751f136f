// The property command encoding stands on: replaying the ops a Canvas recorded, through
// the wire format and the viewer's rasterizer, gives the Canvas's pixels exactly.
#include <doctest/doctest.h>

#include "codecs/op_batch.hpp"
#include "codecs/op_raster.hpp"
#include "server/apps/app.hpp"
#include "server/canvas.hpp"
#include "server/ops_planner.hpp"

using namespace rd;

namespace {

void replay_app(const std::string& name, int frames, std::size_t glyph_budget) {
  const int w = 640, h = 400;
  Surface server(w, h), viewer(w, h);
  FontCache fonts(default_font_dir());
  Canvas canvas(server, fonts);
  auto app = make_app(name, w, h);
  REQUIRE(app);
  GlyphCacheModel mirror(glyph_budget);
  GlyphStore glyphs(glyph_budget);
  OpRasterizer raster(glyphs);
  std::size_t total_ops = 0;
  for (int f = -1; f < frames; ++f) {
    canvas.start_recording();
    if (f < 0) app->start(canvas);
    else app->frame(canvas, f);
    // Input too: a key for the apps that echo it.
    if (f == frames / 2) app->key(canvas, KeyEvent{'x', true, {}});
    std::vector<LoggedOpPtr> ops = canvas.take_ops();
    canvas.take_damage();
    total_ops += ops.size();
    Bytes raw = serialize_for_viewer(ops, std::vector<char>(ops.size(), 1), mirror);
    for (const Op& op : decode_ops_batch(encode_ops_batch(raw))) raster.apply(viewer, op);
    REQUIRE_MESSAGE(viewer == server, name << " differs after frame " << f);
  }
  CHECK(total_ops > 0);
}

}  // namespace

TEST_CASE("replayed ops reproduce every demo app bit for bit") {
  for (const auto& a : list_apps()) {
    CAPTURE(a.name);
    replay_app(a.name, a.name == "terminal" || a.name == "desktop" ? 160 : 50, 4u << 20);
  }
}

TEST_CASE("replay stays exact when the glyph cache is too small and evicts") {
  // 3 KiB holds about twenty small glyphs: nearly every run evicts some, often
  // glyphs of the same run, which must then be defined again.
  replay_app("terminal", 120, 3 * 1024);
  replay_app("desktop", 40, 3 * 1024);
}
