#pragma once
#include "protocol/bytes.hpp"
#include "protocol/ops.hpp"

namespace rd {

// The body of an OpsBatch message: u8 flags (bit 0: zstd, bit 1: with the built-in
// dictionary), u32 raw length, then the raw op stream, compressed as the flags say.
constexpr std::uint8_t kOpsZstd = 0x01;
constexpr std::uint8_t kOpsDict = 0x02;
// Largest raw op stream a viewer inflates: bounds what a hostile batch can claim.
constexpr std::uint32_t kMaxOpsRaw = 64u << 20;

// Compresses with zstd (with the built-in dictionary unless use_dictionary is false)
// when that makes the batch smaller.
Bytes encode_ops_batch(ByteView raw_ops, int zstd_level = 3, bool use_dictionary = true);
// Inflates and parses; throws DecodeError.
OpList decode_ops_batch(ByteView body);
// Only inflates (for measurements and fuzzing).
Bytes inflate_ops_batch(ByteView body);

}  // namespace rd
