#pragma once
#include <SDL.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "client/frame_store.hpp"
#include "client/hud.hpp"
#include "client/keymap.hpp"
#include "client/viewer_link.hpp"
#include "client/viewport.hpp"

namespace rd {

struct WindowOptions {
  std::string title;
  bool view_only = false;
  ScaleMode scale = ScaleMode::Fit;
  double fixed_scale = 1;  // ScaleMode::Fixed
  bool fullscreen = false;
  bool hud = false;
  // Resizing the window asks the server for a screen of the window's size.
  bool resize_remote = false;
  // While the window has focus, system shortcuts (Alt+Tab, ...) go to the remote side.
  bool grab_keyboard = true;
  // Returns true when the viewer should stop (idle exit); checked every loop.
  std::function<bool()> should_exit;
  // Bytes received and sent so far (the HUD's bandwidth).
  std::function<std::pair<std::uint64_t, std::uint64_t>()> bytes;
};

// The viewer's own keys: Ctrl+Alt+Shift with one of these never reaches the remote side.
struct ViewerShortcuts {
  static constexpr SDL_Keycode kFullscreen = SDLK_f, kScale = SDLK_s, kHud = SDLK_h, kGrab = SDLK_g;
  static bool is_chord(Uint16 mod) {
    return (mod & KMOD_CTRL) && (mod & KMOD_ALT) && (mod & KMOD_SHIFT);
  }
};

// The SDL main thread: one window, a streaming texture updated only where frames
// changed, presented at most once per display refresh and scaled as asked; input sent
// the moment it happens; the pointer drawn locally from the server's shape.
class SdlWindow {
 public:
  SdlWindow(FrameStore& store, ViewerLink& link, int width, int height, WindowOptions opts);
  ~SdlWindow();
  SdlWindow(const SdlWindow&) = delete;
  SdlWindow& operator=(const SdlWindow&) = delete;

  // Runs until the user closes the window, the stream ends or should_exit says so.
  void run();
  // Thread-safe: wakes the main loop (called by the network side on every change).
  void wake();

 private:
  void apply(FrameStore::Update& u);
  void handle(const SDL_Event& ev);
  bool shortcut(const SDL_KeyboardEvent& e);
  void send_pointer_at(int win_x, int win_y);
  void present();
  void refresh_hud();
  void update_title();
  void set_grab(bool on);
  Viewport viewport() const;
  double drawable_per_point() const;

  FrameStore& store_;
  ViewerLink& link_;
  std::string last_clipboard_;  // what went either way last: no echo
  WindowOptions opts_;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  SDL_Texture* hud_texture_ = nullptr;
  int hud_w_ = 0, hud_h_ = 0;
  std::unique_ptr<HudPainter> hud_painter_;
  Uint64 hud_next_ = 0;
  std::uint64_t hud_bytes_in_ = 0, hud_bytes_out_ = 0, hud_at_us_ = 0;
  SDL_Cursor* cursor_ = nullptr;
  int fb_w_ = 0, fb_h_ = 0;
  Uint32 wake_event_ = 0;
  std::atomic<bool> wake_pending_{false};
  KeyTranslator keys_;
  std::uint32_t buttons_ = 0;
  int pointer_x_ = 0, pointer_y_ = 0;         // remote pixels
  double pointer_out_x_ = 0, pointer_out_y_ = 0;  // drawable pixels (panning)
  std::string status_;
  bool grabbed_ = false;
  SDL_Keycode swallowed_ = SDLK_UNKNOWN;  // a shortcut key still held: its release is ours
  Uint64 resize_due_ = 0;                 // when to ask the server for the window's size
  bool needs_present_ = true;
  bool quit_ = false;
};

}  // namespace rd
