#pragma once
#include <cstdint>
#include <string>

namespace rd {

// What the viewer was asked to open: rdisplay://HOST[:PORT], rdisplays://HOST[:PORT]
// (the same over TLS) or vnc://HOST[:PORT].
struct Target {
  enum class Scheme { Rdisplay, Vnc } scheme = Scheme::Rdisplay;
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
};

// Throws std::invalid_argument with a message for the user. A bare HOST[:PORT] means
// rdisplay://; IPv6 addresses go in brackets.
Target parse_target(const std::string& text);

}  // namespace rd
