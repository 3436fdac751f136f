#include "codecs/session_trace.hpp"

#include <zstd.h>

#include <cstring>
#include <stdexcept>

#include "protocol/bytes.hpp"

namespace rd {

namespace {
constexpr char kMagic[8] = {'R', 'D', 'T', 'R', 'A', 'C', 'E', '1'};
constexpr std::uint32_t kMaxRecord = 256u << 20;  // a 8192x8192 screen of pixels is 256 MiB
}  // namespace

TraceWriter::TraceWriter(const std::string& path, const TraceHeader& header) {
  f_ = std::fopen(path.c_str(), "wb");
  if (!f_) throw std::runtime_error("cannot write the trace " + path + ": " + std::strerror(errno));
  z_ = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(z_, ZSTD_c_compressionLevel, 3);
  Bytes b;
  ByteWriter w(b);
  w.raw(std::string_view(kMagic, sizeof kMagic));
  w.u16(static_cast<std::uint16_t>(header.width));
  w.u16(static_cast<std::uint16_t>(header.height));
  w.str16(header.name);
  put(b, false);
}

TraceWriter::~TraceWriter() {
  try {
    close();
  } catch (...) {
  }
}

void TraceWriter::put(const Bytes& b, bool end) {
  const ZSTD_EndDirective mode = end ? ZSTD_e_end : ZSTD_e_continue;
  Bytes out(ZSTD_CStreamOutSize());
  ZSTD_inBuffer in{b.data(), b.size(), 0};
  for (;;) {
    ZSTD_outBuffer o{out.data(), out.size(), 0};
    std::size_t left = ZSTD_compressStream2(z_, &o, &in, mode);
    if (ZSTD_isError(left)) throw std::runtime_error(std::string("trace: zstd: ") + ZSTD_getErrorName(left));
    if (o.pos && std::fwrite(out.data(), 1, o.pos, f_) != o.pos) throw std::runtime_error("trace: write failed");
    compressed_ += o.pos;
    if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0) break;
  }
}

void TraceWriter::write(const TraceRecord& r) {
  Bytes payload;
  ByteWriter p(payload);
  switch (r.kind) {
    case TraceRecord::Ops:
      payload = serialize_ops(r.ops);
      break;
    case TraceRecord::Pixels:
      p.u16(static_cast<std::uint16_t>(r.rect.x));
      p.u16(static_cast<std::uint16_t>(r.rect.y));
      p.u16(static_cast<std::uint16_t>(r.rect.w));
      p.u16(static_cast<std::uint16_t>(r.rect.h));
      p.bytes(r.pixels);
      break;
    case TraceRecord::Resize:
      p.u16(static_cast<std::uint16_t>(r.w));
      p.u16(static_cast<std::uint16_t>(r.h));
      break;
  }
  Bytes head;
  ByteWriter h(head);
  h.u8(r.kind);
  h.u64(r.t_us);
  h.u32(static_cast<std::uint32_t>(payload.size()));
  put(head, false);
  put(payload, false);
  ++records_;
}

void TraceWriter::write_pixels(std::uint64_t t_us, const Surface& s, const Rect& r) {
  TraceRecord rec;
  rec.kind = TraceRecord::Pixels;
  rec.t_us = t_us;
  rec.rect = r;
  rec.pixels.resize(static_cast<std::size_t>(r.w) * r.h * 4);
  for (int y = 0; y < r.h; ++y)
    std::memcpy(rec.pixels.data() + static_cast<std::size_t>(y) * r.w * 4, s.row32(r.y + y) + r.x, static_cast<std::size_t>(r.w) * 4);
  write(rec);
}

void TraceWriter::close() {
  if (!f_) return;
  std::FILE* f = f_;
  try {
    put({}, true);
  } catch (...) {
    f_ = nullptr;
    std::fclose(f);
    ZSTD_freeCCtx(z_);
    throw;
  }
  f_ = nullptr;
  ZSTD_freeCCtx(z_);
  if (std::fclose(f) != 0) throw std::runtime_error("trace: closing the file failed");
}

