#pragma once
#include <asio.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <variant>

#include "protocol/framing.hpp"
#include "protocol/messages.hpp"

namespace rd {

// What a connection's first message may be, checked where the hello is read: by the
// front door for plain connections, by the I/O thread inside TLS; and how both turn a
// connection away.
// The hello is small; anything bigger before the handshake is not a viewer.
constexpr std::uint32_t kMaxHelloBody = 4096;
// The first byte of a TLS connection: a handshake record.
constexpr std::uint8_t kTlsHandshakeRecord = 0x16;

using HelloProblem = std::pair<ErrorCode, std::string>;

// The header of a viewer's first message, or what is wrong with it. `plain`: read from
// the socket itself (a TLS record there means the viewer started TLS at a plain port).
inline std::variant<Header, HelloProblem> first_header(ByteView eight, bool plain) {
  if (plain && eight[0] == kTlsHandshakeRecord)
    return HelloProblem{ErrorCode::Unexpected, "the viewer started TLS, but this server has no --tls-cert; connect without TLS"};
  Header h;
  try {
    h = decode_header(eight, kMaxHelloBody);
  } catch (const DecodeError& e) {
    return HelloProblem{ErrorCode::TooLarge, e.what()};
  }
  if (h.type != static_cast<std::uint8_t>(MsgType::ClientHello))
    return HelloProblem{ErrorCode::Unexpected, std::string("expected ClientHello, got message type ") + std::to_string(h.type) +
                                                   " (" + msg_type_name(h.type) + ")"};
  return h;
}

// Turns a connection away: the Error (small), then the close, whether it arrived or not.
inline void close_with_error(asio::ip::tcp::socket socket, ErrorCode code, const std::string& why) {
  auto s = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
  auto msg = std::make_shared<Bytes>(encode(ErrorMsg{code, why}));
  asio::async_write(*s, asio::buffer(*msg), [s, msg](const asio::error_code&, std::size_t) {
    asio::error_code ignored;
    s->shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    s->close(ignored);
  });
}

}  // namespace rd
