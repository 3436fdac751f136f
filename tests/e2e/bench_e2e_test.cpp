// rdisplay-bench end to end: a small selection of its runs (a demo app and xterm on a
// private Xvfb; command encoding, rdisplay pixels, libvncserver's ZRLE, x11vnc, and the
// X11 wire through the relay), through a real server, viewer and peers. The files it
// promises must be there and agree with each other, and the figures must be sane:
// every run succeeded, bytes were counted, the native runs ended bit-exact.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/process.hpp"

using namespace rd;
using namespace rd::test;

TEST_CASE("e2e rdisplay-bench runs a selection and writes its report") {
  std::string dir = scratch_dir("bench_tool"), out = dir + "/out";
  Process bench({RDISPLAY_BENCH_BIN, "--quick", "--out", out, "-w", "terminal,xterm-seq", "-e", "ops,pixels-auto,rfb-zrle,x11vnc,x11-wire", "-p",
                 "lan"},
                dir, "bench");
  auto rc = bench.wait(300s);
  REQUIRE(rc.has_value());
  INFO(bench.err());
  CHECK(*rc == 0);
  for (const char* f : {"results.csv", "results.json", "report.md", "bytes-lan.dat"}) CHECK(std::filesystem::exists(out + "/" + f));
  auto j = nlohmann::json::parse(read_file(out + "/results.json"));
  // terminal: ops, pixels-auto, rfb-zrle; xterm-seq: pixels-auto, rfb-zrle, x11vnc, x11-wire.
  REQUIRE(j["runs"].size() == 7);
  std::map<std::string, nlohmann::json> by;
  for (const auto& r : j["runs"]) {
    INFO(r.dump());
    CHECK(!r.contains("error"));
    CHECK(r.value("bytes", 0.0) > 0);
    by[r["workload"].get<std::string>() + "/" + r["encoding"].get<std::string>()] = r;
  }
  REQUIRE(by.size() == 7);
  CHECK(by["terminal/ops"]["bit_exact"] == true);
  CHECK(by["terminal/pixels-auto"]["bit_exact"] == true);
  // The terminal's text as drawing operations is far smaller than as pixels.
  CHECK(by["terminal/ops"]["bytes"].get<double>() < by["terminal/pixels-auto"]["bytes"].get<double>());
  // The X11 wire is the X client's own traffic: mostly requests, client to server.
  CHECK(by["xterm-seq/x11-wire"]["bytes_up"].get<double>() > by["xterm-seq/x11-wire"]["bytes_down"].get<double>());
  CHECK(by["xterm-seq/pixels-auto"].value("frames", 0) > 0);
  std::string md = read_file(out + "/report.md");
  for (const char* s : {"## X11 style or VNC style?", "| terminal | lan | ops |", "### xterm-seq", "| x11-wire | x11 |", "| x11vnc | vnc |"})
    CHECK_MESSAGE(md.find(s) != std::string::npos, s);
  std::ifstream csv(out + "/results.csv");
  std::string line;
  int lines = 0;
  while (std::getline(csv, line)) ++lines;
  CHECK(lines == 8);
}
