#include "server/apps/app.hpp"

namespace rd {

std::unique_ptr<App> make_desktop_app(int w, int h);
std::unique_ptr<App> make_terminal_app(int w, int h);
std::unique_ptr<App> make_photo_app(int w, int h);
std::unique_ptr<App> make_video_app(int w, int h);

const std::vector<AppInfo>& list_apps() {
  static const std::vector<AppInfo> apps = {
      {"desktop", "overlapping windows, buttons, a text field that echoes keys, draggable windows, an animated graph"},
      {"terminal", "a shell session: scrolling command output, then a prompt that echoes typing"},
      {"photo", "a slideshow of generated landscapes with cross-fades; arrows, click or wheel change slides"},
      {"video", "full-motion content over most of the screen with a player's control bar"},
  };
  return apps;
}

std::unique_ptr<App> make_app(const std::string& name, int w, int h) {
  if (name == "desktop") return make_desktop_app(w, h);
  if (name == "terminal") return make_terminal_app(w, h);
  if (name == "photo") return make_photo_app(w, h);
  if (name == "video") return make_video_app(w, h);
  return nullptr;
}

}  // namespace rd
