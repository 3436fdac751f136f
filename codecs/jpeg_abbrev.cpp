// Abbreviated JPEG (ITU T.81 B.4): a JPEG whose quantisation and Huffman tables are not
// in the datastream because both ends know them. libjpeg at a given quality writes the
// example tables of Annex K (K.1 scaled by the IJG quality formula, K.3) as ~590 bytes
// of DQT and DHT segments in every image; a 1024x64 strip at q90 is ~4 KB, so the
// tables are a seventh of it. The server checks that what libjpeg wrote is exactly
// those tables before leaving them out, so a libjpeg that ever wrote others costs only
// the saving, never a wrong picture.
#include <algorithm>
#include <array>
#include <optional>
#include <stdexcept>
#include <string>

#include "codecs/tile_codec.hpp"

namespace rd {

namespace {

// Annex K.1 tables in zigzag order, as DQT carries them (quality 50 = these values).
constexpr std::array<std::uint8_t, 64> kLumaQuant = {
    16, 11, 12, 14, 12, 10, 16, 14, 13, 14, 18, 17, 16, 19, 24, 40, 26, 24, 22, 22, 24, 49,
    35, 37, 29, 40, 58, 51, 61, 60, 57, 51, 56, 55, 64, 72, 92, 78, 64, 68, 87, 69, 55, 56,
    80, 109, 81, 87, 95, 98, 103, 104, 103, 62, 77, 113, 121, 112, 100, 120, 92, 101, 103, 99};
constexpr std::array<std::uint8_t, 64> kChromaQuant = {
    17, 18, 18, 24, 21, 24, 47, 26, 26, 47, 99, 66, 56, 66, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

// Annex K.3: the DHT segments' contents (class and id byte, 16 code-length counts, values)
// for luminance DC, luminance AC, chrominance DC, chrominance AC, in the order libjpeg
// writes them.
constexpr std::uint8_t kDcLuma[] = {0x00, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0,
                                    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
constexpr std::uint8_t kAcLuma[] = {
    0x10, 0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125,
    1, 2, 3, 0, 4, 17, 5, 18, 33, 49, 65, 6, 19, 81, 97, 7, 34, 113, 20, 50, 129, 145, 161, 8, 35, 66, 177,
    193, 21, 82, 209, 240, 36, 51, 98, 114, 130, 9, 10, 22, 23, 24, 25, 26, 37, 38, 39, 40, 41, 42, 52, 53,
    54, 55, 56, 57, 58, 67, 68, 69, 70, 71, 72, 73, 74, 83, 84, 85, 86, 87, 88, 89, 90, 99, 100, 101, 102,
    103, 104, 105, 106, 115, 116, 117, 118, 119, 120, 121, 122, 131, 132, 133, 134, 135, 136, 137, 138, 146,
    147, 148, 149, 150, 151, 152, 153, 154, 162, 163, 164, 165, 166, 167, 168, 169, 170, 178, 179, 180, 181,
    182, 183, 184, 185, 186, 194, 195, 196, 197, 198, 199, 200, 201, 202, 210, 211, 212, 213, 214, 215, 216,
    217, 218, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250};
constexpr std::uint8_t kDcChroma[] = {0x01, 0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
                                      0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
constexpr std::uint8_t kAcChroma[] = {
    0x11, 0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 119,
    0, 1, 2, 3, 17, 4, 5, 33, 49, 6, 18, 65, 81, 7, 97, 113, 19, 34, 50, 129, 8, 20, 66, 145, 161, 177, 193,
    9, 35, 51, 82, 240, 21, 98, 114, 209, 10, 22, 36, 52, 225, 37, 241, 23, 24, 25, 26, 38, 39, 40, 41, 42,
    53, 54, 55, 56, 57, 58, 67, 68, 69, 70, 71, 72, 73, 74, 83, 84, 85, 86, 87, 88, 89, 90, 99, 100, 101,
    102, 103, 104, 105, 106, 115, 116, 117, 118, 119, 120, 121, 122, 130, 131, 132, 133, 134, 135, 136, 137,
    138, 146, 147, 148, 149, 150, 151, 152, 153, 154, 162, 163, 164, 165, 166, 167, 168, 169, 170, 178, 179,
    180, 181, 182, 183, 184, 185, 186, 194, 195, 196, 197, 198, 199, 200, 201, 202, 210, 211, 212, 213, 214,
    215, 216, 217, 218, 226, 227, 228, 229, 230, 231, 232, 233, 234, 242, 243, 244, 245, 246, 247, 248, 249, 250};

constexpr std::uint8_t kDqt = 0xDB, kDht = 0xC4, kSos = 0xDA, kApp0 = 0xE0;

void segment(Bytes& out, std::uint8_t marker, const std::uint8_t* body, std::size_t n) {
  const std::size_t len = n + 2;
  out.insert(out.end(), {0xFF, marker, static_cast<std::uint8_t>(len >> 8), static_cast<std::uint8_t>(len)});
  out.insert(out.end(), body, body + n);
}

// IJG's jpeg_quality_scaling and jpeg_add_quant_table with force_baseline.
void quant_segment(Bytes& out, std::uint8_t id, const std::array<std::uint8_t, 64>& base, int quality) {
  const long scale = quality < 50 ? 5000 / quality : 200 - quality * 2;
  std::uint8_t body[65];
  body[0] = id;
  for (int i = 0; i < 64; ++i) body[1 + i] = static_cast<std::uint8_t>(std::clamp((base[i] * scale + 50) / 100, 1L, 255L));
  segment(out, kDqt, body, sizeof body);
}

Bytes make_tables(int quality) {
  Bytes t;
  quant_segment(t, 0, kLumaQuant, quality);
  quant_segment(t, 1, kChromaQuant, quality);
  segment(t, kDht, kDcLuma, sizeof kDcLuma);
  segment(t, kDht, kAcLuma, sizeof kAcLuma);
  segment(t, kDht, kDcChroma, sizeof kDcChroma);
  segment(t, kDht, kAcChroma, sizeof kAcChroma);
  return t;
}

}  // namespace

const Bytes& jpeg_standard_tables(int quality) {
  if (quality < 1 || quality > 100) throw std::invalid_argument("JPEG quality " + std::to_string(quality));
  static const std::array<Bytes, 101> all = [] {
    std::array<Bytes, 101> a;
    for (int q = 1; q <= 100; ++q) a[static_cast<std::size_t>(q)] = make_tables(q);
    return a;
  }();
  return all[static_cast<std::size_t>(quality)];
}

std::optional<Bytes> abbreviate_jpeg(ByteView jfif, int quality) {
  const Bytes& want = jpeg_standard_tables(quality);
  if (jfif.size() < 4 || jfif[0] != 0xFF || jfif[1] != 0xD8) return std::nullopt;
  Bytes out{static_cast<std::uint8_t>(quality), 0xFF, 0xD8};
  out.reserve(jfif.size());
  Bytes tables;
  std::size_t p = 2;
  // Marker segments up to the scan header; the entropy-coded data after it goes as is.
  while (p + 4 <= jfif.size() && jfif[p] == 0xFF) {
    const std::uint8_t marker = jfif[p + 1];
    const std::size_t len = static_cast<std::size_t>(jfif[p + 2]) << 8 | jfif[p + 3];
    if (len < 2 || p + 2 + len > jfif.size()) return std::nullopt;
    const auto seg = jfif.subspan(p, 2 + len);
    if (marker == kSos) break;
    if (marker == kDqt || marker == kDht) tables.insert(tables.end(), seg.begin(), seg.end());
    else if (marker != kApp0) out.insert(out.end(), seg.begin(), seg.end());
    p += 2 + len;
  }
  if (tables != want || p + 4 > jfif.size() || jfif[p] != 0xFF || jfif[p + 1] != kSos) return std::nullopt;
  out.insert(out.end(), jfif.begin() + static_cast<std::ptrdiff_t>(p), jfif.end());
  return out;
}

Bytes encode_jpeg_abbrev(const PixelView& src, int quality, Subsampling sub) {
  Bytes full = encode_jpeg(src, quality, sub);
  if (auto a = abbreviate_jpeg(full, quality)) return std::move(*a);
  // Only a libjpeg writing other tables than Annex K's gets here.
  throw std::runtime_error("libjpeg wrote other tables than the standard ones: cannot abbreviate");
}

void decode_jpeg_without_tables(ByteView payload, const MutablePixelView& dst, const char* codec) {
  const std::string what = std::string(codec) + " tile: ";
  if (payload.size() < 3) throw DecodeError(what + "payload of " + std::to_string(payload.size()) + " bytes");
  const int quality = payload[0];
  if (quality < 1 || quality > 100) throw DecodeError(what + "quality " + std::to_string(quality));
  if (payload[1] != 0xFF || payload[2] != 0xD8) throw DecodeError(what + "no JPEG start of image");
  // The full stream: start of image, the tables, then the rest as sent (tables may
  // precede the frame header, T.81 B.2.4).
  const Bytes& tables = jpeg_standard_tables(quality);
  thread_local Bytes full;
  full.assign({0xFF, 0xD8});
  full.insert(full.end(), tables.begin(), tables.end());
  full.insert(full.end(), payload.begin() + 3, payload.end());
  decode_jpeg(full, dst);
}

void decode_jpeg_abbrev(ByteView payload, const MutablePixelView& dst) {
  decode_jpeg_without_tables(payload, dst, "jpeg-abbrev");
}

}  // namespace rd
