#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "protocol/ops.hpp"

namespace rd {

// One drawing op as the Canvas recorded it, with what the server needs to decide,
// per viewer, whether to send it: where it writes, where it reads, its glyphs.
class LoggedOp {
 public:
  LoggedOp(Op op, Rect bounds, Rect reads, std::vector<std::shared_ptr<const GlyphDefineOp>> glyphs = {});

  const Op& op() const { return op_; }
  Rect bounds() const { return bounds_; }  // pixels it may write (after clipping)
  Rect reads() const { return reads_; }    // pixels it reads elsewhere (CopyArea source)
  const std::vector<std::shared_ptr<const GlyphDefineOp>>& glyphs() const { return glyphs_; }
  // The op as it goes on the wire. A PutImage is recorded with raw pixels and
  // compressed (zstd, lossless) once, the first time a viewer needs it.
  const Op& wire() const;
  // Serialized bytes of wire() (the batch's own compression not counted).
  std::size_t wire_bytes() const;
  std::size_t memory_bytes() const { return memory_; }

 private:
  Op op_;
  Rect bounds_, reads_;
  std::vector<std::shared_ptr<const GlyphDefineOp>> glyphs_;
  std::size_t memory_;
  mutable std::once_flag once_;
  mutable Op wire_;
  mutable std::size_t wire_bytes_ = 0;
};

using LoggedOpPtr = std::shared_ptr<const LoggedOp>;

// The session's op log: every op of every published frame, in order, numbered. A
// viewer of command encoding remembers the number of the first op it has not been
// sent. The log is bounded in memory; a viewer that falls behind its start, or a
// stretch of frames published without ops, gets pixels instead and continues from
// the log's end.
class OpLog {
 public:
  explicit OpLog(std::size_t max_bytes) : max_bytes_(max_bytes) {}
  std::uint64_t end() const { return next_; }
  std::uint64_t start() const { return start_; }
  void append(std::vector<LoggedOpPtr> ops);
  // The screen changed without ops: nothing before this point can be replayed.
  void break_here();
  // Ops [from, end()), or nullopt when `from` is no longer (or was never) in the log.
  std::optional<std::vector<LoggedOpPtr>> since(std::uint64_t from) const;
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t max_bytes_, bytes_ = 0;
  std::uint64_t start_ = 0, next_ = 0;
  std::deque<LoggedOpPtr> ops_;
};

}  // namespace rd
