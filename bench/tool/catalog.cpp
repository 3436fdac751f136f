#include "bench/tool/catalog.hpp"

#include <filesystem>

namespace rd::bench {

const std::vector<Workload>& workloads() {
  static const std::vector<Workload> all = [] {
    std::vector<Workload> v;
    auto app = [&](std::string name, std::string desc, std::string a, std::string geom, int fps, int frames, int frames_quick, bool quick) {
      Workload w;
      w.name = std::move(name);
      w.description = std::move(desc);
      w.app = std::move(a);
      w.geometry = std::move(geom);
      w.fps = fps;
      w.frames = frames;
      w.frames_quick = frames_quick;
      w.quick = quick;
      v.push_back(w);
    };
    app("desktop", "demo app: windows, text, a graph and notes being edited (30 fps script)", "desktop", "1280x800", 30, 300, 60, true);
    app("terminal", "demo app: a terminal printing and scrolling", "terminal", "1280x800", 30, 300, 60, true);
    app("photo", "demo app: a photo viewer panning and switching images", "photo", "1280x800", 30, 240, 60, false);
    app("video", "demo app: 1280x800 video (a moving landscape)", "video", "1280x800", 30, 240, 60, true);
    {
      Workload w;
      w.name = "desktop-input";
      w.description = "demo app standing still while the viewer types (x, BackSpace) 20 times a second: input-to-display latency";
      w.app = "desktop";
      w.frames = w.frames_quick = 1;
      w.probe_seconds = 5;
      w.quick = true;
      w.all_profiles = true;
      v.push_back(w);
    }
    auto x = [&](std::string name, std::string desc, std::string x_app, std::string driver, int scale, int scale_quick, bool waits, bool quick) {
      Workload w;
      w.kind = Workload::X;
      w.name = std::move(name);
      w.description = std::move(desc);
      w.x_app = std::move(x_app);
      w.x_driver = std::move(driver);
      w.scale = scale;
      w.scale_quick = scale_quick;
      w.x_app_waits_ready = waits;
      w.quick = quick;
      v.push_back(w);
    };
    const std::string wait_go = "while [ ! -e GO ]; do sleep 0.02; done; ";
    x("xterm-seq", "xterm (+j, 120x50) running seq 1 SCALE: every line scrolls the screen",
      "xterm +j -geometry 120x50+0+0 -e sh -c 'touch READY; " + wait_go + "seq 1 SCALE; touch DONE; exec sleep 100000'", "", 20000, 2000, true, true);
    x("xterm-typing", "xterm running cat while xdotool types 400 characters, 25 a second",
      "xterm -geometry 100x40+0+0 -e sh -c 'touch READY; exec cat'",
      wait_go + "xdotool mousemove 200 200; for i in $(seq SCALE); do xdotool type --delay 40 'the quick brown fox jumps over the lazy dog '; "
                "xdotool key Return; done; touch DONE",
      9, 2, true, false);
    auto perf = [&](const std::string& test, int reps, int reps_quick, bool quick) {
      x("x11perf" + test, "x11perf " + test + " (fixed repetitions: -reps SCALE -repeat 1)",
        "sh -c '" + wait_go + "x11perf -repeat 1 -reps SCALE " + test + " >/dev/null; touch DONE'", "", reps, reps_quick, false, quick);
    };
    x("x-slideshow", "feh showing SCALE photo-like 800x600 slides, 0.4 s each, then closing",
      "sh -c '" + wait_go + "feh --geometry 800x600+0+0 --slideshow-delay 0.4 --on-last-slide quit --no-menus $(ls MEDIA/slide-*.png | head -n SCALE) "
      ">/dev/null 2>&1; touch DONE'", "", 8, 4, false, false);
    v.back().media = Workload::Slides;
    x("x-video", "ffplay playing a SCALE s 640x360 30 fps test clip (SDL software rendering: X PutImage)",
      "sh -c '" + wait_go + "SDL_RENDER_DRIVER=software ffplay -autoexit -an -loglevel quiet -nostats -left 0 -top 0 MEDIA/clip-SCALEs.mp4; "
      "touch DONE'", "", 6, 3, false, false);
    v.back().media = Workload::Clip;
    // Repetitions for about 3 s (quick: 1 s) each on Xvfb.
    perf("-rect100", 80000, 50000, true);
    perf("-copywinwin500", 12000, 4000, false);
    perf("-scroll500", 80000, 25000, false);
    perf("-ftext", 500000, 150000, false);
    return v;
  }();
  return all;
}

const std::vector<Encoding>& encodings() {
  static const std::vector<Encoding> all = [] {
    std::vector<Encoding> v;
    auto add = [&](std::string name, std::string style, Encoding::Server s, std::string desc, std::vector<std::string> viewer_args,
                   std::vector<std::string> server_args, bool apps, bool x, bool lossy, bool quick) {
      v.push_back({std::move(name), std::move(style), std::move(desc), s, std::move(viewer_args), std::move(server_args), apps, x, lossy, quick});
    };
    add("ops", "x11", Encoding::Native, "rdisplay command encoding: the app's drawing operations", {"--encoding", "ops"}, {}, true, false, false, true);
    add("auto", "mixed", Encoding::Native, "rdisplay: ops or pixels per frame, whichever is smaller", {"--encoding", "auto"}, {}, true, false, false, true);
    add("pixels-auto", "vnc", Encoding::Native, "rdisplay pixels, lossless, codec chosen per tile", {"--encoding", "pixels"}, {}, true, true, false,
        true);
    add("pixels-noscroll", "vnc", Encoding::Native, "rdisplay pixels-auto with scroll detection off", {"--encoding", "pixels"},
        {"--scroll-detection", "off"}, true, true, false, false);
    for (const char* c : {"raw", "zstd", "palette"})
      add(std::string("pixels-") + c, "vnc", Encoding::Native, std::string("rdisplay pixels, every tile ") + c, {"--encoding", "pixels", "--codec", c},
          {}, true, true, false, false);
    add("pixels-jpeg-q80", "vnc", Encoding::Native, "rdisplay pixels, every tile JPEG q80 4:2:0, no lossless refresh",
        {"--encoding", "pixels", "--codec", "jpeg", "--quality", "80"}, {"--lossless-refresh", "0"}, true, true, true, false);
    add("pixels-q80", "vnc", Encoding::Native, "rdisplay pixels, photo-like tiles JPEG q80, no lossless refresh",
        {"--encoding", "pixels", "--quality", "80"}, {"--lossless-refresh", "0"}, true, true, true, false);
    for (const char* r : {"tight", "zrle", "hextile", "raw"})
      add(std::string("rfb-") + r, "vnc", Encoding::Rfb, std::string("libvncserver's ") + r + " through rdisplay-server's RFB front",
          {"--vnc-encodings", r}, {}, true, true, false, std::string(r) == "tight" || std::string(r) == "zrle");
    add("rfb-tight-jpeg", "vnc", Encoding::Rfb, "libvncserver's Tight with JPEG quality 8 (of 9)", {"--vnc-encodings", "tight", "--quality", "80"}, {},
        true, true, true, false);
    add("x11vnc", "vnc", Encoding::X11vnc, "Debian's x11vnc on the same display (its defaults), read by rdisplay-viewer vnc://", {}, {}, false, true,
        false, true);
    add("x0vncserver", "vnc", Encoding::X0vncserver, "TigerVNC's x0vncserver on the same display, read by rdisplay-viewer vnc://", {}, {}, false,
        true, false, true);
    add("x11-wire", "x11", Encoding::X11Wire, "the X11 protocol itself: the X client talks to Xvfb over TCP through the relay", {}, {}, false, true,
        false, true);
    return v;
  }();
  return all;
}

Workload trace_workload(const std::string& path) {
  Workload w;
  w.name = "trace:" + std::filesystem::path(path).stem().string();
  w.description = "the trace " + path + " (rdisplay-server --record) replayed";
  w.trace = path;
  w.quick = true;
  return w;
}

bool applies(const Encoding& e, const Workload& w) {
  if (w.probe_seconds > 0) return e.server == Encoding::Native;  // the probe is rdisplay's own
  return w.kind == Workload::App ? e.for_apps : e.for_x;
}

}  // namespace rd::bench
