#include "server/trace_recorder.hpp"

#include <spdlog/spdlog.h>

#include "common/clock.hpp"

namespace rd {

TraceRecorder::TraceRecorder(const std::string& path, int w, int h, const std::string& name)
    : writer_(path, TraceHeader{w, h, name}), path_(path), start_us_(now_us()) {}

std::uint64_t TraceRecorder::now() const { return now_us() - start_us_; }

void TraceRecorder::published(const Surface& frame, const std::vector<Rect>& changed, const std::vector<LoggedOpPtr>* ops) {
  std::lock_guard lk(mu_);
  if (closed_) return;
  try {
    const std::uint64_t t = now();
    if (ops) {
      TraceRecord r;
      r.kind = TraceRecord::Ops;
      r.t_us = t;
      for (const LoggedOpPtr& op : *ops) {
        for (const auto& g : op->glyphs())
          if (glyphs_defined_.insert(g->id).second) r.ops.push_back(*g);
        r.ops.push_back(op->op());
      }
      writer_.write(r);
      ++ops_records_;
      return;
    }
    // Pixels: the changed tiles, merged into runs along each tile row.
    for (std::size_t i = 0; i < changed.size();) {
      Rect run = changed[i++];
      while (i < changed.size() && changed[i].y == run.y && changed[i].h == run.h && changed[i].x == run.right()) run = run.united(changed[i++]);
      writer_.write_pixels(t, frame, run);
      ++pixel_records_;
    }
  } catch (const std::exception& e) {
    // A full disk must not stop the session: the trace ends here, with a line saying so.
    error_ = e.what();
    closed_ = true;
    spdlog::error("recording stopped: {}", e.what());
  }
}

void TraceRecorder::resized(int w, int h) {
  std::lock_guard lk(mu_);
  if (closed_) return;
  TraceRecord r;
  r.kind = TraceRecord::Resize;
  r.t_us = now();
  r.w = w;
  r.h = h;
  try {
    writer_.write(r);
  } catch (const std::exception& e) {
    error_ = e.what();
    closed_ = true;
    spdlog::error("recording stopped: {}", e.what());
  }
}

void TraceRecorder::close() {
  std::lock_guard lk(mu_);
  if (!closed_) {
    closed_ = true;
    try {
      writer_.close();
    } catch (const std::exception& e) {
      error_ = e.what();
      spdlog::error("recording: {}", e.what());
    }
  }
}

nlohmann::json TraceRecorder::stats() const {
  std::lock_guard lk(mu_);
  nlohmann::json j = {{"file", path_},
                      {"ops_records", ops_records_},
                      {"pixel_records", pixel_records_},
                      {"glyphs", glyphs_defined_.size()},
                      {"compressed_bytes", writer_.compressed_bytes()}};
  if (!error_.empty()) j["error"] = error_;
  return j;
}

}  // namespace rd
