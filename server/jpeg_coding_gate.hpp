#pragma once
#include <cstdint>

namespace rd {

// Whether a viewer's JPEG tiles go arithmetic-coded (jpeg-arith) or Huffman-coded
// (jpeg-abbrev). Arithmetic coding sends ~10 % fewer bytes for the same pixels but costs
// about twice the CPU on both ends: libjpeg-turbo's arithmetic coder has no SIMD
// (docs/benchmarks.md, "Arithmetic-coded JPEG"). While the viewer's JPEG pixel rate is
// low (photos, pages, a slideshow) that CPU is small and the bytes are what counts; at
// full-motion video rates the CPU runs out first (1080p at 60 fps dropped to 49 fps
// delivered on 2 cores), so such a viewer gets Huffman coding until its rate falls again.
class JpegCodingGate {
 public:
  // At q92 4:4:4, the slowest measured, arithmetic coding costs ~12 ms more per Mpix to
  // encode and ~10 ms more to decode: at 16 Mpix/s about a fifth of a core on each end.
  static constexpr double kDefaultMaxMpixPerS = 16.0;
  static constexpr std::uint64_t kWindowUs = 1'000'000;

  // `max_mpix_per_s`: the JPEG rate up to which arithmetic coding is used (0: never).
  explicit JpegCodingGate(double max_mpix_per_s = kDefaultMaxMpixPerS)
      : max_mpix_per_s_(max_mpix_per_s), arithmetic_(max_mpix_per_s > 0) {}

  bool arithmetic() const { return arithmetic_; }

  // JPEG pixels just sent. Arithmetic coding stops as soon as a window's pixels exceed
  // what the limit allows for a whole window (a video is caught within its first few
  // frames); it comes back only after a whole window under the limit.
  void note(std::uint64_t jpeg_pixels, std::uint64_t now_us) {
    if (window_start_us_ == 0) window_start_us_ = now_us;
    pixels_ += jpeg_pixels;
    const std::uint64_t elapsed = now_us - window_start_us_;
    const double window_budget = max_mpix_per_s_ * kWindowUs;  // pixels
    if (arithmetic_ && static_cast<double>(pixels_) > window_budget) {
      arithmetic_ = false;
    } else if (elapsed >= kWindowUs) {
      arithmetic_ = static_cast<double>(pixels_) / static_cast<double>(elapsed) < max_mpix_per_s_;  // pixels/us = Mpix/s
    } else {
      return;
    }
    window_start_us_ = now_us;
    pixels_ = 0;
  }

 private:
  double max_mpix_per_s_;
  bool arithmetic_;
  std::uint64_t window_start_us_ = 0;
  std::uint64_t pixels_ = 0;
};

}  // namespace rd
