#include "client/sdl_window.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "common/clock.hpp"
#include "protocol/messages.hpp"

namespace rd {

namespace {

const char* scale_name(ScaleMode m) {
  switch (m) {
    case ScaleMode::Fit: return "fit";
    case ScaleMode::OneToOne: return "1:1";
    case ScaleMode::Fixed: return "scaled";
  }
  return "";
}

std::string format(const char* fmt, double a, double b = 0, double c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, fmt, a, b, c);
  return buf;
}

}  // namespace

SdlWindow::SdlWindow(FrameStore& store, ViewerLink& link, int width, int height, WindowOptions opts)
    : store_(store), link_(link), opts_(std::move(opts)), keys_([this](std::uint32_t ks, bool down) { link_.send_key(ks, down); }) {
  // A click on the window when it is not focused still reaches the remote side, as in
  // any VNC viewer (SDL would otherwise spend it on focusing the window).
  SDL_SetHint(SDL_HINT_MOUSE_FOCUS_CLICKTHROUGH, "1");
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0)
    throw std::runtime_error(std::string("cannot open a window (") + SDL_GetError() + "); use --headless without a display");
  wake_event_ = SDL_RegisterEvents(1);
  fb_w_ = width;
  fb_h_ = height;
  // The window starts at the size the scale asks for, unless the screen is smaller.
  double s = opts_.scale == ScaleMode::Fixed ? opts_.fixed_scale : 1.0;
  int win_w = static_cast<int>(std::lround(fb_w_ * s)), win_h = static_cast<int>(std::lround(fb_h_ * s));
  SDL_DisplayMode dm;
  if (SDL_GetDesktopDisplayMode(0, &dm) == 0) {
    win_w = std::min(win_w, dm.w - 40);
    win_h = std::min(win_h, dm.h - 80);
  }
  Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI | SDL_WINDOW_HIDDEN;
  if (opts_.fullscreen) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  window_ = SDL_CreateWindow(opts_.title.c_str(), SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, std::max(64, win_w),
                             std::max(64, win_h), flags);
  if (!window_) throw std::runtime_error(std::string("cannot create a window: ") + SDL_GetError());
  renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
  if (!renderer_) renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
  if (!renderer_) throw std::runtime_error(std::string("cannot create a renderer: ") + SDL_GetError());
  // Shown only now: an OpenGL renderer makes SDL recreate the X window, and the one the
  // user (or a window manager, or xdotool) first saw would be gone.
  SDL_ShowWindow(window_);
  SDL_StartTextInput();
}

SdlWindow::~SdlWindow() {
  if (cursor_) SDL_FreeCursor(cursor_);
  if (hud_texture_) SDL_DestroyTexture(hud_texture_);
  if (texture_) SDL_DestroyTexture(texture_);
  if (renderer_) SDL_DestroyRenderer(renderer_);
  if (window_) SDL_DestroyWindow(window_);
  SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

void SdlWindow::wake() {
  if (wake_pending_.exchange(true)) return;
  SDL_Event ev{};
  ev.type = wake_event_;
  SDL_PushEvent(&ev);
}

double SdlWindow::drawable_per_point() const {
  int ww = 0, wh = 0, ow = 0, oh = 0;
  SDL_GetWindowSize(window_, &ww, &wh);
  SDL_GetRendererOutputSize(renderer_, &ow, &oh);
  return ww > 0 && ow > 0 ? static_cast<double>(ow) / ww : 1.0;
}

Viewport SdlWindow::viewport() const {
  int ow = 0, oh = 0;
  SDL_GetRendererOutputSize(renderer_, &ow, &oh);
  return Viewport::compute(opts_.scale, opts_.fixed_scale, fb_w_, fb_h_, ow, oh, pointer_out_x_, pointer_out_y_);
}

void SdlWindow::apply(FrameStore::Update& u) {
  if (u.status) {
    status_ = *u.status;
    update_title();
  }
  if (u.clipboard && *u.clipboard != last_clipboard_) {
    last_clipboard_ = *u.clipboard;
    SDL_SetClipboardText(last_clipboard_.c_str());
  }
  if (u.cursor && u.cursor->w > 0) {
    SDL_Surface* s = SDL_CreateRGBSurfaceWithFormatFrom(u.cursor->bgra.data(), u.cursor->w, u.cursor->h, 32, u.cursor->w * 4,
                                                        SDL_PIXELFORMAT_ARGB8888);
    if (s) {
      SDL_Cursor* c = SDL_CreateColorCursor(s, u.cursor->hot_x, u.cursor->hot_y);
      SDL_FreeSurface(s);
      if (c) {
        SDL_SetCursor(c);
        if (cursor_) SDL_FreeCursor(cursor_);
        cursor_ = c;
      }
    }
  }
  if (u.resized || !texture_) {
    store_.with_pixels([&](const Surface& px) {
      if (px.empty()) return;  // nothing received yet: keep the size the hello gave
      fb_w_ = px.width();
      fb_h_ = px.height();
    });
    if (texture_) SDL_DestroyTexture(texture_);
    // ARGB8888 is B, G, R, A in little-endian memory: our surface layout, no conversion.
    texture_ = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, fb_w_, fb_h_);
    u.dirty.clear();
    u.dirty.add({0, 0, fb_w_, fb_h_});
  }
  if (u.dirty.empty()) return;
  store_.with_pixels([&](const Surface& px) {
    if (px.width() != fb_w_ || px.height() != fb_h_) return;  // a resize is on its way
    for (const Rect& r : u.dirty.rects()) {
      SDL_Rect sr{r.x, r.y, r.w, r.h};
      SDL_UpdateTexture(texture_, &sr, px.row32(r.y) + r.x, px.stride());
    }
  });
}

