#include "codecs/op_batch.hpp"

#include "codecs/zstd_contexts.hpp"

#include <zstd.h>

#include <memory>
#include <string>

namespace rd {

extern const std::uint8_t kOpsDictionary[];
extern const std::size_t kOpsDictionarySize;

namespace {

// The dictionary, digested once; CDict and DDict are read-only and shared by threads.
struct Dictionaries {
  std::unique_ptr<ZSTD_CDict, decltype(&ZSTD_freeCDict)> c{ZSTD_createCDict(kOpsDictionary, kOpsDictionarySize, 3), ZSTD_freeCDict};
  std::unique_ptr<ZSTD_DDict, decltype(&ZSTD_freeDDict)> d{ZSTD_createDDict(kOpsDictionary, kOpsDictionarySize), ZSTD_freeDDict};
};
const Dictionaries& dictionaries() {
  static const Dictionaries dicts;
  return dicts;
}

}  // namespace

Bytes encode_ops_batch(ByteView raw, int level, bool use_dictionary) {
  Bytes out;
  ByteWriter w(out);
  Bytes z(ZSTD_compressBound(raw.size()));
  std::size_t n = use_dictionary
                      ? ZSTD_compress_usingCDict(zstd_contexts().c.get(), z.data(), z.size(), raw.data(), raw.size(), dictionaries().c.get())
                      : ZSTD_compressCCtx(zstd_contexts().c.get(), z.data(), z.size(), raw.data(), raw.size(), level);
  bool use_z = !ZSTD_isError(n) && n < raw.size();
  w.u8(use_z ? static_cast<std::uint8_t>(kOpsZstd | (use_dictionary ? kOpsDict : 0)) : 0);
  w.u32(static_cast<std::uint32_t>(raw.size()));
  if (use_z) w.bytes(ByteView(z.data(), n));
  else w.bytes(raw);
  return out;
}

Bytes inflate_ops_batch(ByteView body) {
  ByteReader r(body);
  std::uint8_t flags = r.u8("ops batch flags");
  std::uint32_t raw_len = r.u32("ops batch length");
  if (raw_len > kMaxOpsRaw) throw DecodeError("ops batch of " + std::to_string(raw_len) + " bytes is too large");
  ByteView data = r.rest();
  if (!(flags & kOpsZstd)) {
    if (data.size() != raw_len) throw DecodeError("ops batch length does not match its data");
    return Bytes(data.begin(), data.end());
  }
  unsigned long long declared = ZSTD_getFrameContentSize(data.data(), data.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR || declared == ZSTD_CONTENTSIZE_UNKNOWN || declared != raw_len)
    throw DecodeError("ops batch: bad zstd frame");
  Bytes raw(raw_len);
  std::size_t n = (flags & kOpsDict) ? ZSTD_decompress_usingDDict(zstd_contexts().d.get(), raw.data(), raw.size(), data.data(),
                                                                  data.size(), dictionaries().d.get())
                                     : ZSTD_decompressDCtx(zstd_contexts().d.get(), raw.data(), raw.size(), data.data(), data.size());
  if (ZSTD_isError(n) || n != raw_len) throw DecodeError("ops batch: zstd data is corrupt");
  return raw;
}

OpList decode_ops_batch(ByteView body) { return deserialize_ops(inflate_ops_batch(body)); }

}  // namespace rd
