#include "server/tls_setup.hpp"

#include <unistd.h>

#include <algorithm>
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <stdexcept>

namespace rd {

std::shared_ptr<asio::ssl::context> load_tls_context(const std::string& cert_file, const std::string& key_file) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 | asio::ssl::context::no_sslv3 |
                   asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  asio::error_code ec;
  ctx->use_certificate_chain_file(cert_file, ec);
  if (ec) throw std::runtime_error("cannot load the TLS certificate " + cert_file + ": " + ec.message());
  ctx->use_private_key_file(key_file, asio::ssl::context::pem, ec);
  if (ec) throw std::runtime_error("cannot load the TLS key " + key_file + " (for " + cert_file + "): " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    throw std::runtime_error("the TLS key " + key_file + " does not belong to the certificate " + cert_file);
  return ctx;
}

std::vector<std::string> certificate_names(const std::string& listen_address, const std::vector<std::string>& extra) {
  std::vector<std::string> names{"localhost", "127.0.0.1", "::1"};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0]) names.emplace_back(host);
  if (listen_address != "0.0.0.0" && listen_address != "::") names.push_back(listen_address);
  names.insert(names.end(), extra.begin(), extra.end());
  std::vector<std::string> unique;
  for (const auto& n : names)
    if (std::find(unique.begin(), unique.end(), n) == unique.end()) unique.push_back(n);
  return unique;
}

}  // namespace rd