void SdlWindow::present() {
  SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
  SDL_RenderClear(renderer_);
  if (texture_) {
    Viewport v = viewport();
    // Whole multiples stay sharp; anything else is filtered.
    bool whole = std::abs(v.scale - std::round(v.scale)) < 1e-9;
    SDL_SetTextureScaleMode(texture_, whole ? SDL_ScaleModeNearest : SDL_ScaleModeLinear);
    SDL_Rect dst{static_cast<int>(v.x), static_cast<int>(v.y), static_cast<int>(std::lround(v.w)), static_cast<int>(std::lround(v.h))};
    SDL_RenderCopy(renderer_, texture_, nullptr, &dst);
  }
  if (opts_.hud && hud_texture_) {
    int m = static_cast<int>(std::lround(8 * drawable_per_point()));
    SDL_Rect dst{m, m, hud_w_, hud_h_};
    SDL_RenderCopy(renderer_, hud_texture_, nullptr, &dst);
  }
  SDL_RenderPresent(renderer_);  // with vsync this waits for the refresh itself
}

void SdlWindow::refresh_hud() {
  if (!hud_painter_) {
    try {
      hud_painter_ = std::make_unique<HudPainter>();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "rdisplay-viewer: no HUD: %s\n", e.what());
      opts_.hud = false;
      return;
    }
  }
  std::uint64_t t = now_us();
  LiveMetrics::Now n = store_.metrics().now(t);
  auto [in, out] = opts_.bytes ? opts_.bytes() : std::pair<std::uint64_t, std::uint64_t>{0, 0};
  double secs = hud_at_us_ ? static_cast<double>(t - hud_at_us_) / 1e6 : 0;
  double in_mbit = secs > 0 ? static_cast<double>(in - hud_bytes_in_) * 8 / 1e6 / secs : 0;
  double out_kbit = secs > 0 ? static_cast<double>(out - hud_bytes_out_) * 8 / 1e3 / secs : 0;
  hud_bytes_in_ = in;
  hud_bytes_out_ = out;
  hud_at_us_ = t;
  Viewport v = viewport();
  std::vector<std::string> lines = {
      format("%5.1f fps   decode %.2f ms/frame", n.fps, n.decode_ms),
      format("in %7.2f Mbit/s   out %6.1f kbit/s", in_mbit, out_kbit),
      format("bytes: ops %3.0f %%  pixels %3.0f %%", n.ops_share * 100, (1 - n.ops_share) * 100),
      n.latency_samples ? format("input->display p50 %.1f ms  p99 %.1f ms", n.latency_p50_ms, n.latency_p99_ms)
                        : std::string("input->display: no input yet"),
      std::to_string(fb_w_) + "x" + std::to_string(fb_h_) + "  " + scale_name(opts_.scale) + format(" %.2fx", v.scale) +
          (grabbed_ ? "  keyboard grabbed" : ""),
  };
  if (!status_.empty()) lines.push_back(status_);
  Surface s = hud_painter_->paint(lines, static_cast<int>(std::lround(13 * drawable_per_point())));
  if (!hud_texture_ || hud_w_ != s.width() || hud_h_ != s.height()) {
    if (hud_texture_) SDL_DestroyTexture(hud_texture_);
    hud_texture_ = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, s.width(), s.height());
    hud_w_ = s.width();
    hud_h_ = s.height();
    if (hud_texture_) SDL_SetTextureAlphaMod(hud_texture_, 220);
  }
  if (hud_texture_) SDL_UpdateTexture(hud_texture_, nullptr, s.row32(0), s.stride());
}

