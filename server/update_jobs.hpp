#pragma once
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "codecs/glyph_cache.hpp"
#include "codecs/tile_classifier.hpp"
#include "codecs/tile_codec.hpp"
#include "common/worker_pool.hpp"
#include "server/ops_planner.hpp"
#include "server/update_encoder.hpp"

namespace rd {

// One update for one viewer, encoded on the worker pool.
struct EncodedUpdate {
  OpsPlan::Kind kind = OpsPlan::Kind::Pixels;
  std::vector<CopyRectMsg> copies;              // scrolls, applied before the pixels
  std::int64_t copied_pixels = 0;
  std::int64_t refreshed_pixels = 0;             // lossy pixels sent again exactly
  std::vector<std::vector<EncodedRect>> rects;  // pixels, in groups that keep screen order irrelevant
  // The pixels when the update is shared with other viewers (then `rects` is empty).
  std::shared_ptr<const std::vector<std::vector<EncodedRect>>> shared_rects;
  bool shared = false;  // taken from another viewer's update rather than made
  const std::vector<std::vector<EncodedRect>>& pixel_rects() const { return shared_rects ? *shared_rects : rects; }
  Bytes ops_batch;                              // OpsBatch body; empty when no ops go
  std::size_t ops_count = 0;
  bool log_lost = false;  // the viewer was behind the op log's start: pixels instead
  PlanCosts estimate;
  std::uint64_t encode_us = 0;  // worker time spent
  std::string error;
};

using UpdateDone = std::function<void(std::shared_ptr<EncodedUpdate>)>;

// Pixels only: one pool job per run. `done` runs on the worker that finishes last.
// `urgent`: the update answers a viewer's input; its jobs go ahead in the pool.
void encode_pixels_async(WorkerPool& pool, std::vector<RunSnapshot> runs, CodecPolicy policy, EncodeParams params,
                         UpdateDone done, bool urgent = false);

class HeldScreen;
class SharedUpdates;
// Pixels for a viewer whose screen the server keeps (HeldScreen): one job plans the
// update (scroll detection when `detect`, then the tiles that still differ), then the
// runs are encoded in parallel as above. With `shared`, an update another viewer in the
// same state makes (or has made) is taken instead of made again.
void encode_held_pixels_async(WorkerPool& pool, std::shared_ptr<HeldScreen> held, bool detect, CodecPolicy policy,
                              EncodeParams params, UpdateDone done, bool urgent = false,
                              std::shared_ptr<SharedUpdates> shared = nullptr);

// The same, made on the calling thread at once (no shared updates): for small updates
// where handing work to the pool costs more than the work.
std::shared_ptr<EncodedUpdate> encode_held_pixels_now(HeldScreen& held, bool detect, const CodecPolicy& policy,
                                                      const EncodeParams& params);

struct OpsJobConfig {
  PlanMode mode = PlanMode::PreferOps;
  double bytes_per_us = 12.5;
};

// Command encoding. `pending` holds the ops since the viewer's last update, or nothing
// when the viewer fell behind the op log (then the changed tiles go as pixels). The
// changed tiles are estimated as pixels where ops might cost more, the plan is made,
// and the kept ops are serialized against the viewer's mirrored glyph cache — which
// only this viewer's jobs touch, one update at a time.
void encode_ops_async(WorkerPool& pool, std::vector<RunSnapshot> runs, std::optional<std::vector<LoggedOpPtr>> pending,
                      GridGeometry grid, std::shared_ptr<GlyphCacheModel> mirror, CodecPolicy policy, EncodeParams params,
                      OpsJobConfig cfg, UpdateDone done, bool urgent = false);

}  // namespace rd
