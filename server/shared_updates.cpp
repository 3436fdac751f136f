#include "server/shared_updates.hpp"

#include <algorithm>

namespace rd {

SharedUpdates::Claim SharedUpdates::claim(const Key& key, std::shared_ptr<const SharedUpdate>& ready, Waiter waiter) {
  std::lock_guard lk(mu_);
  for (Entry& e : entries_) {
    if (!(e.key == key)) continue;
    if (e.update) {
      ++reused_;
      ready = e.update;
      return Claim::Ready;
    }
    e.waiters.push_back(std::move(waiter));
    return Claim::Waiting;
  }
  // Forget the oldest finished update; one being made stays until it is fulfilled.
  if (entries_.size() >= kKept) {
    auto old = std::find_if(entries_.begin(), entries_.end(), [](const Entry& e) { return e.update != nullptr; });
    if (old != entries_.end()) entries_.erase(old);
  }
  entries_.push_back({key, nullptr, {}});
  return Claim::Maker;
}

void SharedUpdates::fulfil(const Key& key, std::shared_ptr<const SharedUpdate> update) {
  std::vector<Waiter> waiters;
  {
    std::lock_guard lk(mu_);
    auto it = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& e) { return e.key == key && !e.update; });
    if (it == entries_.end()) return;
    waiters = std::move(it->waiters);
    it->waiters.clear();
    if (update) {
      it->update = update;
      ++made_;
      reused_ += waiters.size();
    } else {
      entries_.erase(it);  // the next viewer to need it tries again
    }
  }
  for (Waiter& w : waiters) w(update);
}

std::uint64_t SharedUpdates::made() const {
  std::lock_guard lk(mu_);
  return made_;
}

std::uint64_t SharedUpdates::reused() const {
  std::lock_guard lk(mu_);
  return reused_;
}

}  // namespace rd