void SdlWindow::update_title() {
  std::string t = opts_.title;
  if (!status_.empty()) t += " - " + status_;
  SDL_SetWindowTitle(window_, t.c_str());
}

void SdlWindow::set_grab(bool on) {
  if (on && (!opts_.grab_keyboard || opts_.view_only)) on = false;
  if (on == grabbed_) return;
  grabbed_ = on;
  SDL_SetWindowKeyboardGrab(window_, on ? SDL_TRUE : SDL_FALSE);
}

void SdlWindow::send_pointer_at(int win_x, int win_y) {
  double k = drawable_per_point();
  pointer_out_x_ = win_x * k;
  pointer_out_y_ = win_y * k;
  Viewport v = viewport();
  if (v.w > 0 && (v.x < 0 || v.y < 0)) needs_present_ = true;  // panning follows the pointer
  v.to_remote(pointer_out_x_, pointer_out_y_, fb_w_, fb_h_, &pointer_x_, &pointer_y_);
  if (!opts_.view_only) link_.send_pointer(pointer_x_, pointer_y_, buttons_);
}

bool SdlWindow::shortcut(const SDL_KeyboardEvent& e) {
  if (e.type == SDL_KEYUP) {
    if (swallowed_ != e.keysym.sym) return false;
    swallowed_ = SDLK_UNKNOWN;
    return true;
  }
  if (!ViewerShortcuts::is_chord(e.keysym.mod)) return false;
  switch (e.keysym.sym) {
    case ViewerShortcuts::kFullscreen: {
      bool full = SDL_GetWindowFlags(window_) & SDL_WINDOW_FULLSCREEN_DESKTOP;
      SDL_SetWindowFullscreen(window_, full ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP);
      break;
    }
    case ViewerShortcuts::kScale:
      opts_.scale = opts_.scale == ScaleMode::Fit        ? ScaleMode::OneToOne
                    : opts_.scale == ScaleMode::OneToOne && opts_.fixed_scale != 1 ? ScaleMode::Fixed
                                                                                   : ScaleMode::Fit;
      break;
    case ViewerShortcuts::kHud:
      opts_.hud = !opts_.hud;
      hud_next_ = 0;
      break;
    case ViewerShortcuts::kGrab:
      opts_.grab_keyboard = !grabbed_;
      set_grab(opts_.grab_keyboard);
      break;
    default: return false;
  }
  swallowed_ = e.keysym.sym;
  needs_present_ = true;
  return true;
}

