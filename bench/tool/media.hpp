#pragma once
#include <string>

namespace rd::bench {

// Inputs for the X workloads that show media, made once per --out folder and reused:
// `count` photo-like PNG slides of w×h (smooth gradients, shapes, grain: what a JPEG or
// a palette does not get for free), named slide-NN.png.
void ensure_slides(const std::string& dir, int count, int w, int h);
// An MPEG-4 test clip (ffmpeg's testsrc2, 640x360, 30 fps) of `seconds`, named
// clip-Ns.mp4. Throws when ffmpeg is missing or fails.
void ensure_clip(const std::string& dir, int seconds);

}  // namespace rd::bench
