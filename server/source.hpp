#pragma once
#include <nlohmann/json.hpp>

#include "server/session.hpp"

namespace rd {

// What fills a session: a built-in app (AppRunner) or an X display (X11Source). Runs on
// its own thread between start() and stop(); takes viewers' input as an InputSink.
class Source : public InputSink {
 public:
  virtual void start() = 0;
  virtual void stop() = 0;
  // The number of viewers changed (AppRunner may be waiting for the first one).
  virtual void viewers_changed() {}
  // Figures for the stats file, under the source's own key.
  virtual nlohmann::json stats() const = 0;
};

}  // namespace rd
