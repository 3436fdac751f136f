#pragma once
#include <memory>
#include <string>
#include <vector>

#include "codecs/surface.hpp"
#include "codecs/tile_grid.hpp"
#include "server/apps/app.hpp"
#include "codecs/font.hpp"

namespace rd::bench {

// Drives a demo app in-process, exactly as the server's app thread does, and yields the
// tiles each frame changed: the input every pixel encoder sees.
class AppFrames {
 public:
  AppFrames(const std::string& app, int w, int h);
  // Runs the next script frame (the first call draws the start screen); returns the
  // indexes of the tiles whose pixels changed.
  std::vector<int> next();
  const Surface& surface() const { return surface_; }
  const TileGrid& grid() const { return grid_; }
  Region last_damage() const { return last_damage_; }

 private:
  Surface surface_;
  FontCache fonts_;
  std::unique_ptr<App> app_;
  std::unique_ptr<Canvas> canvas_;
  TileGrid grid_;
  Region last_damage_;
  int index_ = -1;
};

}  // namespace rd::bench
