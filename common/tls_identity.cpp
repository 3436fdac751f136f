#include "common/tls_identity.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <stdexcept>

namespace rd {

namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;

std::string openssl_error(const std::string& what) {
  unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return what + ": " + buf;
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

// Opens for writing with the given mode from the start (a key must never be readable
// by others, not even for a moment).
std::unique_ptr<FILE, FileCloser> create_file(const std::string& path, mode_t mode) {
  std::remove(path.c_str());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot create " + path);
  FILE* f = ::fdopen(fd, "w");
  if (!f) {
    ::close(fd);
    throw std::runtime_error("cannot create " + path);
  }
  return std::unique_ptr<FILE, FileCloser>(f);
}

}  // namespace

void generate_self_signed(const std::string& cert_path, const std::string& key_path,
                          const std::vector<std::string>& names, int days) {
  if (names.empty()) throw std::runtime_error("a certificate needs at least one name");
  if (cert_path == key_path) throw std::runtime_error("the certificate and the key need two different files");
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw std::runtime_error(openssl_error("cannot make a P-256 key"));
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), 2);  // v3: extensions
  // A random 127-bit serial, as RFC 5280 asks for unpredictable ones.
  BIGNUM* serial = BN_new();
  BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert.get()));
  BN_free(serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60 * 60);  // an hour of clock skew
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 24 * 60 * 60);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("rdisplay"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(names.front().c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), subject);

  std::string san;
  for (const auto& n : names) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(n.c_str());
    ERR_clear_error();
    if (!san.empty()) san += ',';
    san.append(ip ? "IP:" : "DNS:");
    san.append(n);
    ASN1_OCTET_STRING_free(ip);
  }
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  // A server certificate, trusted as itself (pinned, or given to the viewer as --tls-ca).
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, san}, {NID_basic_constraints, std::string("critical,CA:FALSE")},
                            {NID_key_usage, std::string("critical,digitalSignature")},
                            {NID_ext_key_usage, std::string("serverAuth")}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
    if (!ext || !X509_add_ext(cert.get(), ext, -1)) {
      X509_EXTENSION_free(ext);
      throw std::runtime_error(openssl_error("cannot add the certificate extension " + value));
    }
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) throw std::runtime_error(openssl_error("cannot sign the certificate"));

  {
    auto f = create_file(key_path, 0600);
    if (!PEM_write_PrivateKey(f.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
      throw std::runtime_error(openssl_error("cannot write " + key_path));
    if (std::fclose(f.release()) != 0) throw std::runtime_error("cannot write " + key_path + " (disk full?)");
  }
  auto f = create_file(cert_path, 0644);
  if (!PEM_write_X509(f.get(), cert.get())) throw std::runtime_error(openssl_error("cannot write " + cert_path));
  if (std::fclose(f.release()) != 0) throw std::runtime_error("cannot write " + cert_path + " (disk full?)");
}

Fingerprint der_fingerprint(const std::uint8_t* der, std::size_t size) {
  Fingerprint fp{};
  unsigned int n = 0;
  EVP_Digest(der, size, fp.data(), &n, EVP_sha256(), nullptr);
  return fp;
}

Fingerprint certificate_file_fingerprint(const std::string& pem_path) {
  std::unique_ptr<FILE, FileCloser> f(std::fopen(pem_path.c_str(), "r"));
  if (!f) throw std::runtime_error("cannot read " + pem_path);
  X509Ptr cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  if (!cert) throw std::runtime_error(openssl_error(pem_path + " holds no PEM certificate"));
  Fingerprint fp{};
  unsigned int n = 0;
  X509_digest(cert.get(), EVP_sha256(), fp.data(), &n);
  return fp;
}

std::string format_fingerprint(const Fingerprint& fp) {
  static const char* hex = "0123456789abcdef";
  std::string s = "sha256:";
  for (std::uint8_t b : fp) {
    s += hex[b >> 4];
    s += hex[b & 15];
  }
  return s;
}

std::optional<Fingerprint> parse_fingerprint(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (text.rfind("sha256:", 0) == 0) text.erase(0, 7);
  std::string digits;
  for (char c : text) {
    if (c == ':') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
    digits += c;
  }
  if (digits.size() != 64) return std::nullopt;
  Fingerprint fp{};
  for (std::size_t i = 0; i < 32; ++i) fp[i] = static_cast<std::uint8_t>(std::stoi(digits.substr(2 * i, 2), nullptr, 16));
  return fp;
}

}  // namespace rd
