#pragma once
#include <cstddef>
#include <list>
#include <unordered_map>
#include <vector>

namespace rd {

// A least-recently-used set of keys under a byte budget, with nothing but the keys:
// the model both ends of a connection run in step, so that the server knows what the
// viewer's cache holds (glyphs by id, tiles by content).
template <class Key>
class LruModel {
 public:
  explicit LruModel(std::size_t budget_bytes) : budget_(budget_bytes) {}

  bool contains(Key k) const { return where_.count(k) != 0; }
  // Marks k as used now; false if it is not held.
  bool touch(Key k) {
    auto it = where_.find(k);
    if (it == where_.end()) return false;
    lru_.splice(lru_.begin(), lru_, it->second);
    return true;
  }
  // Inserts (or re-inserts) k as the most recent entry, evicting least recent entries
  // until the budget holds (never the newest); returns the evicted keys.
  std::vector<Key> insert(Key k, std::size_t bytes) {
    if (auto it = where_.find(k); it != where_.end()) {
      used_ -= it->second->bytes;
      lru_.erase(it->second);
      where_.erase(it);
    }
    lru_.push_front({k, bytes});
    where_[k] = lru_.begin();
    used_ += bytes;
    std::vector<Key> evicted;
    while (used_ > budget_ && lru_.size() > 1) {
      const Entry& last = lru_.back();
      used_ -= last.bytes;
      evicted.push_back(last.key);
      where_.erase(last.key);
      lru_.pop_back();
    }
    return evicted;
  }
  // Keys from the least to the most recently used.
  std::vector<Key> oldest_first() const {
    std::vector<Key> out;
    out.reserve(lru_.size());
    for (auto it = lru_.rbegin(); it != lru_.rend(); ++it) out.push_back(it->key);
    return out;
  }
  std::size_t used_bytes() const { return used_; }
  std::size_t budget() const { return budget_; }
  std::size_t size() const { return where_.size(); }

 private:
  struct Entry {
    Key key;
    std::size_t bytes;
  };
  std::size_t budget_, used_ = 0;
  std::list<Entry> lru_;  // front: most recent
  std::unordered_map<Key, typename std::list<Entry>::iterator> where_;
};

}  // namespace rd
