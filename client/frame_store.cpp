#include "client/frame_store.hpp"

#include <algorithm>
#include <climits>

namespace rd {

void FrameStore::reset(int w, int h) {
  {
    std::lock_guard lk(mu_);
    present_ = Surface(w, h);
    dirty_.clear();
    dirty_.add(present_.bounds());
    resized_ = true;
    changed_ = true;
  }
  changed();
}

void FrameStore::publish(const Surface& decoded, const Region& region, std::vector<std::uint64_t> answered) {
  {
    std::lock_guard lk(mu_);
    answered_.insert(answered_.end(), answered.begin(), answered.end());
    for (const Rect& r : region.rects()) present_.copy_rect_from(decoded, r);
    dirty_.add(region);
    ++frames_;
    last_frame_ = Clock::now();
    changed_ = true;
  }
  changed();
}

void FrameStore::set_cursor(CursorShape c) {
  {
    std::lock_guard lk(mu_);
    cursor_ = std::move(c);
    changed_ = true;
  }
  changed();
}

void FrameStore::set_clipboard(std::string utf8) {
  {
    std::lock_guard lk(mu_);
    last_clipboard_ = utf8;
    clipboard_ = std::move(utf8);
    changed_ = true;
  }
  changed();
}

void FrameStore::set_status(std::string status) {
  {
    std::lock_guard lk(mu_);
    if (status == last_status_) return;
    last_status_ = status;
    status_ = std::move(status);
    changed_ = true;
  }
  changed();
}

std::string FrameStore::status() const {
  std::lock_guard lk(mu_);
  return last_status_;
}

void FrameStore::shown(const Update& u) {
  if (u.answered.empty()) return;
  std::uint64_t t = now_us();
  for (std::uint64_t sent : u.answered) metrics_.input_shown(static_cast<std::uint32_t>(std::min<std::uint64_t>(t - std::min(t, sent), UINT32_MAX)));
}

std::string FrameStore::last_clipboard() const {
  std::lock_guard lk(mu_);
  return last_clipboard_;
}

void FrameStore::finish(std::string reason, bool error) {
  {
    std::lock_guard lk(mu_);
    if (finished_) return;
    finished_ = true;
    error_ = error;
    reason_ = std::move(reason);
    changed_ = true;
  }
  changed();
}

void FrameStore::changed() {
  cv_.notify_all();
  if (listener_) listener_();
}

bool FrameStore::wait(Clock::time_point deadline) {
  std::unique_lock lk(mu_);
  return cv_.wait_until(lk, deadline, [&] { return changed_; });
}

FrameStore::Update FrameStore::take() {
  std::lock_guard lk(mu_);
  Update u;
  u.resized = resized_;
  u.dirty = std::move(dirty_);
  dirty_.clear();
  u.cursor = std::move(cursor_);
  cursor_.reset();
  u.clipboard = std::move(clipboard_);
  clipboard_.reset();
  u.status = std::move(status_);
  status_.reset();
  u.answered = std::move(answered_);
  answered_.clear();
  resized_ = false;
  changed_ = false;
  return u;
}

std::uint64_t FrameStore::frames() const {
  std::lock_guard lk(mu_);
  return frames_;
}

std::optional<Clock::time_point> FrameStore::last_frame_time() const {
  std::lock_guard lk(mu_);
  return last_frame_;
}

bool FrameStore::finished() const {
  std::lock_guard lk(mu_);
  return finished_;
}

std::string FrameStore::finish_reason() const {
  std::lock_guard lk(mu_);
  return reason_;
}

bool FrameStore::finished_with_error() const {
  std::lock_guard lk(mu_);
  return error_;
}

Surface FrameStore::snapshot() const {
  std::lock_guard lk(mu_);
  return present_;
}

}  // namespace rd
