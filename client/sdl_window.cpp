#include "client/sdl_window.hpp"

#include <algorithm>
#include <stdexcept>

#include "protocol/messages.hpp"

namespace rd {

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
  // Start at 1:1 unless the screen is smaller; the content scales to the window.
  SDL_DisplayMode dm;
  int win_w = fb_w_, win_h = fb_h_;
  if (SDL_GetDesktopDisplayMode(0, &dm) == 0) {
    win_w = std::min(win_w, dm.w - 40);
    win_h = std::min(win_h, dm.h - 80);
  }
  window_ = SDL_CreateWindow(opts_.title.c_str(), SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, std::max(64, win_w),
                             std::max(64, win_h), SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI | SDL_WINDOW_HIDDEN);
  if (!window_) throw std::runtime_error(std::string("cannot create a window: ") + SDL_GetError());
  renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_ACCELERATED | SDL_RENDERER_PRESENTVSYNC);
  if (!renderer_) renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
  if (!renderer_) throw std::runtime_error(std::string("cannot create a renderer: ") + SDL_GetError());
  SDL_RenderSetLogicalSize(renderer_, fb_w_, fb_h_);  // fit, aspect kept; input mapped back
  // Shown only now: an OpenGL renderer makes SDL recreate the X window, and the one the
  // user (or a window manager, or xdotool) first saw would be gone.
  SDL_ShowWindow(window_);
  SDL_StartTextInput();
}

SdlWindow::~SdlWindow() {
  if (cursor_) SDL_FreeCursor(cursor_);
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

void SdlWindow::apply(FrameStore::Update& u) {
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
    SDL_RenderSetLogicalSize(renderer_, fb_w_, fb_h_);
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

void SdlWindow::send_pointer(int x, int y) {
  pointer_x_ = std::clamp(x, 0, std::max(0, fb_w_ - 1));
  pointer_y_ = std::clamp(y, 0, std::max(0, fb_h_ - 1));
  link_.send_pointer(pointer_x_, pointer_y_, buttons_);
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
      if (ev.window.event == SDL_WINDOWEVENT_FOCUS_LOST && !opts_.view_only) keys_.release_all();
      return;
    default: break;
  }
  if (opts_.view_only) return;
  switch (ev.type) {
    case SDL_KEYDOWN: keys_.key_down(ev.key); break;
    case SDL_KEYUP: keys_.key_up(ev.key); break;
    case SDL_TEXTINPUT: keys_.text_input(ev.text.text); break;
    case SDL_MOUSEMOTION: send_pointer(ev.motion.x, ev.motion.y); break;
    case SDL_MOUSEBUTTONDOWN:
    case SDL_MOUSEBUTTONUP: {
      std::uint32_t bit = ev.button.button == SDL_BUTTON_LEFT ? 1 : ev.button.button == SDL_BUTTON_MIDDLE ? 2
                        : ev.button.button == SDL_BUTTON_RIGHT ? 4 : 0;
      if (ev.type == SDL_MOUSEBUTTONDOWN) buttons_ |= bit;
      else buttons_ &= ~bit;
      // At the pointer's last position: SDL's X11 backend sometimes reports buttons at 0,0.
      send_pointer(pointer_x_, pointer_y_);
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
  const Uint64 period = SDL_GetPerformanceFrequency() / static_cast<Uint64>(hz);
  Uint64 next_present = 0;
  bool pending = true;  // the first frame, even if empty

  while (!quit_) {
    Uint64 now = SDL_GetPerformanceCounter();
    int timeout_ms = 50;  // bounded: idle-exit and stream end are checked on every pass
    if (pending && now < next_present)
      timeout_ms = static_cast<int>((next_present - now) * 1000 / SDL_GetPerformanceFrequency()) + 1;
    else if (pending)
      timeout_ms = 0;
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
    if (pending && now >= next_present) {
      pending = false;
      FrameStore::Update u = store_.take();
      apply(u);
      SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
      SDL_RenderClear(renderer_);
      if (texture_) SDL_RenderCopy(renderer_, texture_, nullptr, nullptr);
      SDL_RenderPresent(renderer_);  // with vsync this waits for the refresh itself
      next_present = SDL_GetPerformanceCounter() + period;
    }
  }
  if (!opts_.view_only) keys_.release_all();
}

}  // namespace rd
