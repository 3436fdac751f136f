#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "protocol/messages.hpp"

namespace rd {

// What one viewer connection cost and received; written to the server's stats file.
struct ViewerStats {
  int id = 0;
  std::string peer;
  std::string name;
  std::string encoding;
  int quality = 100;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
  std::uint64_t frames = 0;
  std::uint64_t frames_acked = 0;
  std::uint64_t input_events = 0;
  std::uint64_t input_answers = 0;
  std::uint64_t auth_failures = 0;
  bool view_only = false;  // authenticated with a view-only password: input ignored  // empty frames sent only to answer stamped input
  // Server side of input latency: from a stamped input's arrival to the queueing of the
  // frame that answers it (up to kMaxSamples).
  std::vector<std::uint32_t> input_answer_us;
  static constexpr std::size_t kMaxSamples = 100000;
  std::uint64_t queued_bytes_peak = 0;  // largest backlog of unsent bytes held for this viewer
  std::array<std::uint64_t, kTileCodecCount> rects_by_codec{};
  std::array<std::uint64_t, kTileCodecCount> bytes_by_codec{};
  std::uint64_t ops_bytes = 0;     // OpsBatch messages, headers included
  std::uint64_t pixel_bytes = 0;   // TileUpdate messages, headers included
  std::uint64_t copy_bytes = 0;    // CopyRect messages, headers included
  std::uint64_t copies = 0;        // scrolls sent as CopyRect
  std::uint64_t pixels_copied = 0;
  std::uint64_t pixels_refreshed = 0;  // lossy pixels sent again exactly once idle
  std::uint64_t cache_refs = 0;        // tiles sent as a reference to the viewer's tile cache
  std::uint64_t cache_ref_bytes = 0;   // CacheRef messages, headers included
  std::uint64_t pixels_from_cache = 0;
  std::uint64_t cache_announced = 0;   // tiles the viewer brought along in its cache
  std::uint64_t cache_entries = 0, cache_bytes = 0, cache_digest = 0;  // the mirror, for agreement checks
  std::uint64_t ops_sent = 0;
  std::array<std::uint64_t, 3> updates_by_kind{};  // ops, pixels, mixed (OpsPlan::Kind)
  std::uint64_t ops_log_lost = 0;  // updates sent as pixels because the viewer fell behind the op log
  std::uint64_t encode_us = 0;  // worker time spent encoding for this viewer
  std::uint64_t updates_shared = 0;  // updates taken from another viewer in the same state
  std::uint64_t pixels_encoded = 0;
  std::uint64_t last_decode_us = 0;
  double rtt_ms = -1;
  bool connected = true;
  bool up_to_date = false;  // holds the current screen: nothing owed, every frame acknowledged
  std::string close_reason;
};

}  // namespace rd
