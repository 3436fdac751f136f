#pragma once
#include <asio.hpp>
#include <cstdint>
#include <string>

namespace rd {

// Opens, binds and listens; returns the port actually bound (port 0 picks a free one).
// Throws std::system_error when the address is taken or invalid.
inline std::uint16_t listen_on(asio::ip::tcp::acceptor& acceptor, const std::string& address, std::uint16_t port) {
  asio::ip::tcp::endpoint ep(asio::ip::make_address(address), port);
  acceptor.open(ep.protocol());
  acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true));
  acceptor.bind(ep);
  acceptor.listen();
  return acceptor.local_endpoint().port();
}

}  // namespace rd
