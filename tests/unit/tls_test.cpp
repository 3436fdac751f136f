// Certificates and fingerprints for the native protocol's TLS, the server's loading of
// them, and the viewer's rdisplays:// targets.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "client/target.hpp"
#include "common/tls_identity.hpp"
#include "server/tls_setup.hpp"

using namespace rd;

namespace {
std::string temp_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() / ("rdisplay-unit-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}
}  // namespace

TEST_CASE("tls fingerprints: formatted and parsed in the forms people paste") {
  Fingerprint fp{};
  for (std::size_t i = 0; i < fp.size(); ++i) fp[i] = static_cast<std::uint8_t>(i * 7 + 1);
  const std::string text = format_fingerprint(fp);
  CHECK(text.size() == 7 + 64);
  CHECK(text.rfind("sha256:01080f", 0) == 0);
  CHECK(parse_fingerprint(text) == fp);
  CHECK(parse_fingerprint(text.substr(7)) == fp);  // without the prefix
  std::string upper_colons = "SHA256:";
  for (std::size_t i = 0; i < 64; i += 2) {
    if (i) upper_colons += ':';
    upper_colons.append(text, 7 + i, 2);
  }
  for (auto& c : upper_colons) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(parse_fingerprint(upper_colons) == fp);  // as `openssl x509 -fingerprint -sha256` prints it
  CHECK_FALSE(parse_fingerprint(text.substr(0, text.size() - 1)));
  CHECK_FALSE(parse_fingerprint(text + "0"));
  CHECK_FALSE(parse_fingerprint("sha256:" + std::string(63, '0') + "g"));
  CHECK_FALSE(parse_fingerprint(""));
}

TEST_CASE("tls: a generated pair loads, the key is private, fingerprints agree, mismatches are refused") {
  const std::string d = temp_dir("tls");
  generate_self_signed(d + "/a.pem", d + "/a.key", {"localhost", "127.0.0.1", "::1"}, 30);
  generate_self_signed(d + "/b.pem", d + "/b.key", {"example.invalid"}, 30);
  struct stat st {};
  REQUIRE(::stat((d + "/a.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_NOTHROW(load_tls_context(d + "/a.pem", d + "/a.key"));
  // Two generations differ (fresh keys and serials).
  CHECK(certificate_file_fingerprint(d + "/a.pem") != certificate_file_fingerprint(d + "/b.pem"));
  CHECK_THROWS_WITH_AS(load_tls_context(d + "/a.pem", d + "/b.key"), doctest::Contains("mismatch"), std::runtime_error);
  CHECK_THROWS_AS(load_tls_context(d + "/missing.pem", d + "/a.key"), std::runtime_error);
  CHECK_THROWS_AS(certificate_file_fingerprint(d + "/a.key"), std::runtime_error);
  CHECK_THROWS_AS(generate_self_signed(d + "/c.pem", d + "/c.key", {}, 30), std::runtime_error);
  std::filesystem::remove_all(d);
}

TEST_CASE("tls: certificate names cover loopback, the host and the listen address once each") {
  auto n = certificate_names("192.168.1.20", {"viewer.example", "localhost"});
  CHECK(n.front() == "localhost");
  CHECK(std::count(n.begin(), n.end(), "localhost") == 1);
  CHECK(std::find(n.begin(), n.end(), "127.0.0.1") != n.end());
  CHECK(std::find(n.begin(), n.end(), "192.168.1.20") != n.end());
  CHECK(std::find(n.begin(), n.end(), "viewer.example") != n.end());
  auto any = certificate_names("0.0.0.0", {});
  CHECK(std::find(any.begin(), any.end(), "0.0.0.0") == any.end());
}

TEST_CASE("viewer targets: rdisplays:// is the native protocol over TLS") {
  Target t = parse_target("rdisplays://example.org");
  CHECK(t.scheme == Target::Scheme::Rdisplay);
  CHECK(t.tls);
  CHECK(t.port == 7400);
  CHECK_FALSE(parse_target("rdisplay://example.org").tls);
  CHECK_FALSE(parse_target("example.org:7401").tls);
}
