// Fuzz target: the handshake. The input is a ClientHello body as the server reads it
// (decoded, negotiated against several capability sets, and re-encoded: what decodes
// must survive a round trip), and the same bytes as a ServerHello body as a viewer
// reads it.
#include <cstdint>
#include <cstdlib>

#include "protocol/handshake.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  rd::ByteView in(data, size);
  try {
    rd::ClientHello c = rd::decode_client_hello(in);
    for (std::uint32_t caps : {0u, 0xFFFFFFFFu, 0x3Fu}) {
      try {
        rd::negotiate(c, caps);
      } catch (const rd::DecodeError&) {
      }
    }
    rd::Bytes again = rd::encode(c);
    rd::ClientHello d = rd::decode_client_hello(rd::ByteView(again.data() + rd::kHeaderSize, again.size() - rd::kHeaderSize));
    if (d.name != c.name || d.codecs != c.codecs || d.capabilities != c.capabilities) std::abort();
  } catch (const rd::DecodeError&) {
  }
  try {
    rd::decode_server_hello(in);
  } catch (const rd::DecodeError&) {
  }
  return 0;
}
