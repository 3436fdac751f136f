#pragma once
#include <SDL.h>

#include <atomic>
#include <functional>
#include <string>

#include "client/frame_store.hpp"
#include "client/keymap.hpp"
#include "client/viewer_link.hpp"

namespace rd {

struct WindowOptions {
  std::string title;
  bool view_only = false;
  // Returns true when the viewer should stop (idle exit); checked every loop.
  std::function<bool()> should_exit;
};

// The SDL main thread: one window, a streaming texture updated only where frames
// changed, presented at most once per display refresh; input sent the moment it happens.
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
  void send_pointer(int x, int y);

  FrameStore& store_;
  ViewerLink& link_;
  std::string last_clipboard_;  // what went either way last: no echo
  WindowOptions opts_;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  SDL_Cursor* cursor_ = nullptr;
  int fb_w_ = 0, fb_h_ = 0;
  Uint32 wake_event_ = 0;
  std::atomic<bool> wake_pending_{false};
  KeyTranslator keys_;
  std::uint32_t buttons_ = 0;
  int pointer_x_ = 0, pointer_y_ = 0;
  bool quit_ = false;
};

}  // namespace rd
