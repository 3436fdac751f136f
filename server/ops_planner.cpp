#include "server/ops_planner.hpp"

#include <algorithm>

#include "codecs/tile_grid.hpp"

namespace rd {

namespace {

// How much a batch's zstd shrinks serialized ops (measured on the demo apps: 0.3-0.5).
constexpr double kOpsCompression = 0.5;
// Per-pixel viewer costs in nanoseconds, measured with rdisplay-bench-codecs.
constexpr double kFillNs = 0.3, kBlendNs = 2.0, kCopyNs = 0.5, kLineNs = 1.0, kZstdDecodeNs = 3.4, kZstdEncodeNs = 5.3;

}  // namespace

Rect GridGeometry::tile_rect(int i) const {
  int tx = i % cols, ty = i / cols;
  return Rect{tx * kTileSize, ty * kTileSize, kTileSize, kTileSize}.intersect({0, 0, w, h});
}

double op_cost_bytes(const LoggedOp& op, const GlyphCacheModel* glyphs) {
  double b = static_cast<double>(op.wire_bytes());
  if (std::holds_alternative<PutImageOp>(op.op())) return b;  // its payload is compressed already
  b *= kOpsCompression;
  if (glyphs)
    for (const auto& g : op.glyphs())
      if (g && !glyphs->contains(g->id)) b += (static_cast<double>(g->w) * g->h + 8) * kOpsCompression;
  return b;
}

double op_cost_us(const LoggedOp& op) {
  double area = static_cast<double>(op.bounds().area());
  return std::visit(
      [&](const auto& o) -> double {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, FillRectOp>) return area * kFillNs / 1000;
        else if constexpr (std::is_same_v<T, LineOp> || std::is_same_v<T, PolylineOp>) return area * kLineNs / 1000 * 0.1;
        else if constexpr (std::is_same_v<T, GlyphRunOp>) return area * kBlendNs / 1000;
        else if constexpr (std::is_same_v<T, PutImageOp>) return area * (kZstdDecodeNs + kZstdEncodeNs) / 1000;
        else if constexpr (std::is_same_v<T, CopyAreaOp>) return area * kCopyNs / 1000;
        else return 0.0;
      },
      op.op());
}

OpsPlan plan_update(const PlanInput& in) {
  const auto& ops = *in.ops;
  const int nt = in.grid.count();
  const double lambda = in.mode == PlanMode::Cheapest ? in.bytes_per_us : 0.0;

  // Each op's cost, spread over the tiles it writes in proportion to area.
  std::vector<double> op_cost(ops.size());
  std::vector<double> tile_ops(static_cast<std::size_t>(nt), 0.0);
  double all_ops = 0;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const LoggedOp& op = *ops[i];
    op_cost[i] = op_cost_bytes(op, in.glyphs) + lambda * op_cost_us(op);
    all_ops += op_cost[i];
    Rect b = op.bounds();
    if (b.empty()) continue;
    double area = static_cast<double>(b.area());
    in.grid.for_tiles(b, [&](int t) {
      tile_ops[static_cast<std::size_t>(t)] += op_cost[i] * static_cast<double>(b.intersect(in.grid.tile_rect(t)).area()) / area;
    });
  }
  auto pixel_cost = [&](int t) {
    const TilePixelCost& p = in.pixel[static_cast<std::size_t>(t)];
    return p.bytes + lambda * p.us;
  };
  double all_pixels = 0;
  bool pixels_known = true;
  for (int t = 0; t < nt; ++t) {
    if (!in.changed[static_cast<std::size_t>(t)]) continue;
    if (in.pixel[static_cast<std::size_t>(t)].bytes < 0) pixels_known = false;
    else all_pixels += pixel_cost(t);
  }

  // Mixed: pixels for the tiles where they are cheaper than the ops drawing there.
  std::vector<char> pix(static_cast<std::size_t>(nt), 0);
  bool any_pix = false;
  for (int t = 0; t < nt; ++t)
    if (in.changed[static_cast<std::size_t>(t)] && in.pixel[static_cast<std::size_t>(t)].bytes >= 0 &&
        pixel_cost(t) < tile_ops[static_cast<std::size_t>(t)]) {
      pix[static_cast<std::size_t>(t)] = 1;
      any_pix = true;
    }
  // An op is dropped when everything it writes will be overwritten by pixels. A kept
  // copy that reads what a dropped op wrote would copy stale pixels: its destination
  // then goes as pixels too, until nothing changes. A destination outside the changed
  // tiles has no snapshot to send: then no mix.
  std::vector<char> keep(ops.size(), 1);
  bool mixed_ok = any_pix;
  for (int round = 0; mixed_ok && round < 16; ++round) {
    bool grew = false;
    std::vector<char> dirty_by_dropped(static_cast<std::size_t>(nt), 0);
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const LoggedOp& op = *ops[i];
      Rect b = op.bounds();
      if (b.empty()) {  // clip changes, glyph-less runs: always kept
        keep[i] = 1;
        continue;
      }
      if (!op.reads().empty()) {
        bool stale = false;
        in.grid.for_tiles(op.reads(), [&](int t) { stale |= dirty_by_dropped[static_cast<std::size_t>(t)] != 0; });
        if (stale)
          in.grid.for_tiles(b, [&](int t) {
            if (!pix[static_cast<std::size_t>(t)]) {
              if (!in.changed[static_cast<std::size_t>(t)]) mixed_ok = false;
              pix[static_cast<std::size_t>(t)] = 1;
              grew = true;
            }
          });
      }
      bool inside = true;
      in.grid.for_tiles(b, [&](int t) { inside &= pix[static_cast<std::size_t>(t)] != 0; });
      keep[i] = inside ? 0 : 1;
      if (!keep[i]) in.grid.for_tiles(b, [&](int t) { dirty_by_dropped[static_cast<std::size_t>(t)] = 1; });
    }
    if (!grew) break;
    if (round == 15) mixed_ok = false;
  }
  double mixed = 0;
  if (mixed_ok) {
    for (std::size_t i = 0; i < ops.size(); ++i)
      if (keep[i]) mixed += op_cost[i];
    for (int t = 0; t < nt; ++t)
      if (pix[static_cast<std::size_t>(t)]) mixed += pixel_cost(t);
  }

  OpsPlan plan;
  plan.estimate = {all_ops, pixels_known ? all_pixels : -1, mixed_ok ? mixed : -1};
  auto choose_pixels = [&] {
    plan.kind = OpsPlan::Kind::Pixels;
    plan.pixel_tile = in.changed;
    plan.keep_op.assign(ops.size(), 0);
  };
  auto choose_ops = [&] {
    plan.kind = OpsPlan::Kind::Ops;
    plan.pixel_tile.assign(static_cast<std::size_t>(nt), 0);
    plan.keep_op.assign(ops.size(), 1);
  };
  auto choose_mixed = [&] {
    plan.kind = OpsPlan::Kind::Mixed;
    plan.pixel_tile = pix;
    plan.keep_op = keep;
  };
  if (in.mode == PlanMode::PreferOps) {
    // Ops, except where pixels cost less: a mix only when the whole mix is cheaper.
    if (mixed_ok && mixed < all_ops) choose_mixed();
    else choose_ops();
    return plan;
  }
  double best = all_ops;
  choose_ops();
  if (pixels_known && all_pixels < best) {
    best = all_pixels;
    choose_pixels();
  }
  if (mixed_ok && mixed < best) choose_mixed();
  return plan;
}

