#include "server/server_stats.hpp"

#include <fmt/format.h>

#include "common/percentile.hpp"


namespace rd {

nlohmann::json viewer_stats_json(const ViewerStats& v) {
  nlohmann::json codecs = nlohmann::json::object();
  for (int c = 0; c < kTileCodecCount; ++c) {
    auto i = static_cast<std::size_t>(c);
    if (v.rects_by_codec[i] == 0) continue;
    codecs[tile_codec_name(static_cast<TileCodec>(c))] = {{"rects", v.rects_by_codec[i]}, {"bytes", v.bytes_by_codec[i]}};
  }
  nlohmann::json j = {{"id", v.id},
                      {"peer", v.peer},
                      {"name", v.name},
                      {"encoding", v.encoding},
                      {"quality", v.quality},
                      {"bytes_sent", v.bytes_sent},
                      {"bytes_received", v.bytes_received},
                      {"frames", v.frames},
                      {"frames_acked", v.frames_acked},
                      {"input_events", v.input_events},
                      {"input_answers", v.input_answers},
                      {"auth_failures", v.auth_failures},
                      {"view_only", v.view_only},
                      {"input_answer_ms", {{"count", v.input_answer_us.size()},
                                           {"p50", percentile(v.input_answer_us, 50) / 1000.0},
                                           {"p99", percentile(v.input_answer_us, 99) / 1000.0}}},
                      {"queued_bytes_peak", v.queued_bytes_peak},
                      {"codecs", codecs},
                      {"ops_bytes", v.ops_bytes},
                      {"pixel_bytes", v.pixel_bytes},
                      {"copy_bytes", v.copy_bytes},
                      {"copies", v.copies},
                      {"pixels_copied", v.pixels_copied},
                      {"pixels_refreshed", v.pixels_refreshed},
                      {"tile_cache", {{"refs", v.cache_refs},
                                      {"ref_bytes", v.cache_ref_bytes},
                                      {"pixels_from_cache", v.pixels_from_cache},
                                      {"announced", v.cache_announced},
                                      {"entries", v.cache_entries},
                                      {"bytes", v.cache_bytes},
                                      {"digest", fmt::format("{:016x}", v.cache_digest)}}},
                      {"ops_sent", v.ops_sent},
                      {"updates", {{"ops", v.updates_by_kind[0]}, {"pixels", v.updates_by_kind[1]}, {"mixed", v.updates_by_kind[2]}}},
                      {"ops_log_lost", v.ops_log_lost},
                      {"encode_ms", static_cast<double>(v.encode_us) / 1000.0},
                      {"updates_shared", v.updates_shared},
                      {"pixels_encoded", v.pixels_encoded},
                      {"encode_mpix_per_s", v.encode_us ? static_cast<double>(v.pixels_encoded) / static_cast<double>(v.encode_us) : 0.0},
                      {"connected", v.connected},
                      {"up_to_date", v.up_to_date},
                      {"close_reason", v.close_reason}};
  if (v.rtt_ms >= 0) j["rtt_ms"] = v.rtt_ms;
  return j;
}

nlohmann::json tlp_json(const TlpMeter::Report& r, int threads) {
  return {{"threads", threads}, {"tlp", r.tlp}, {"busy_fraction", r.busy_fraction}, {"c", r.c}};
}

}  // namespace rd
