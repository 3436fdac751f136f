#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace rd {

struct NativeServerConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = 7400;
  // Frames sent but not yet acknowledged that a viewer may have outstanding. Two keeps
  // the pipe busy on loopback; a larger window hides more latency on long links.
  int window = 2;
  std::chrono::milliseconds handshake_timeout{10000};
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
};

}  // namespace rd
