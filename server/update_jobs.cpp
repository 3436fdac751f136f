#include "server/update_jobs.hpp"

#include <atomic>
#include <mutex>

#include "codecs/op_batch.hpp"
#include "common/clock.hpp"
#include "server/held_screen.hpp"
#include "server/shared_updates.hpp"

namespace rd {

namespace {

// Below this many estimated bytes of ops per tile, pixels cannot be cheaper (one
// solid tile costs 14 bytes, anything else more): no need to encode them to know.
constexpr double kCheapOpsPerTile = 14.0;
// Decode cost of pixels on the viewer, per pixel (rdisplay-bench-codecs).
constexpr double kPixelDecodeNs = 3.4;
// Updates of up to this many pixels (eight tiles) are encoded by the job that planned
// them: at ~30 Mpix/s for text and UI that is about a millisecond.
constexpr std::int64_t kInlineEncodePixels = 8 * kTileSize * kTileSize;

struct Shared {
  std::vector<RunSnapshot> runs;
  std::optional<std::vector<LoggedOpPtr>> pending;
  GridGeometry grid;
  std::shared_ptr<GlyphCacheModel> mirror;
  CodecPolicy policy;
  EncodeParams params;
  OpsJobConfig cfg;
  UpdateDone done;
  std::vector<std::optional<std::vector<EncodedRect>>> estimated;  // per run, when encoded
  std::vector<std::uint64_t> run_us;
  std::atomic<std::size_t> remaining{0};
  std::atomic<std::uint64_t> us{0};
  std::mutex err_mu;
  std::string error;
  void fail(const std::string& e) {
    std::lock_guard lk(err_mu);
    if (error.empty()) error = e;
  }
};

int tiles_in_run(const RunSnapshot& r) { return (r.rect.w + kTileSize - 1) / kTileSize; }
int first_tile(const GridGeometry& g, const RunSnapshot& r) { return (r.rect.y / kTileSize) * g.cols + r.rect.x / kTileSize; }

// The viewer's policy for one run: a refresh goes exact whatever the viewer's quality.
CodecPolicy policy_for(const RunSnapshot& run, CodecPolicy policy) {
  if (run.lossless) {
    policy.lossy = false;
    if (policy.forced == TileCodec::Jpeg) policy.forced.reset();
  }
  return policy;
}

// Encodes the runs one after the other on the calling thread.
std::vector<std::vector<EncodedRect>> encode_runs_here(const std::vector<RunSnapshot>& runs, const CodecPolicy& policy,
                                                       const EncodeParams& params) {
  std::vector<std::vector<EncodedRect>> rects;
  rects.reserve(runs.size());
  for (const RunSnapshot& run : runs) rects.push_back(encode_run(run, policy_for(run, policy), params));
  return rects;
}

std::int64_t refreshed_pixels(const std::vector<RunSnapshot>& runs) {
  std::int64_t n = 0;
  for (const RunSnapshot& r : runs) n += r.lossless ? r.rect.area() : 0;
  return n;
}

// Encodes the tiles [a, b) of a run as their own run.
std::vector<EncodedRect> encode_sub_run(const RunSnapshot& run, int a, int b, const CodecPolicy& policy, const EncodeParams& params) {
  RunSnapshot sub;
  int x0 = a * kTileSize, x1 = std::min(run.rect.w, b * kTileSize);
  sub.rect = {run.rect.x + x0, run.rect.y, x1 - x0, run.rect.h};
  sub.px.resize(static_cast<std::size_t>(sub.rect.w) * sub.rect.h);
  for (int y = 0; y < run.rect.h; ++y)
    std::copy_n(run.px.data() + static_cast<std::size_t>(y) * run.rect.w + x0, sub.rect.w,
                sub.px.data() + static_cast<std::size_t>(y) * sub.rect.w);
  return encode_run(sub, policy, params);
}

void finish_ops(const std::shared_ptr<Shared>& sh) {
  auto out = std::make_shared<EncodedUpdate>();
  std::uint64_t t0 = now_us();
  try {
    if (!sh->error.empty()) throw std::runtime_error(sh->error);
    const int nt = sh->grid.count();
    std::vector<char> changed(static_cast<std::size_t>(nt), 0);
    std::vector<TilePixelCost> pixel(static_cast<std::size_t>(nt));
    for (std::size_t r = 0; r < sh->runs.size(); ++r) {
      const RunSnapshot& run = sh->runs[r];
      int t0i = first_tile(sh->grid, run), n = tiles_in_run(run);
      double bytes = -1, area = static_cast<double>(run.rect.area());
      if (sh->estimated[r]) {
        bytes = 0;
        for (const EncodedRect& e : *sh->estimated[r]) bytes += static_cast<double>(e.payload.size()) + kHeaderSize + 10;
      }
      for (int k = 0; k < n; ++k) {
        auto t = static_cast<std::size_t>(t0i + k);
        changed[t] = 1;
        double share = static_cast<double>(sh->grid.tile_rect(t0i + k).area()) / area;
        if (bytes >= 0)
          pixel[t] = {bytes * share, static_cast<double>(sh->run_us[r]) * share +
                                         static_cast<double>(sh->grid.tile_rect(t0i + k).area()) * kPixelDecodeNs / 1000};
      }
    }
    OpsPlan plan;
    if (!sh->pending) {
      out->log_lost = true;
      plan.kind = OpsPlan::Kind::Pixels;
      plan.pixel_tile = changed;
    } else {
      PlanInput in;
      in.ops = &*sh->pending;
      in.grid = sh->grid;
      in.changed = changed;
      in.pixel = std::move(pixel);
      in.glyphs = sh->mirror.get();
      in.bytes_per_us = sh->cfg.bytes_per_us;
      in.mode = sh->cfg.mode;
      plan = plan_update(in);
    }
    out->kind = plan.kind;
    out->estimate = plan.estimate;
    // Pixels for the chosen tiles: whole runs reuse their estimate, parts are encoded now.
    for (std::size_t r = 0; r < sh->runs.size(); ++r) {
      const RunSnapshot& run = sh->runs[r];
      int t0i = first_tile(sh->grid, run), n = tiles_in_run(run);
      int chosen = 0;
      for (int k = 0; k < n; ++k) chosen += plan.pixel_tile[static_cast<std::size_t>(t0i + k)] ? 1 : 0;
      if (chosen == 0) continue;
      if (chosen == n) {
        out->rects.push_back(sh->estimated[r] ? std::move(*sh->estimated[r]) : encode_run(run, sh->policy, sh->params));
        continue;
      }
      std::vector<EncodedRect> part;
      int k = 0;
      while (k < n) {
        if (!plan.pixel_tile[static_cast<std::size_t>(t0i + k)]) {
          ++k;
          continue;
        }
        int e = k;
        while (e < n && plan.pixel_tile[static_cast<std::size_t>(t0i + e)]) ++e;
        auto enc = encode_sub_run(run, k, e, sh->policy, sh->params);
        part.insert(part.end(), std::make_move_iterator(enc.begin()), std::make_move_iterator(enc.end()));
        k = e;
      }
      out->rects.push_back(std::move(part));
    }
    if (sh->pending && plan.kind != OpsPlan::Kind::Pixels) {
      Bytes raw = serialize_for_viewer(*sh->pending, plan.keep_op, *sh->mirror);
      for (char k : plan.keep_op) out->ops_count += k ? 1 : 0;
      if (!raw.empty()) out->ops_batch = encode_ops_batch(raw);
    }
  } catch (const std::exception& e) {
    out->error = e.what();
  }
  out->encode_us = sh->us + (now_us() - t0);
  sh->done(out);
}

}  // namespace

void encode_pixels_async(WorkerPool& pool, std::vector<RunSnapshot> runs, CodecPolicy policy, EncodeParams params,
                         UpdateDone done, bool urgent) {
  struct Px {
    std::vector<RunSnapshot> runs;
    std::shared_ptr<EncodedUpdate> out = std::make_shared<EncodedUpdate>();
    std::atomic<std::size_t> remaining{0};
    std::atomic<std::uint64_t> us{0};
    std::mutex err_mu;
    CodecPolicy policy;
    EncodeParams params;
    UpdateDone done;
  };
  auto px = std::make_shared<Px>();
  px->runs = std::move(runs);
  px->out->rects.resize(px->runs.size());
  px->remaining = px->runs.size();
  px->policy = policy;
  px->params = params;
  px->done = std::move(done);
  for (std::size_t i = 0; i < px->runs.size(); ++i)
    pool.submit([px, i] {
      std::uint64_t t0 = now_us();
      try {
        px->out->rects[i] = encode_run(px->runs[i], policy_for(px->runs[i], px->policy), px->params);
      } catch (const std::exception& e) {
        std::lock_guard lk(px->err_mu);
        if (px->out->error.empty()) px->out->error = e.what();
      }
      px->us += now_us() - t0;
      if (--px->remaining == 0) {
        px->out->encode_us = px->us;
        px->done(px->out);
      }
    }, urgent);
}

namespace {

// What a shared update's bytes depend on besides its two frames.
std::uint64_t codecs_key(const CodecPolicy& policy, const EncodeParams& params, bool detect) {
  std::uint64_t forced = policy.forced ? 1 + static_cast<std::uint64_t>(*policy.forced) : 0;
  return static_cast<std::uint64_t>(policy.decodable) | forced << 32 | static_cast<std::uint64_t>(params.zstd_level & 0xff) << 40 |
         static_cast<std::uint64_t>(detect) << 48 | static_cast<std::uint64_t>(policy.jpeg_arithmetic) << 49;
}

// Plans and encodes one viewer's update; as the maker of a shared one (`key`), hands
// the result to the viewers waiting for it too.
void make_held_update(WorkerPool& pool, std::shared_ptr<HeldScreen> held, bool detect, CodecPolicy policy,
                      EncodeParams params, UpdateDone done, bool urgent, std::shared_ptr<SharedUpdates> shared,
                      std::optional<SharedUpdates::Key> key) {
  std::uint64_t t0 = now_us();
  HeldScreen::Update plan;
  try {
    plan = held->plan(detect, t0);
  } catch (const std::exception& e) {
    if (key) shared->fulfil(*key, nullptr);
    auto out = std::make_shared<EncodedUpdate>();
    out->error = e.what();
    return done(out);
  }
  std::uint64_t plan_us = now_us() - t0;
  const std::int64_t refreshed = refreshed_pixels(plan.runs);
  auto finish = [plan_us, copies = std::move(plan.copies), copied = plan.copied_pixels, refreshed, shared, key,
                 done = std::move(done)](std::shared_ptr<EncodedUpdate> u) mutable {
    u->copies = std::move(copies);
    u->copied_pixels = copied;
    u->refreshed_pixels = refreshed;
    u->encode_us += plan_us;
    if (key) {
      if (!u->error.empty()) {
        shared->fulfil(*key, nullptr);
      } else {
        auto s = std::make_shared<SharedUpdate>();
        s->copies = u->copies;
        s->copied_pixels = u->copied_pixels;
        s->rects = std::make_shared<const std::vector<std::vector<EncodedRect>>>(std::move(u->rects));
        u->rects.clear();
        u->shared_rects = s->rects;
        shared->fulfil(*key, std::move(s));
      }
    }
    done(u);
  };
  if (plan.runs.empty()) return finish(std::make_shared<EncodedUpdate>());  // copies only, or nothing
  std::int64_t pixels = 0;
  for (const RunSnapshot& run : plan.runs) pixels += run.rect.area();
  if (pixels <= kInlineEncodePixels) {
    // Small (a clock, a few characters, a graph): encoded by this job. One job per run
    // would wake another worker for less work than the wake-up costs.
    auto out = std::make_shared<EncodedUpdate>();
    const std::uint64_t t1 = now_us();
    try {
      out->rects = encode_runs_here(plan.runs, policy, params);
    } catch (const std::exception& e) {
      out->error = e.what();
    }
    out->encode_us = now_us() - t1;
    return finish(std::move(out));
  }
  try {
    encode_pixels_async(pool, std::move(plan.runs), policy, params, std::move(finish), urgent);
  } catch (...) {  // the viewers waiting for this update must not wait forever
    if (key) shared->fulfil(*key, nullptr);
    throw;
  }
}

// A viewer takes an update another viewer in the same state made.
void take_shared_update(HeldScreen& held, const SharedUpdate& s, const UpdateDone& done) {
  held.adopt_planned();
  auto out = std::make_shared<EncodedUpdate>();
  out->copies = s.copies;
  out->copied_pixels = s.copied_pixels;
  out->shared_rects = s.rects;
  out->shared = true;
  done(out);
}

}  // namespace

std::shared_ptr<EncodedUpdate> encode_held_pixels_now(HeldScreen& held, bool detect, const CodecPolicy& policy,
                                                      const EncodeParams& params) {
  auto out = std::make_shared<EncodedUpdate>();
  std::uint64_t t0 = now_us();
  try {
    HeldScreen::Update plan = held.plan(detect, t0);
    out->copies = std::move(plan.copies);
    out->copied_pixels = plan.copied_pixels;
    out->refreshed_pixels = refreshed_pixels(plan.runs);
    out->rects = encode_runs_here(plan.runs, policy, params);
  } catch (const std::exception& e) {
    out->error = e.what();
  }
  out->encode_us = now_us() - t0;
  return out;
}

void encode_held_pixels_async(WorkerPool& pool, std::shared_ptr<HeldScreen> held, bool detect, CodecPolicy policy,
                              EncodeParams params, UpdateDone done, bool urgent, std::shared_ptr<SharedUpdates> shared) {
  pool.submit([&pool, held, detect, policy, params, urgent, shared, done = std::move(done)]() mutable {
    std::optional<SharedUpdates::Key> key;
    // A viewer in use makes its own: waiting for a crowd member's update would queue its
    // answer behind bulk jobs.
    if (shared && !urgent && !policy.lossy && !policy.tile_cache)
      if (auto frames = held->shareable()) key = SharedUpdates::Key{frames->first, frames->second, codecs_key(policy, params, detect)};
    if (key) {
      std::shared_ptr<const SharedUpdate> ready;
      auto waiter = [&pool, held, detect, policy, params, urgent, done](std::shared_ptr<const SharedUpdate> s) {
        if (s) return take_shared_update(*held, *s, done);
        // Its maker failed: make it ourselves, unshared.
        pool.submit([&pool, held, detect, policy, params, urgent, done] {
          make_held_update(pool, held, detect, policy, params, done, urgent, nullptr, std::nullopt);
        }, urgent);
      };
      switch (shared->claim(*key, ready, std::move(waiter))) {
        case SharedUpdates::Claim::Ready: return take_shared_update(*held, *ready, done);
        case SharedUpdates::Claim::Waiting: return;
        case SharedUpdates::Claim::Maker: break;
      }
    }
    make_held_update(pool, held, detect, policy, params, std::move(done), urgent, shared, key);
  }, urgent);
}

void encode_ops_async(WorkerPool& pool, std::vector<RunSnapshot> runs, std::optional<std::vector<LoggedOpPtr>> pending,
                      GridGeometry grid, std::shared_ptr<GlyphCacheModel> mirror, CodecPolicy policy, EncodeParams params,
                      OpsJobConfig cfg, UpdateDone done, bool urgent) {
  auto sh = std::make_shared<Shared>();
  sh->runs = std::move(runs);
  sh->pending = std::move(pending);
  sh->grid = grid;
  sh->mirror = std::move(mirror);
  sh->policy = policy;
  sh->params = params;
  sh->cfg = cfg;
  sh->done = std::move(done);
  sh->estimated.resize(sh->runs.size());
  sh->run_us.assign(sh->runs.size(), 0);
  // First job: the ops' costs per tile (this compresses images once), then pixel
  // estimates, in parallel, for the runs where ops might not win.
  pool.submit([sh, &pool, urgent] {
    std::uint64_t t0 = now_us();
    std::vector<std::size_t> to_estimate;
    try {
      std::vector<double> tile_ops(static_cast<std::size_t>(sh->grid.count()), 0.0);
      if (sh->pending) {
        double lambda = sh->cfg.mode == PlanMode::Cheapest ? sh->cfg.bytes_per_us : 0.0;
        for (const auto& op : *sh->pending) {
          Rect b = op->bounds();
          if (b.empty()) continue;
          double c = op_cost_bytes(*op, sh->mirror.get()) + lambda * op_cost_us(*op);
          double area = static_cast<double>(b.area());
          sh->grid.for_tiles(b, [&](int t) {
            tile_ops[static_cast<std::size_t>(t)] += c * static_cast<double>(b.intersect(sh->grid.tile_rect(t)).area()) / area;
          });
        }
      }
      for (std::size_t r = 0; r < sh->runs.size(); ++r) {
        bool need = !sh->pending;
        int t0i = first_tile(sh->grid, sh->runs[r]);
        for (int k = 0; k < tiles_in_run(sh->runs[r]) && !need; ++k)
          need = tile_ops[static_cast<std::size_t>(t0i + k)] > kCheapOpsPerTile;
        if (need) to_estimate.push_back(r);
      }
    } catch (const std::exception& e) {
      sh->fail(e.what());
    }
    sh->us += now_us() - t0;
    if (to_estimate.empty()) return finish_ops(sh);
    sh->remaining = to_estimate.size();
    for (std::size_t r : to_estimate)
      pool.submit([sh, r] {
        std::uint64_t t1 = now_us();
        try {
          sh->estimated[r] = encode_run(sh->runs[r], sh->policy, sh->params);
        } catch (const std::exception& e) {
          sh->fail(e.what());
        }
        sh->run_us[r] = now_us() - t1;
        sh->us += sh->run_us[r];
        if (--sh->remaining == 0) finish_ops(sh);
      }, urgent);
  }, urgent);
}

}  // namespace rd
