#pragma once
#include <string>
#include <vector>

namespace rd::bench {

// What the bench streams. An app workload is one of rdisplay-server's built-in apps
// running a fixed number of script frames (deterministic). An X workload is a real X
// program on a private Xvfb; it starts drawing when the bench creates the "go" file
// and creates the "done" file when it has finished.
struct Workload {
  enum Kind { App, X };
  std::string name, description;
  Kind kind = App;
  // App
  std::string app;
  int fps = 30, frames = 0, frames_quick = 0;
  double probe_seconds = 0;  // > 0: the viewer types (probe input) for this long instead
  std::string trace;         // a trace (rdisplay-server --record) replayed as the app
  // X: shell commands; GO, DONE, READY, SCALE and MEDIA are replaced by the bench. `x_app`
  // is the X client whose wire the x11-wire encoding counts (started before the
  // viewer when it has a window to show first: it then creates READY); `x_driver`, if
  // any, is the scripted input (xdotool), talking to the X server directly.
  std::string x_app, x_driver;
  int scale = 1, scale_quick = 1;
  bool x_app_waits_ready = false;
  // What the X app shows, made by the bench in --out/media (MEDIA in the commands).
  enum Media { NoMedia, Slides, Clip } media = NoMedia;
  std::string geometry = "1280x800";
  bool quick = false;         // part of --quick
  bool all_profiles = false;  // --quick runs it under every network profile, not only lan
};

// How it is streamed. Style "x11" sends drawing commands (ops, the X11 wire); "vnc"
// sends pixels.
struct Encoding {
  enum Server { Native, Rfb, X11vnc, X0vncserver, X11Wire };
  std::string name, style, description;
  Server server = Native;
  std::vector<std::string> viewer_args, server_args;
  bool for_apps = true, for_x = true;
  bool lossy = false;
  bool quick = false;
};

const std::vector<Workload>& workloads();
// A recorded trace as a workload ("trace:NAME"): rdisplay-server --play replays it, one
// recorded frame per script frame, through whichever encoding is measured.
Workload trace_workload(const std::string& path);
const std::vector<Encoding>& encodings();
bool applies(const Encoding& e, const Workload& w);

}  // namespace rd::bench
