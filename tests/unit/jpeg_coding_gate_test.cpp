#include <doctest/doctest.h>

#include "server/jpeg_coding_gate.hpp"

using rd::JpegCodingGate;

TEST_CASE("jpeg coding gate: arithmetic at low JPEG rates, Huffman at video rates, and back") {
  JpegCodingGate g;
  CHECK(g.arithmetic());  // before anything is measured
  std::uint64_t t = 5'000'000;
  // A photo viewer: 0.26 Mpix of JPEG every 33 ms is ~8 Mpix/s.
  for (int i = 0; i < 90; ++i, t += 33'333) g.note(262'144, t);
  CHECK(g.arithmetic());
  // 1080p at 60 fps, every pixel JPEG: ~124 Mpix/s. Huffman as soon as the pixels
  // exceed a whole window's allowance (16 Mpix): the eighth frame, 117 ms in.
  g = JpegCodingGate{};
  for (int i = 0; i < 7; ++i, t += 16'667) g.note(2'073'600, t);
  CHECK(g.arithmetic());
  g.note(2'073'600, t);
  CHECK_FALSE(g.arithmetic());
  // And it stays so while the rate stays high.
  for (int i = 0; i < 120; ++i, t += 16'667) g.note(2'073'600, t);
  CHECK_FALSE(g.arithmetic());
  // Just over the limit stays Huffman, just under goes back.
  const auto per_frame = [](double mpix_per_s) { return static_cast<std::uint64_t>(mpix_per_s * 100'000); };  // 100 ms frames
  for (int i = 0; i < 11; ++i, t += 100'000) g.note(per_frame(JpegCodingGate::kDefaultMaxMpixPerS * 1.1), t);
  CHECK_FALSE(g.arithmetic());
  for (int i = 0; i < 11; ++i, t += 100'000) g.note(per_frame(JpegCodingGate::kDefaultMaxMpixPerS * 0.9), t);
  CHECK(g.arithmetic());
  // After a pause the first frame closes a long, nearly empty window: arithmetic.
  for (int i = 0; i < 61; ++i, t += 16'667) g.note(2'073'600, t);
  CHECK_FALSE(g.arithmetic());
  t += 30'000'000;
  g.note(2'073'600, t);
  CHECK(g.arithmetic());
}

TEST_CASE("jpeg coding gate: a limit of 0 never allows arithmetic coding, a low one switches early") {
  JpegCodingGate never(0);
  CHECK_FALSE(never.arithmetic());
  never.note(0, 1'000'000);
  never.note(10, 3'000'000);
  CHECK_FALSE(never.arithmetic());
  JpegCodingGate low(0.5);  // 0.5 Mpix in a second's window
  low.note(262'144, 1'000'000);
  CHECK(low.arithmetic());
  low.note(262'144, 1'033'333);
  CHECK_FALSE(low.arithmetic());
}