TraceReader::TraceReader(const std::string& path) {
  f_ = std::fopen(path.c_str(), "rb");
  if (!f_) throw std::runtime_error("cannot read the trace " + path + ": " + std::strerror(errno));
  z_ = ZSTD_createDCtx();
  in_.resize(ZSTD_DStreamInSize());
  try {
    ByteView magic = take(sizeof kMagic, "trace header");
    if (std::memcmp(magic.data(), kMagic, sizeof kMagic) != 0) throw DecodeError("not an rdisplay trace (no RDTRACE1 header)");
    ByteView dims = take(4, "trace header");
    ByteReader d(dims);
    header_.width = d.u16("width");
    header_.height = d.u16("height");
    ByteView n = take(2, "trace header");
    std::size_t len = ByteReader(n).u16("name length");
    ByteView name = take(len, "trace name");
    header_.name.assign(name.begin(), name.end());
    if (header_.width <= 0 || header_.height <= 0) throw DecodeError("trace: empty screen size");
  } catch (...) {
    ZSTD_freeDCtx(z_);
    std::fclose(f_);
    throw;
  }
}

TraceReader::~TraceReader() {
  ZSTD_freeDCtx(z_);
  std::fclose(f_);
}

bool TraceReader::fill(std::size_t n) {
  if (out_pos_ > 0 && out_pos_ * 2 > out_.size()) {
    out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_pos_));
    out_pos_ = 0;
  }
  Bytes chunk(ZSTD_DStreamOutSize());
  while (out_.size() - out_pos_ < n) {
    if (in_pos_ == in_len_) {
      if (eof_) return false;
      in_len_ = std::fread(in_.data(), 1, in_.size(), f_);
      in_pos_ = 0;
      if (in_len_ == 0) {
        eof_ = true;
        return false;
      }
    }
    ZSTD_inBuffer in{in_.data(), in_len_, in_pos_};
    ZSTD_outBuffer o{chunk.data(), chunk.size(), 0};
    std::size_t r = ZSTD_decompressStream(z_, &o, &in);
    if (ZSTD_isError(r)) throw DecodeError(std::string("trace: corrupt zstd stream: ") + ZSTD_getErrorName(r));
    in_pos_ = in.pos;
    out_.insert(out_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(o.pos));
  }
  return true;
}

ByteView TraceReader::take(std::size_t n, const char* what) {
  if (!fill(n)) throw DecodeError(std::string("trace: truncated (") + what + ")");
  ByteView v(out_.data() + out_pos_, n);
  out_pos_ += n;
  return v;
}

std::optional<TraceRecord> TraceReader::next() {
  if (!fill(1)) return std::nullopt;
  ByteReader h(take(13, "record header"));
  TraceRecord r;
  std::uint8_t kind = h.u8("kind");
  r.t_us = h.u64("time");
  std::uint32_t len = h.u32("length");
  if (kind < TraceRecord::Ops || kind > TraceRecord::Resize) throw DecodeError("trace: unknown record kind " + std::to_string(kind));
  if (len > kMaxRecord) throw DecodeError("trace: record of " + std::to_string(len) + " bytes is over the limit");
  r.kind = static_cast<TraceRecord::Kind>(kind);
  ByteView payload = take(len, "record");
  ByteReader p(payload);
  switch (r.kind) {
    case TraceRecord::Ops:
      r.ops = deserialize_ops(payload);
      break;
    case TraceRecord::Pixels: {
      r.rect = {p.u16("x"), p.u16("y"), p.u16("w"), p.u16("h")};
      ByteView px = p.rest();
      if (px.size() != static_cast<std::size_t>(r.rect.w) * r.rect.h * 4) throw DecodeError("trace: pixel record of the wrong size");
      r.pixels.assign(px.begin(), px.end());
      break;
    }
    case TraceRecord::Resize:
      r.w = p.u16("w");
      r.h = p.u16("h");
      if (r.w <= 0 || r.h <= 0) throw DecodeError("trace: resize to an empty screen");
      break;
  }
  return r;
}

Region TracePlayer::apply(const TraceRecord& r) {
  switch (r.kind) {
    case TraceRecord::Ops:
      for (const Op& op : r.ops) raster_.apply(screen_, op);
      return raster_.take_touched();
    case TraceRecord::Pixels: {
      if (!screen_.bounds().contains(r.rect)) throw DecodeError("trace: pixels outside the screen");
      for (int y = 0; y < r.rect.h; ++y)
        std::memcpy(screen_.row32(r.rect.y + y) + r.rect.x, r.pixels.data() + static_cast<std::size_t>(y) * r.rect.w * 4,
                    static_cast<std::size_t>(r.rect.w) * 4);
      return Region(r.rect);
    }
    case TraceRecord::Resize:
      screen_.resize(r.w, r.h);
      raster_.reset_clip();
      return Region(screen_.bounds());
  }
  return {};
}

}  // namespace rd
