#pragma once
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "protocol/messages.hpp"
#include "server/canvas.hpp"

namespace rd {

// A built-in demo application. It draws only through the Canvas and is deterministic:
// frame i of its script always draws the same pixels, whatever the timing.
class App {
 public:
  virtual ~App() = default;
  virtual void start(Canvas& c) = 0;              // the first screen
  virtual void frame(Canvas& c, int index) = 0;   // one step of the script
  virtual void key(Canvas&, const KeyEvent&) {}
  virtual void pointer(Canvas&, const PointerEvent&) {}
  virtual void wheel(Canvas&, const WheelEvent&) {}
  // Text a viewer put on the clipboard (UTF-8).
  virtual void clipboard(Canvas&, const std::string& /*utf8*/) {}
  // Text the app copied since the last call, for the session's clipboard.
  virtual std::optional<std::string> take_clipboard() { return std::nullopt; }
  // What a test may want to check (text typed, window positions); written to the stats.
  virtual nlohmann::json state() const { return nlohmann::json::object(); }
};

struct AppInfo {
  std::string name;
  std::string description;
};

const std::vector<AppInfo>& list_apps();
// nullptr when there is no app of that name.
std::unique_ptr<App> make_app(const std::string& name, int width, int height);

}  // namespace rd
