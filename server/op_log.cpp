#include "server/op_log.hpp"

#include "codecs/tile_codec.hpp"

namespace rd {

LoggedOp::LoggedOp(Op op, Rect bounds, Rect reads, std::vector<std::shared_ptr<const GlyphDefineOp>> glyphs)
    : op_(std::move(op)), bounds_(bounds), reads_(reads), glyphs_(std::move(glyphs)) {
  memory_ = sizeof(LoggedOp) + glyphs_.size() * sizeof(void*);
  if (auto* img = std::get_if<PutImageOp>(&op_); img && img->payload) memory_ += img->payload->size();
  if (auto* run = std::get_if<GlyphRunOp>(&op_)) memory_ += run->glyphs.size() * 4;
  if (auto* poly = std::get_if<PolylineOp>(&op_)) memory_ += poly->pts.size() * sizeof(Point);
}

const Op& LoggedOp::wire() const {
  std::call_once(once_, [this] {
    wire_ = op_;
    if (auto* img = std::get_if<PutImageOp>(&wire_); img && img->codec == TileCodec::Raw && img->payload) {
      PixelView v{img->payload->data(), img->r.w * 4, img->r.w, img->r.h};
      img->codec = TileCodec::Zstd;
      img->payload = std::make_shared<const Bytes>(encode_zstd(v, 1));
    }
    Bytes tmp;
    OpStreamState st;
    serialize_op(tmp, wire_, st);
    wire_bytes_ = tmp.size();
  });
  return wire_;
}

std::size_t LoggedOp::wire_bytes() const {
  wire();
  return wire_bytes_;
}

void OpLog::append(std::vector<LoggedOpPtr> ops) {
  for (auto& op : ops) {
    bytes_ += op->memory_bytes();
    ops_.push_back(std::move(op));
    ++next_;
  }
  while (bytes_ > max_bytes_ && !ops_.empty()) {
    bytes_ -= ops_.front()->memory_bytes();
    ops_.pop_front();
    ++start_;
  }
}

void OpLog::break_here() {
  ops_.clear();
  bytes_ = 0;
  // Skip a number, so that a viewer positioned at the old end is now outside the log.
  next_ += 1;
  start_ = next_;
}

std::optional<std::vector<LoggedOpPtr>> OpLog::since(std::uint64_t from) const {
  if (from < start_ || from > next_) return std::nullopt;
  return std::vector<LoggedOpPtr>(ops_.begin() + static_cast<std::ptrdiff_t>(from - start_), ops_.end());
}

}  // namespace rd
