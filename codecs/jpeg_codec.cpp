#include <turbojpeg.h>

#include <memory>
#include <string>

#include "codecs/tile_codec.hpp"

namespace rd {

namespace {

struct TjHandle {
  tjhandle h;
  explicit TjHandle(tjhandle v) : h(v) {}
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
};

// TurboJPEG handles are not thread-safe and are costly to create: one of each per thread.
tjhandle compressor() {
  thread_local TjHandle h(tjInitCompress());
  if (!h.h) throw std::runtime_error("TurboJPEG: cannot create a compressor");
  return h.h;
}
tjhandle decompressor() {
  thread_local TjHandle h(tjInitDecompress());
  if (!h.h) throw std::runtime_error("TurboJPEG: cannot create a decompressor");
  return h.h;
}

}  // namespace

Bytes encode_jpeg(const PixelView& src, int quality, Subsampling sub) {
  tjhandle tj = compressor();
  int samp = sub == Subsampling::S420 ? TJSAMP_420 : TJSAMP_444;
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  // The accurate DCT on both ends: the fast one costs 1.7 dB of PSNR at q80 and 3.5 dB at
  // q95 for the same bytes (docs/benchmarks.md), i.e. it spends the quality asked for.
  // TurboJPEG compresses with the fast one below q96 unless told otherwise.
  if (tjCompress2(tj, src.data, src.w, src.stride, src.h, TJPF_BGRX, &buf, &size, samp, quality, TJFLAG_ACCURATEDCT) != 0) {
    std::string err = tjGetErrorStr2(tj);
    tjFree(buf);
    throw std::runtime_error("JPEG compression failed: " + err);
  }
  Bytes out(buf, buf + size);
  tjFree(buf);
  return out;
}

void decode_jpeg(ByteView payload, const MutablePixelView& dst) {
  tjhandle tj = decompressor();
  int w = 0, h = 0, samp = 0, cs = 0;
  if (tjDecompressHeader3(tj, payload.data(), static_cast<unsigned long>(payload.size()), &w, &h, &samp, &cs) != 0)
    throw DecodeError(std::string("jpeg tile: ") + tjGetErrorStr2(tj));
  if (w != dst.w || h != dst.h)
    throw DecodeError("jpeg tile: image is " + std::to_string(w) + "x" + std::to_string(h) + ", rectangle is " +
                      std::to_string(dst.w) + "x" + std::to_string(dst.h));
  if (tjDecompress2(tj, payload.data(), static_cast<unsigned long>(payload.size()), dst.data, dst.w, dst.stride, dst.h,
                    TJPF_BGRX, TJFLAG_ACCURATEDCT) != 0) {
    // A warning (e.g. a truncated but still decodable stream) is an error here: the
    // server never sends one, so it means damage.
    throw DecodeError(std::string("jpeg tile: ") + tjGetErrorStr2(tj));
  }
  for (int y = 0; y < dst.h; ++y) {
    std::uint32_t* d = dst.row32(y);
    for (int x = 0; x < dst.w; ++x) d[x] |= 0xFF000000u;
  }
}

}  // namespace rd
