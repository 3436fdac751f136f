#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace rd {

// Certificates for the native protocol's TLS (docs/hardening.md, "TLS"): making a
// self-signed pair, and the SHA-256 fingerprints viewers pin.
using Fingerprint = std::array<std::uint8_t, 32>;

// Writes a new P-256 key (mode 0600) and a self-signed certificate for it, valid for
// `days`, whose subject alternative names are `names` (each an IP address or a DNS
// name; the first is also the common name). Throws std::runtime_error with the reason.
void generate_self_signed(const std::string& cert_path, const std::string& key_path,
                          const std::vector<std::string>& names, int days);

// The SHA-256 of the DER form of the first certificate in a PEM file (what
// `openssl x509 -fingerprint -sha256` prints). Throws std::runtime_error.
Fingerprint certificate_file_fingerprint(const std::string& pem_path);
// Of a DER-encoded certificate.
Fingerprint der_fingerprint(const std::uint8_t* der, std::size_t size);

// "sha256:" and 64 lower-case hex digits.
std::string format_fingerprint(const Fingerprint& fp);
// Accepts that form, with or without "sha256:", any case, colons between bytes allowed
// (as openssl prints it). Nothing when the text is not a SHA-256 fingerprint.
std::optional<Fingerprint> parse_fingerprint(std::string text);

}  // namespace rd
