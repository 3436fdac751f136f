#include "server/session.hpp"

#include <algorithm>
#include <atomic>

namespace rd {

thread_local Session::Delivery Session::delivery_;

Session::Session(int w, int h, std::string name) : name_(std::move(name)), surface_(w, h) {
  grid_.reset(surface_);
  versions_.assign(static_cast<std::size_t>(grid_.count()), 1);
  version_counter_ = 1;
}

void Session::publish(const Surface& frame, const Region& damage, std::optional<std::vector<LoggedOpPtr>> ops,
                      std::uint64_t inputs_applied) {
  std::vector<int> changed;
  if (!damage.empty()) changed = grid_.update(frame, damage);
  if (recorder_ && !changed.empty()) {
    std::vector<Rect> rects;
    rects.reserve(changed.size());
    for (int i : changed) rects.push_back(grid_.tile_rect(i));
    recorder_->published(frame, rects, ops ? &*ops : nullptr);
  }
  bool input_news = false;
  {
    std::lock_guard lk(mu_);
    ++commits_;
    if (inputs_applied > inputs_applied_) {
      inputs_applied_ = inputs_applied;
      input_news = true;
    }
    // The log must explain every change of the screen: ops that changed nothing are
    // not worth sending, and changes without ops make the log unusable up to here.
    if (!changed.empty()) {
      if (ops) op_log_.append(std::move(*ops));
      else op_log_.break_here();
    }
    for (int i : changed) {
      surface_.copy_rect_from(frame, grid_.tile_rect(i));
      versions_[static_cast<std::size_t>(i)] = ++version_counter_;
    }
    tiles_changed_ += changed.size();
    if (!changed.empty()) ++changing_commits_;
  }
  // Input that changed nothing still gets its answer: an empty frame that carries its id.
  if (!changed.empty() || input_news) notify();
}

void Session::inputs_applied(std::uint64_t serial) {
  {
    std::lock_guard lk(mu_);
    if (serial <= inputs_applied_) return;
    inputs_applied_ = serial;
  }
  notify();
}

std::shared_ptr<const Surface> Session::snapshot_locked() {
  for (const Snapshot& s : snapshots_)
    if (s.geometry == geometry_epoch_ && s.version == version_counter_) return s.surface;
  // The pool holds the only reference to a surface nobody uses (and only this code,
  // under the lock, hands out new ones): that one may change.
  Snapshot* reuse = nullptr;
  for (Snapshot& s : snapshots_)
    if (s.surface.use_count() == 1 && s.geometry == geometry_epoch_ && (!reuse || s.version > reuse->version)) reuse = &s;
  if (reuse) {
    // The holders that let go of it may have done so on other threads: see their last
    // reads of it before writing.
    std::atomic_thread_fence(std::memory_order_acquire);
    // Stretches of tiles changed since it was made, along each tile row.
    for (int ty = 0; ty < grid_.rows(); ++ty)
      for (int tx = 0; tx < grid_.cols();) {
        auto newer = [&](int x) { return versions_[static_cast<std::size_t>(ty * grid_.cols() + x)] > reuse->version; };
        if (!newer(tx)) {
          ++tx;
          continue;
        }
        int start = tx;
        while (tx < grid_.cols() && newer(tx)) ++tx;
        reuse->surface->copy_rect_from(surface_, grid_.tile_rect(ty * grid_.cols() + start).united(grid_.tile_rect(ty * grid_.cols() + tx - 1)));
      }
    reuse->version = version_counter_;
    return reuse->surface;
  }
  std::erase_if(snapshots_, [&](const Snapshot& s) { return s.geometry != geometry_epoch_ && s.surface.use_count() == 1; });
  auto fresh = std::make_shared<Surface>(surface_);
  ++snapshots_made_;
  // Always pooled, so that other viewers asking for this frame share it: a full pool
  // gives up its oldest entry (whose holders keep it as long as they need it).
  if (snapshots_.size() >= kSnapshotsPooled)
    snapshots_.erase(std::min_element(snapshots_.begin(), snapshots_.end(),
                                      [](const Snapshot& a, const Snapshot& b) { return a.version < b.version; }));
  snapshots_.push_back({fresh, version_counter_, geometry_epoch_});
  return fresh;
}

void Session::resize(int w, int h) {
  {
    std::lock_guard lk(mu_);
    op_log_.break_here();
    surface_.resize(w, h);
    grid_.reset(surface_);
    black_version_ = ++version_counter_;
    versions_.assign(static_cast<std::size_t>(grid_.count()), black_version_);
    ++geometry_epoch_;
  }
  if (recorder_) recorder_->resized(w, h);
  notify();
}

void Session::set_cursor(CursorShape shape) {
  {
    std::lock_guard lk(aux_mu_);
    cursor_ = std::move(shape);
    ++cursor_epoch_;
  }
  notify();
}

void Session::set_clipboard(std::string utf8, int origin) {
  {
    std::lock_guard lk(aux_mu_);
    clipboard_.text = std::move(utf8);
    clipboard_.origin = origin;
    ++clipboard_.epoch;
  }
  if (origin != 0 && sink_) sink_->on_clipboard(clipboard().text);
  notify();
}

Session::Clipboard Session::clipboard() const {
  std::lock_guard lk(aux_mu_);
  return clipboard_;
}

std::uint64_t Session::cursor_epoch() const {
  std::lock_guard lk(aux_mu_);
  return cursor_epoch_;
}

CursorShape Session::cursor() const {
  std::lock_guard lk(aux_mu_);
  return cursor_;
}

std::uint64_t Session::commits() const {
  std::lock_guard lk(mu_);
  return commits_;
}

std::uint64_t Session::tiles_changed() const {
  std::lock_guard lk(mu_);
  return tiles_changed_;
}

std::uint64_t Session::snapshots_made() const {
  std::lock_guard lk(mu_);
  return snapshots_made_;
}

std::uint64_t Session::changing_commits() const {
  std::lock_guard lk(mu_);
  return changing_commits_;
}

void Session::viewer_joined(bool wants_ops) {
  ++viewers_;
  if (wants_ops) ++ops_viewers_;
  if (on_viewers_) on_viewers_();
}

void Session::viewer_left(bool wanted_ops) {
  --viewers_;
  if (wanted_ops) --ops_viewers_;
  if (sink_) sink_->on_viewer_left();
  if (on_viewers_) on_viewers_();
}

void Session::notify() {
  if (on_change_) on_change_();
}

}  // namespace rd