void SdlWindow::handle(const SDL_Event& ev) {
  switch (ev.type) {
    case SDL_QUIT: quit_ = true; return;
    case SDL_CLIPBOARDUPDATE:
      if (!opts_.view_only && SDL_HasClipboardText()) {
        char* t = SDL_GetClipboardText();
        std::string text = t ? t : "";
        SDL_free(t);
        if (text != last_clipboard_) {
          last_clipboard_ = text;
          link_.send_clipboard(text);
        }
      }
      return;
    case SDL_WINDOWEVENT:
      switch (ev.window.event) {
        case SDL_WINDOWEVENT_FOCUS_LOST:
          if (!opts_.view_only) keys_.release_all();
          set_grab(false);
          break;
        case SDL_WINDOWEVENT_FOCUS_GAINED: set_grab(true); break;
        case SDL_WINDOWEVENT_SIZE_CHANGED:
          needs_present_ = true;
          // Asked once the user stops dragging the border, not on every step.
          if (opts_.resize_remote) resize_due_ = SDL_GetPerformanceCounter() + SDL_GetPerformanceFrequency() * 3 / 10;
          break;
        case SDL_WINDOWEVENT_EXPOSED: needs_present_ = true; break;
        default: break;
      }
      return;
    case SDL_KEYDOWN:
    case SDL_KEYUP:
      if (shortcut(ev.key)) return;
      break;
    case SDL_MOUSEMOTION: send_pointer_at(ev.motion.x, ev.motion.y); return;
    default: break;
  }
  if (opts_.view_only) return;
  switch (ev.type) {
    case SDL_KEYDOWN: keys_.key_down(ev.key); break;
    case SDL_KEYUP: keys_.key_up(ev.key); break;
    case SDL_TEXTINPUT: keys_.text_input(ev.text.text); break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
      std::uint32_t bit = ev.button.button == SDL_BUTTON_LEFT ? 1 : ev.button.button == SDL_BUTTON_MIDDLE ? 2
                        : ev.button.button == SDL_BUTTON_RIGHT ? 4 : 0;
      if (ev.type == SDL_MOUSEBUTTONDOWN) buttons_ |= bit;
      else buttons_ &= ~bit;
      keys_.flush_modifiers();  // Alt+click means Alt on the remote side too
      // At the pointer's last position: SDL's X11 backend sometimes reports buttons at 0,0.
      link_.send_pointer(pointer_x_, pointer_y_, buttons_);
      break;
    }
    case SDL_MOUSEWHEEL: {
      int dx = ev.wheel.x, dy = ev.wheel.y;
      if (ev.wheel.direction == SDL_MOUSEWHEEL_FLIPPED) {
        dx = -dx;
        dy = -dy;
      }
      link_.send_wheel(pointer_x_, pointer_y_, dx, dy);
      break;
    }
    default: break;
  }
}

void SdlWindow::run() {
  SDL_DisplayMode dm;
  int hz = (SDL_GetCurrentDisplayMode(0, &dm) == 0 && dm.refresh_rate > 0) ? dm.refresh_rate : 60;
  const Uint64 freq = SDL_GetPerformanceFrequency();
  const Uint64 period = freq / static_cast<Uint64>(hz);
  Uint64 next_present = 0;
  bool pending = true;  // the first frame, even if empty
  SDL_RendererInfo info{};
  const bool vsync = SDL_GetRendererInfo(renderer_, &info) == 0 && (info.flags & SDL_RENDERER_PRESENTVSYNC);

  while (!quit_) {
    Uint64 now = SDL_GetPerformanceCounter();
    // Bounded: idle-exit and stream end are checked on every pass.
    Uint64 due = now + freq / 20;
    if (pending || needs_present_) due = std::min(due, std::max(now, next_present));
    if (opts_.hud) due = std::min(due, std::max(now, hud_next_));
    if (resize_due_) due = std::min(due, std::max(now, resize_due_));
    int timeout_ms = static_cast<int>((due - now) * 1000 / freq) + (due > now ? 1 : 0);
    SDL_Event ev;
    if (SDL_WaitEventTimeout(&ev, timeout_ms)) {
      do {
        if (ev.type == wake_event_) {
          wake_pending_ = false;
          pending = true;
        } else {
          handle(ev);
        }
      } while (SDL_PollEvent(&ev));
    }
    if (store_.finished() || (opts_.should_exit && opts_.should_exit())) break;
    now = SDL_GetPerformanceCounter();
    if (resize_due_ && now >= resize_due_) {
      resize_due_ = 0;
      int ow = 0, oh = 0;
      SDL_GetRendererOutputSize(renderer_, &ow, &oh);
      if (ow > 0 && oh > 0 && (ow != fb_w_ || oh != fb_h_)) link_.request_size(ow, oh);
    }
    if (opts_.hud && now >= hud_next_) {
      refresh_hud();
      hud_next_ = now + freq / 4;
      needs_present_ = true;
    }
    if ((pending || needs_present_) && now >= next_present) {
      std::uint64_t t0 = now_us();
      FrameStore::Update u;
      if (pending) {
        u = store_.take();
        apply(u);
      }
      pending = needs_present_ = false;
      present();
      store_.metrics().presented(static_cast<std::uint32_t>(now_us() - t0));
      store_.shown(u);  // the inputs these pixels answer are on the screen now
      // With vsync the present itself waits for the refresh; without, at most one present
      // per refresh period, counted from its start so a slow present does not add to it.
      next_present = vsync ? 0 : now + period;
    }
  }
  if (!opts_.view_only) keys_.release_all();
}

}  // namespace rd
