#pragma once
#include <zstd.h>

#include <memory>

namespace rd {

// One zstd compression and one decompression context per thread: creating them per
// tile or per batch would cost more than compressing a small one.
struct ZstdContexts {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> c{ZSTD_createCCtx(), ZSTD_freeCCtx};
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> d{ZSTD_createDCtx(), ZSTD_freeDCtx};
};

inline ZstdContexts& zstd_contexts() {
  thread_local ZstdContexts ctx;
  return ctx;
}

}  // namespace rd