namespace {

// Defines what the viewer lacks of one run's glyphs, then uses them, exactly as the
// viewer will. Defining may evict another glyph of the same run: check again until
// all are held (callers keep a run's glyphs within half the budget, so this ends).
void define_and_use(Bytes& out, OpStreamState& st, const std::vector<std::shared_ptr<const GlyphDefineOp>>& glyphs,
                    GlyphCacheModel& mirror) {
  for (bool missing = true; missing;) {
    missing = false;
    for (const auto& g : glyphs) {
      if (mirror.contains(g->id)) continue;
      missing = true;
      serialize_op(out, *g, st);
      mirror.insert(g->id, GlyphCacheModel::cost(g->w, g->h));
    }
  }
  for (const auto& g : glyphs) mirror.touch(g->id);
}

}  // namespace

Bytes serialize_for_viewer(const std::vector<LoggedOpPtr>& ops, const std::vector<char>& keep, GlyphCacheModel& mirror) {
  Bytes out;
  OpStreamState st;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!keep[i]) continue;
    const LoggedOp& op = *ops[i];
    const auto& glyphs = op.glyphs();
    if (glyphs.empty()) {
      serialize_op(out, op.wire(), st);
      continue;
    }
    // A run whose glyphs would not fit in the viewer's cache at once goes as several
    // runs, each starting where the pen stands.
    const auto& run = std::get<GlyphRunOp>(op.op());
    std::size_t limit = mirror.budget() / 2, begin = 0;
    int pen = run.origin.x;
    while (begin < glyphs.size()) {
      std::size_t end = begin, bytes = 0;
      while (end < glyphs.size() && (end == begin || bytes + GlyphCacheModel::cost(glyphs[end]->w, glyphs[end]->h) <= limit))
        bytes += GlyphCacheModel::cost(glyphs[end]->w, glyphs[end]->h), ++end;
      std::vector<std::shared_ptr<const GlyphDefineOp>> part(glyphs.begin() + static_cast<std::ptrdiff_t>(begin),
                                                             glyphs.begin() + static_cast<std::ptrdiff_t>(end));
      define_and_use(out, st, part, mirror);
      if (begin == 0 && end == glyphs.size()) {
        serialize_op(out, op.wire(), st);
      } else {
        GlyphRunOp sub{{pen, run.origin.y}, {}, run.c};
        for (const auto& g : part) sub.glyphs.push_back(g->id);
        serialize_op(out, sub, st);
      }
      for (const auto& g : part) pen += g->advance;
      begin = end;
    }
  }
  return out;
}

}  // namespace rd
