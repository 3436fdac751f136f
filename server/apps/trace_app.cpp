#include "server/apps/trace_app.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <optional>
#include <type_traits>
#include <variant>

#include "codecs/tile_codec.hpp"

namespace rd {

namespace {

class TraceApp : public App {
 public:
  explicit TraceApp(const std::string& path) : reader_(path) {}
  const TraceHeader& header() const { return reader_.header(); }

  void start(Canvas& c) override { step(c); }
  void frame(Canvas& c, int) override { step(c); }
  nlohmann::json state() const override { return {{"trace_records", records_}, {"trace_ended", ended_}}; }

 private:
  // Replays the records of the next publish (those with the same time stamp).
  void step(Canvas& c) {
    if (ended_) return;
    try {
      if (!pending_) pending_ = reader_.next();
      if (!pending_) {
        ended_ = true;
        return;
      }
      const std::uint64_t t = pending_->t_us;
      while (pending_ && pending_->t_us == t) {
        apply(c, *pending_);
        ++records_;
        pending_ = reader_.next();
      }
    } catch (const std::exception& e) {
      spdlog::error("trace: {} (replay stops here)", e.what());
      ended_ = true;
    }
  }

  void apply(Canvas& c, const TraceRecord& r) {
    if (r.kind == TraceRecord::Pixels) {
      c.image(r.rect.x, r.rect.y, PixelView{r.pixels.data(), r.rect.w * 4, r.rect.w, r.rect.h});
      return;
    }
    if (r.kind == TraceRecord::Resize) {
      // An app's screen keeps its size: a recording that resized replays clipped.
      spdlog::warn("trace: the recording resized its screen to {}x{}; replaying at {}x{}", r.w, r.h, c.width(), c.height());
      return;
    }
    for (const Op& op : r.ops) {
      std::visit(
          [&](const auto& o) {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, FillRectOp>) {
              c.fill(o.r, o.c);
            } else if constexpr (std::is_same_v<T, LineOp>) {
              c.line(o.a.x, o.a.y, o.b.x, o.b.y, o.width, o.c);
            } else if constexpr (std::is_same_v<T, PolylineOp>) {
              c.polyline(o.pts, o.width, o.c);
            } else if constexpr (std::is_same_v<T, GlyphDefineOp>) {
              Glyph& g = glyphs_[o.id];
              g.define = std::make_shared<GlyphDefineOp>(o);
              g.mask.w = o.w;
              g.mask.h = o.h;
              g.mask.a = o.mask ? *o.mask : Bytes{};
              if (g.mask.a.size() != static_cast<std::size_t>(o.w) * o.h) throw DecodeError("trace: glyph mask of the wrong size");
            } else if constexpr (std::is_same_v<T, GlyphRunOp>) {
              std::vector<std::shared_ptr<const GlyphDefineOp>> defs;
              std::vector<const AlphaMask*> masks;
              for (std::uint32_t id : o.glyphs) {
                auto it = glyphs_.find(id);
                if (it == glyphs_.end()) throw DecodeError("trace: glyph " + std::to_string(id) + " used before it was defined");
                defs.push_back(it->second.define);
                masks.push_back(&it->second.mask);
              }
              c.glyph_run(o.origin, o.c, defs, masks);
            } else if constexpr (std::is_same_v<T, PutImageOp>) {
              if (o.r.empty() || !o.payload) return;
              Surface img(o.r.w, o.r.h);
              decode_tile(o.codec, *o.payload, img.mutable_view(img.bounds()));
              c.image(o.r.x, o.r.y, img.view());
            } else if constexpr (std::is_same_v<T, CopyAreaOp>) {
              c.copy(o.src, o.dst.x, o.dst.y);
            } else if constexpr (std::is_same_v<T, SetClipOp>) {
              c.set_clip(o.r);
            } else {
              c.clear_clip();
            }
          },
          op);
    }
  }

  struct Glyph {
    std::shared_ptr<const GlyphDefineOp> define;
    AlphaMask mask;
  };
  TraceReader reader_;
  std::optional<TraceRecord> pending_;
  std::map<std::uint32_t, Glyph> glyphs_;
  std::uint64_t records_ = 0;
  bool ended_ = false;
};

}  // namespace

std::unique_ptr<App> make_trace_app(const std::string& path, TraceHeader& header) {
  auto app = std::make_unique<TraceApp>(path);
  header = app->header();
  return app;
}

}  // namespace rd
