// TLS on the native protocol: a real server with a generated certificate, real viewers
// that pin it or trust it as a CA, what an eavesdropper on the wire sees, and each way
// of getting it wrong.
#include <doctest/doctest.h>

#include <fstream>

#include "common/tls_identity.hpp"
#include "tests/support/raw_client.hpp"
#include "tests/support/tcp_relay.hpp"
#include "tests/support/viewer.hpp"

using namespace rd;
using namespace rd::test;

namespace {

std::string fingerprint_printed_by(ServerProcess& server) {
  auto line = server.proc().wait_for_line("TLS certificate sha256:", 10s);
  REQUIRE(line);
  return line->substr(line->find("sha256:"), 7 + 64);
}

}  // namespace

TEST_CASE("e2e tls: pinned or CA-verified viewers get exact frames, nothing readable crosses the wire") {
  std::string dir = scratch_dir("e2e-tls");
  const std::string cert = dir + "/cert.pem", key = dir + "/key.pem";
  {
    std::ofstream f(dir + "/passwords");
    f << "tls-and-a-password\n";
  }
  ServerProcess server(dir, {"--app", "desktop", "--frames", "3", "--tls-cert", cert, "--tls-key", key, "--tls-generate",
                             "--password-file", dir + "/passwords"});
  const std::string fp = fingerprint_printed_by(server);
  CHECK(fp == format_fingerprint(certificate_file_fingerprint(cert)));
  CHECK(server.proc().out().find("made a self-signed certificate") != std::string::npos);
  std::ofstream(dir + "/pw") << "tls-and-a-password\n";
  TcpRelay relay(server.port());
  const std::string port = std::to_string(relay.port());

  SUBCASE("pinned, through an eavesdropping relay, with a password and a clipboard") {
    HeadlessViewer v(dir, "pinned", "rdisplays://127.0.0.1:" + port,
                     {"--tls-pin", fp, "--password-file", dir + "/pw", "--send-clipboard", "clipboard-secret-text",
                      "--exit-when-idle", "500"});
    auto vs = v.finish();
    auto s = parse_json(server.stop_and_read_stats(), "server stats");
    CHECK(vs["framebuffer_hash"] == s["surface_hash"]);
    CHECK(s["app_state"]["clipboard_in"] == "clipboard-secret-text");
    // What went by: TLS records only (handshake 0x16, then application data 0x17),
    // none of the protocol's plain bytes.
    const std::string up = relay.sent_by_viewers(), down = relay.sent_to_viewers();
    REQUIRE(up.size() > 100);
    REQUIRE(down.size() > 100);
    CHECK(static_cast<std::uint8_t>(up[0]) == 0x16);
    CHECK(static_cast<std::uint8_t>(down[0]) == 0x16);
    for (const char* plain : {"RDSP", "rdisplay-viewer", "clipboard-secret-text"}) CHECK(up.find(plain) == std::string::npos);
    CHECK(down.find("desktop") == std::string::npos);  // the session name in the ServerHello
  }
  SUBCASE("verified against the certificate as a CA, by address and by name") {
    auto a = HeadlessViewer(dir, "ca-ip", "rdisplays://127.0.0.1:" + port,
                            {"--tls-ca", cert, "--password-file", dir + "/pw", "--exit-when-idle", "500"})
                 .finish();
    auto b = HeadlessViewer(dir, "ca-name", "rdisplay://localhost:" + port,
                            {"--tls-ca", cert, "--password-file", dir + "/pw", "--exit-when-idle", "500"})
                 .finish();
    auto s = parse_json(server.stop_and_read_stats(), "server stats");
    CHECK(a["framebuffer_hash"] == s["surface_hash"]);
    CHECK(b["framebuffer_hash"] == s["surface_hash"]);
  }
  SUBCASE("refusals: untrusted, wrong pin, plain viewer, wrong name; the server keeps serving") {
    auto untrusted = run_viewer(dir, "untrusted", {"rdisplays://127.0.0.1:" + port, "--headless", "--password-file", dir + "/pw"});
    CHECK(untrusted.code == 3);
    CHECK(lines_of(untrusted.err) == 1);
    CHECK(untrusted.err.find("not trusted (self-signed certificate); its fingerprint is " + fp) != std::string::npos);
    CHECK(untrusted.err.find("--tls-pin " + fp) != std::string::npos);

    const std::string other(64, 'a');
    auto pinned_wrong = run_viewer(dir, "wrong-pin", {"rdisplays://127.0.0.1:" + port, "--headless", "--tls-pin", "sha256:" + other});
    CHECK(pinned_wrong.code == 3);
    CHECK(pinned_wrong.err.find("is not the pinned sha256:" + other) != std::string::npos);

    auto plain = run_viewer(dir, "plain", {"rdisplay://127.0.0.1:" + port, "--headless", "--password-file", dir + "/pw"});
    CHECK(plain.code == 3);
    CHECK(lines_of(plain.err) == 1);
    CHECK(plain.err.find("requires TLS; connect to rdisplays://127.0.0.1:" + port) != std::string::npos);

    // A certificate made for other names does not pass for this address.
    const std::string other_cert = dir + "/other.pem", other_key = dir + "/other.key";
    generate_self_signed(other_cert, other_key, {"example.invalid"}, 1);
    auto wrong_name = run_viewer(dir, "wrong-name", {"rdisplays://127.0.0.1:" + port, "--headless", "--tls-ca", other_cert});
    CHECK(wrong_name.code == 3);
    CHECK(wrong_name.err.find("not trusted") != std::string::npos);

    // Junk that starts like TLS, and a hang-up mid-handshake.
    {
      RawClient junk(server.port());
      junk.send(Bytes{0x16, 0x03, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'});
      CHECK(junk.read_until_closed(10s).closed);
    }
    {
      RawClient cut(server.port());
      cut.send(Bytes{0x16, 0x03, 0x01});
    }
    auto ok = HeadlessViewer(dir, "after", "rdisplays://127.0.0.1:" + std::to_string(server.port()),
                             {"--tls-pin", fp, "--password-file", dir + "/pw", "--exit-when-idle", "500"})
                  .finish();
    auto s = parse_json(server.stop_and_read_stats(), "server stats");
    CHECK(ok["framebuffer_hash"] == s["surface_hash"]);
  }
}

TEST_CASE("e2e tls: a TLS viewer at a plain server is told what is wrong in one line") {
  std::string dir = scratch_dir("e2e-tls-plain-server");
  ServerProcess server(dir, {"--app", "terminal", "--frames", "1"});
  auto r = run_viewer(dir, "tls-to-plain", {"rdisplays://127.0.0.1:" + std::to_string(server.port()), "--headless",
                                            "--tls-pin", "sha256:" + std::string(64, 'b')});
  CHECK(r.code == 3);
  CHECK(lines_of(r.err) == 1);
  CHECK(r.err.find("TLS handshake with 127.0.0.1:" + std::to_string(server.port()) + " failed") != std::string::npos);
  CHECK(wait_until([&] { return server.proc().err().find("the viewer started TLS, but this server has no --tls-cert") != std::string::npos; }, 10s));
}
