#pragma once
#include <optional>
#include <vector>

#include "codecs/surface.hpp"
#include "protocol/messages.hpp"

namespace rd {

// Scroll detection from pixels, for any source (a Canvas app, an X capture): which rows
// of `box` in `now` were somewhere else in `before`, shifted vertically. Each row of
// the box is hashed in both images (XXH3 over the box's width); rows that changed in
// place and whose new content is a row found exactly once in `before` vote for a shift;
// the best-supported shifts (up to three, each backed by at least `min_rows` rows) give
// the runs of consecutive rows that moved by them. Runs shorter than `min_rows` are not
// worth a copy. The copies are in the order to apply them, each as if through a
// temporary; rows that still differ afterwards go as tiles, so a hash collision costs
// bytes, never correctness.
std::vector<CopyRectMsg> detect_vertical_scroll(const Surface& before, const Surface& now, const Rect& box, int min_rows = 8);

// Move detection, for what vertical scroll detection cannot find: a window dragged by a
// few pixels both ways. Short distinctive row pieces of `now` inside `box` that changed
// in place vote for every shift (dx, dy) up to `range` pixels at which `before` holds
// them; around the pieces of the winning shift a rectangle is grown while `now` equals
// `before` shifted (rows, then columns, then rows again). The largest such rectangle of
// at least `min_area` pixels is the copy. Its pixels are verified, so it is exact.
std::optional<CopyRectMsg> detect_move(const Surface& before, const Surface& now, const Rect& box, int range = 16,
                                       int min_area = 64 * 32);

// Motion goes on: a window dragged keeps moving by about the same step, a scrolling
// terminal keeps scrolling by the same lines. Given a copy of the last update, the same
// shift is tried at the same place (a scroll region) and one step further (a moving
// window), clipped to `box`; a candidate is verified row by row against the pixels and
// taken when it is useful (some row of it differs in place) and every row matches for
// a vertical shift (a scroll is rigid; a near miss is left to the scroll search, which
// finds exact runs), at least 15 of 16 rows for a move (a window may animate inside). A
// move's candidate first loses the edge columns and rows that no longer hold the shift (a
// window dragged under another one). The larger verified candidate is returned, a vertical one extended
// over the rows above and below that still match (a terminal filling up). Rows that do
// not match are compared and sent as tiles afterwards like any other (a window moving
// with its content animated), so a wrong guess costs bytes, never correctness.
std::optional<CopyRectMsg> repeat_copy(const Surface& before, const Surface& now, const Rect& box, const CopyRectMsg& last,
                                       int min_area = 64 * 32);

}  // namespace rd
