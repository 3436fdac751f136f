#pragma once
#include <cstdint>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_set>

#include "codecs/session_trace.hpp"
#include "server/session.hpp"

namespace rd {

// rdisplay-server --record FILE: writes every change of the session to a trace
// (codecs/session_trace.hpp) as it is published: a Canvas app's drawing ops, each
// glyph defined once before its first use, or else the pixels of the changed tiles
// (merged along tile rows). Times are from the recorder's creation.
class TraceRecorder : public PublishRecorder {
 public:
  TraceRecorder(const std::string& path, int w, int h, const std::string& name);
  void published(const Surface& frame, const std::vector<Rect>& changed, const std::vector<LoggedOpPtr>* ops) override;
  void resized(int w, int h) override;
  // Ends the file (at exit); later publishes are not recorded.
  void close();
  nlohmann::json stats() const;

 private:
  std::uint64_t now() const;
  mutable std::mutex mu_;  // the source's thread records, the main thread closes
  TraceWriter writer_;
  std::string path_;
  std::uint64_t start_us_;
  std::unordered_set<std::uint32_t> glyphs_defined_;
  std::uint64_t ops_records_ = 0, pixel_records_ = 0;
  bool closed_ = false;
  std::string error_;
};

}  // namespace rd
