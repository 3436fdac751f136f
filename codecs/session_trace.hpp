#pragma once
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "codecs/glyph_cache.hpp"
#include "codecs/op_raster.hpp"
#include "codecs/region.hpp"
#include "codecs/surface.hpp"
#include "protocol/ops.hpp"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace rd {

// A session trace (rdisplay-server --record): what a source published, one record per
// publish, with when. A Canvas app's frames are its drawing ops; anything else (an X
// display) is the pixels of what changed. The file is one zstd stream:
//   "RDTRACE1", u16 width, u16 height, str16 name, then records
//   u8 kind, u64 t_us (since the start), u32 length, payload:
//     Ops:    the raw op stream (protocol/ops.hpp serialize_ops), glyphs defined
//             before their first use, each once;
//     Pixels: u16 x, y, w, h, then w*h BGRX pixels, row after row;
//     Resize: u16 w, h (the screen becomes black at that size).
// Replaying the records in order onto a black screen gives the session's screens.
struct TraceRecord {
  enum Kind : std::uint8_t { Ops = 1, Pixels = 2, Resize = 3 };
  Kind kind = Ops;
  std::uint64_t t_us = 0;
  OpList ops;
  Rect rect;     // Pixels
  Bytes pixels;  // Pixels: rect.w * rect.h * 4 bytes
  int w = 0, h = 0;  // Resize
};

struct TraceHeader {
  int width = 0, height = 0;
  std::string name;
};

class TraceWriter {
 public:
  // Throws std::runtime_error when the file cannot be written.
  TraceWriter(const std::string& path, const TraceHeader& header);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  void write(const TraceRecord& r);
  // Pixels of `r` from `s` (the whole rectangle must lie inside s).
  void write_pixels(std::uint64_t t_us, const Surface& s, const Rect& r);
  // Ends the zstd stream; the destructor does it too.
  void close();
  std::uint64_t compressed_bytes() const { return compressed_; }
  std::uint64_t records() const { return records_; }

 private:
  void put(const Bytes& b, bool end);
  std::FILE* f_ = nullptr;
  ZSTD_CCtx_s* z_ = nullptr;
  std::uint64_t compressed_ = 0, records_ = 0;
};

class TraceReader {
 public:
  // Reads the header. Throws std::runtime_error (no file) or DecodeError (not a trace).
  explicit TraceReader(const std::string& path);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;
  const TraceHeader& header() const { return header_; }
  // The next record; nullopt at the end. Throws DecodeError for a corrupt or truncated
  // trace.
  std::optional<TraceRecord> next();

 private:
  bool fill(std::size_t n);  // decompresses until n bytes are buffered (false: the end)
  ByteView take(std::size_t n, const char* what);
  std::FILE* f_ = nullptr;
  ZSTD_DCtx_s* z_ = nullptr;
  Bytes in_, out_;
  std::size_t in_pos_ = 0, in_len_ = 0, out_pos_ = 0;
  bool eof_ = false;
  TraceHeader header_;
};

// Applies trace records to a screen, as the source drew them.
class TracePlayer {
 public:
  explicit TracePlayer(Surface& screen) : screen_(screen), raster_(glyphs_) {}
  // Returns where the screen may have changed. Throws DecodeError for records that do
  // not fit the screen or use glyphs never defined.
  Region apply(const TraceRecord& r);

 private:
  Surface& screen_;
  GlyphStore glyphs_{std::size_t{1} << 30};  // a trace defines each glyph once: keep all
  OpRasterizer raster_;
};

}  // namespace rd
