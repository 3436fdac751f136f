#include "common/auth_crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace rd {

Mac256 hmac_sha256(const std::string& key, const std::uint8_t* data, std::size_t size) {
  Mac256 out{};
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data, size, out.data(), &len) || len != out.size())
    throw std::runtime_error("HMAC-SHA256 failed");
  return out;
}

void random_bytes(std::uint8_t* out, std::size_t size) {
  if (RAND_bytes(out, static_cast<int>(size)) != 1) throw std::runtime_error("no random bytes from OpenSSL");
}

bool constant_time_equal(const std::uint8_t* a, const std::uint8_t* b, std::size_t size) {
  return CRYPTO_memcmp(a, b, size) == 0;
}

}  // namespace rd
