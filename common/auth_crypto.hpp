#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace rd {

// The few cryptographic primitives the native protocol's password authentication needs,
// from OpenSSL's libcrypto (docs/protocol.md, "Authentication").
using Mac256 = std::array<std::uint8_t, 32>;

// HMAC-SHA256 of `data` under `key`.
Mac256 hmac_sha256(const std::string& key, const std::uint8_t* data, std::size_t size);
// Cryptographically random bytes (throws std::runtime_error if the generator fails).
void random_bytes(std::uint8_t* out, std::size_t size);
// Compares without an early exit, so that the time taken tells nothing about where a
// guess went wrong.
bool constant_time_equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t size);

}  // namespace rd
