#include "client/viewer_report.hpp"

#include <algorithm>
#include <cmath>

namespace rd {

nlohmann::json receiver_stats_json(const ReceiverStats& s) {
  nlohmann::json codecs = nlohmann::json::object();
  for (int c = 0; c < kTileCodecCount; ++c) {
    auto i = static_cast<std::size_t>(c);
    if (s.rects_by_codec[i] == 0) continue;
    codecs[tile_codec_name(static_cast<TileCodec>(c))] = {{"rects", s.rects_by_codec[i]}, {"bytes", s.bytes_by_codec[i]}};
  }
  double span_s = static_cast<double>(s.last_frame_us - s.first_frame_us) / 1e6;
  double total_ms = 0;
  for (auto us : s.decode_us) total_ms += us / 1000.0;
  double median_interval_ms = percentile(s.interval_us, 50) / 1000.0;
  return {{"frames", s.frames},
          // Over the whole session, pauses included.
          {"fps", span_s > 0 && s.frames > 1 ? static_cast<double>(s.frames - 1) / span_s : 0.0},
          // The steady rate: one over the median time between frames.
          {"fps_median", median_interval_ms > 0 ? 1000.0 / median_interval_ms : 0.0},
          {"frame_interval_ms",
           {{"p50", median_interval_ms}, {"p99", percentile(s.interval_us, 99) / 1000.0}, {"max", percentile(s.interval_us, 100) / 1000.0}}},
          {"decode_ms",
           {{"p50", percentile(s.decode_us, 50) / 1000.0},
            {"p90", percentile(s.decode_us, 90) / 1000.0},
            {"p99", percentile(s.decode_us, 99) / 1000.0},
            {"max", percentile(s.decode_us, 100) / 1000.0},
            {"total", total_ms}}},
          {"codecs", codecs},
          {"ops_bytes", s.ops_bytes},
          {"ops_batches", s.ops_batches},
          {"copy_bytes", s.copy_bytes},
          {"copies", s.copies},
          {"ops", s.ops},
          {"pixel_bytes", s.pixel_bytes},
          {"tile_cache", {{"refs", s.cache_refs}, {"ref_bytes", s.cache_ref_bytes}, {"stored", s.cache_stored}}},
          {"pings", s.pings}};
}

}  // namespace rd
