#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "codecs/encode_cache.hpp"
#include "server/copy_search_cache.hpp"
#include "server/shared_updates.hpp"
#include "server/auth_throttle.hpp"

namespace asio::ssl {
class context;
}

namespace rd {

struct NativeServerConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 7400;
  // Frames sent but not yet acknowledged that a viewer may have outstanding. Two keeps
  // the pipe busy on loopback; a larger window hides more latency on long links.
  int window = 2;
  std::chrono::milliseconds handshake_timeout{10000};
  // Connections at once (viewers and handshakes); more are refused with Busy. Handshakes
  // have their own, smaller cap, so connections that never finish theirs (slowloris)
  // cannot keep real viewers out.
  int max_viewers = 256;
  int max_handshakes = 64;
  // New connections accepted per second, at most (in bursts of a hundredth of it every
  // 10 ms; 0: no limit). Beyond it connections wait in the kernel's accept queue, and a
  // flood of them slows down there instead of taking the machine (docs/hardening.md).
  int max_accepts_per_second = 2000;
  std::chrono::milliseconds ping_interval{5000};
  // A viewer whose socket accepts nothing for this long is disconnected.
  std::chrono::milliseconds write_timeout{60000};
  // Pixel viewers: keep what each holds and send scrolls found in the pixels as
  // CopyRect (off: every changed tile, as without a HeldScreen; for measuring).
  bool scroll_detection = true;
  bool tile_cache = true;  // mirror viewers' tile caches (--tile-cache off turns it off)
  // Lossy viewers: what they hold lossy is sent again exactly once it has not changed
  // for this long (0: never), so an idle screen ends exact.
  std::chrono::milliseconds lossless_refresh{400};
  // Lossy viewers that decode jpeg-arith: JPEG is arithmetic-coded while the viewer's
  // JPEG rate stays under this many Mpix/s (0: never), Huffman-coded above
  // (server/jpeg_coding_gate.hpp).
  double jpeg_arithmetic_max_mpix = 16.0;
  // Password authentication (both empty: none). View-only passwords let a viewer watch
  // but not type, point or set the clipboard.
  std::vector<std::string> passwords, view_only_passwords;
  std::shared_ptr<AuthThrottle> throttle;  // NativeServer makes one when none is given
  // TLS (set: viewers must use it; a plain viewer is told so in plain text and closed).
  std::shared_ptr<asio::ssl::context> tls;
  // Encoded tiles shared by all viewers (NativeServer makes one when none is given).
  std::shared_ptr<EncodeCache> encode_cache;
  // Scrolls and moves found between two frames, shared by all pixel viewers (likewise).
  std::shared_ptr<CopySearchCache> copy_search;
  // Whole pixel updates shared by viewers in the same state (likewise).
  std::shared_ptr<SharedUpdates> shared_updates;
  static constexpr std::size_t kEncodeCacheBytes = 8u << 20;  // a few frames: viewers share while in step
};

}  // namespace rd
