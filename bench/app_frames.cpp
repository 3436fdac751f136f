#include "bench/app_frames.hpp"

#include <stdexcept>

namespace rd::bench {

AppFrames::AppFrames(const std::string& app, int w, int h)
    : surface_(w, h), fonts_(default_font_dir()), app_(make_app(app, w, h)) {
  if (!app_) throw std::invalid_argument("no app named " + app);
  canvas_ = std::make_unique<Canvas>(surface_, fonts_);
  grid_.reset(surface_);
}

std::vector<int> AppFrames::next() {
  if (index_ < 0) app_->start(*canvas_);
  else app_->frame(*canvas_, index_);
  ++index_;
  last_damage_ = canvas_->take_damage();
  return grid_.update(surface_, last_damage_);
}

}  // namespace rd::bench
