// JPEG with arithmetic entropy coding (ITU T.81 Annex D, SOF9) as an abbreviated
// datastream: the same quantisation and DCT as jpeg-abbrev (Annex K.1 at IJG's quality
// scaling, the accurate integer DCT), so the same coefficients and, decoded, the same
// pixels, in 10-19 % fewer bytes on the photo and video apps' tiles than Huffman coding
// with Annex K's tables (docs/benchmarks.md).
// Arithmetic coding adapts to each image, so there are no Huffman tables to send or
// leave out. It costs CPU: libjpeg-turbo's arithmetic coder is not SIMD, and encoding a
// tile takes about twice as long.
//
// The TurboJPEG API of libjpeg-turbo 2.1 (Debian bookworm) cannot ask for arithmetic
// coding (TJ3's TJPARAM_ARITHMETIC came in 3.0), so this encoder uses the same library's
// libjpeg API; decoding goes through TurboJPEG like every other JPEG tile.
#include <csetjmp>
#include <cstddef>
#include <cstdio>  // jpeglib.h needs size_t and FILE declared before it
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include <jpeglib.h>

#include "codecs/tile_codec.hpp"

namespace rd {

namespace {

struct ErrorJump {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_error(j_common_ptr c) {
  auto* e = reinterpret_cast<ErrorJump*>(c->err);
  (*c->err->format_message)(c, e->message);
  std::longjmp(e->jump, 1);
}

// libjpeg calls error_exit only from inside these calls, each behind its own setjmp.
bool create(jpeg_compress_struct& c, ErrorJump& err) {
  if (setjmp(err.jump)) return false;
  jpeg_create_compress(&c);
  return true;
}

// One compressor per thread, kept across tiles: creating one allocates its memory pools.
struct Compressor {
  jpeg_compress_struct c{};
  ErrorJump err{};
  Compressor() {
    c.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = on_error;
    if (!create(c, err)) throw std::runtime_error(std::string("libjpeg: cannot create a compressor: ") + err.message);
  }
  ~Compressor() { jpeg_destroy_compress(&c); }
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;
};

// Plain C control flow between setjmp and longjmp: no object here has a destructor that
// a longjmp would skip. Returns false with err.message set when libjpeg failed.
bool compress(Compressor& k, const PixelView& src, int quality, Subsampling sub, unsigned char** buf,
              unsigned long* size, JSAMPROW* rows) {
  jpeg_compress_struct& c = k.c;
  if (setjmp(k.err.jump)) {
    jpeg_abort_compress(&c);
    return false;
  }
  jpeg_mem_dest(&c, buf, size);
  c.image_width = static_cast<JDIMENSION>(src.w);
  c.image_height = static_cast<JDIMENSION>(src.h);
  c.input_components = 4;
  c.in_color_space = JCS_EXT_BGRX;
  jpeg_set_defaults(&c);
  jpeg_set_quality(&c, quality, TRUE);  // force_baseline: entries clamped to 255, as jpeg-abbrev's tables
  c.dct_method = JDCT_ISLOW;            // the accurate DCT, as every other JPEG tile
  c.arith_code = TRUE;
  c.write_JFIF_header = FALSE;
  const int luma = sub == Subsampling::S420 ? 2 : 1;
  c.comp_info[0].h_samp_factor = luma;
  c.comp_info[0].v_samp_factor = luma;
  jpeg_suppress_tables(&c, TRUE);  // the viewer knows the quantisation tables
  jpeg_start_compress(&c, FALSE);
  for (int y = 0; y < src.h; ++y) rows[y] = const_cast<JSAMPROW>(src.data + static_cast<std::size_t>(y) * src.stride);
  while (c.next_scanline < c.image_height) jpeg_write_scanlines(&c, rows + c.next_scanline, c.image_height - c.next_scanline);
  jpeg_finish_compress(&c);
  return true;
}

}  // namespace

Bytes encode_jpeg_arith(const PixelView& src, int quality, Subsampling sub) {
  if (quality < 1 || quality > 100) throw std::invalid_argument("JPEG quality " + std::to_string(quality));
  if (src.w <= 0 || src.h <= 0) throw std::invalid_argument("JPEG of an empty rectangle");
  thread_local Compressor k;
  thread_local std::vector<JSAMPROW> rows;
  rows.resize(static_cast<std::size_t>(src.h));
  unsigned char* buf = nullptr;
  unsigned long size = 0;
  const bool ok = compress(k, src, quality, sub, &buf, &size, rows.data());
  Bytes out;
  if (ok) {
    out.reserve(size + 1);
    out.push_back(static_cast<std::uint8_t>(quality));
    out.insert(out.end(), buf, buf + size);
  }
  // After a failure the buffer may have been replaced inside libjpeg: leaking it is safer
  // than freeing a stale pointer (only running out of memory fails here).
  if (!ok) throw std::runtime_error(std::string("arithmetic JPEG compression failed: ") + k.err.message);
  std::free(buf);
  return out;
}

void decode_jpeg_arith(ByteView payload, const MutablePixelView& dst) {
  // Same layout as jpeg-abbrev; the SOF9 marker in the stream tells libjpeg how it is coded.
  decode_jpeg_without_tables(payload, dst, "jpeg-arith");
}

}  // namespace rd
