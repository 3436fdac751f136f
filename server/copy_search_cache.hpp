#pragma once
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "protocol/messages.hpp"

namespace rd {

// The copies (scrolls, moved windows) the search found between two frames of the
// session, shared by all pixel viewers. A crowd of viewers in step goes between the
// same frames, and the search depends only on them: one viewer searches, the others
// reuse what it found. Thread-safe (encoder workers of all viewers use it); it keeps
// the last few pairs only, since viewers in step stay within a frame or two.
class CopySearchCache {
 public:
  // A frame of the session: its content version under a geometry epoch.
  struct Frame {
    std::uint64_t geometry = 0, version = 0;
    bool operator==(const Frame&) const = default;
  };

  std::optional<std::vector<CopyRectMsg>> find(const Frame& from, const Frame& to) {
    std::lock_guard lk(mu_);
    for (const Entry& e : entries_)
      if (e.from == from && e.to == to) {
        ++hits_;
        return e.copies;
      }
    ++misses_;
    return std::nullopt;
  }
  void insert(const Frame& from, const Frame& to, std::vector<CopyRectMsg> copies) {
    std::lock_guard lk(mu_);
    for (const Entry& e : entries_)
      if (e.from == from && e.to == to) return;
    if (entries_.size() >= kEntries) entries_.pop_front();
    entries_.push_back({from, to, std::move(copies)});
  }
  std::uint64_t hits() const {
    std::lock_guard lk(mu_);
    return hits_;
  }
  std::uint64_t misses() const {
    std::lock_guard lk(mu_);
    return misses_;
  }

 private:
  static constexpr std::size_t kEntries = 32;
  struct Entry {
    Frame from, to;
    std::vector<CopyRectMsg> copies;
  };
  mutable std::mutex mu_;
  std::deque<Entry> entries_;
  std::uint64_t hits_ = 0, misses_ = 0;
};

}  // namespace rd
