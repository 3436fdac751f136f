#pragma once
#include <memory>
#include <string>
#include <vector>

namespace asio::ssl {
class context;
}

namespace rd {

// The server's TLS context from a PEM certificate (chain) and key: TLS 1.2 or newer.
// Throws std::runtime_error naming the file and OpenSSL's reason.
std::shared_ptr<asio::ssl::context> load_tls_context(const std::string& cert_file, const std::string& key_file);

// The names a generated certificate carries: localhost, the loopback addresses, this
// host's name, the listen address when it is a specific one, and any given.
std::vector<std::string> certificate_names(const std::string& listen_address, const std::vector<std::string>& extra);

}  // namespace rd
