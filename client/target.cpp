#include "client/target.hpp"

#include <stdexcept>

namespace rd {

Target parse_target(const std::string& text) {
  Target t;
  std::string rest = text;
  if (auto p = rest.find("://"); p != std::string::npos) {
    std::string scheme = rest.substr(0, p);
    rest = rest.substr(p + 3);
    if (scheme == "rdisplay") t.scheme = Target::Scheme::Rdisplay;
    else if (scheme == "rdisplays") t.scheme = Target::Scheme::Rdisplay, t.tls = true;
    else if (scheme == "vnc") t.scheme = Target::Scheme::Vnc;
    else throw std::invalid_argument("unknown scheme '" + scheme + "://' (use rdisplay://, rdisplays:// or vnc://)");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  std::string port;
  if (!rest.empty() && rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string::npos) throw std::invalid_argument("unclosed '[' in " + text);
    t.host = rest.substr(1, close - 1);
    std::string after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') throw std::invalid_argument("expected ':PORT' after ']' in " + text);
      port = after.substr(1);
    }
  } else if (auto c = rest.rfind(':'); c != std::string::npos) {
    t.host = rest.substr(0, c);
    port = rest.substr(c + 1);
  } else {
    t.host = rest;
  }
  if (t.host.empty()) throw std::invalid_argument("no host in '" + text + "'");
  int def = t.scheme == Target::Scheme::Vnc ? 5900 : 7400;
  if (port.empty()) {
    t.port = static_cast<std::uint16_t>(def);
  } else {
    std::size_t used = 0;
    long v = -1;
    try {
      v = std::stol(port, &used);
    } catch (const std::exception&) {
    }
    if (used != port.size() || v < 1 || v > 65535) throw std::invalid_argument("bad port '" + port + "' in " + text);
    t.port = static_cast<std::uint16_t>(v);
  }
  return t;
}

}  // namespace rd
