#pragma once
#include <memory>
#include <string>

#include "codecs/session_trace.hpp"
#include "server/apps/app.hpp"

namespace rd {

// rdisplay-server --play FILE: a recorded trace as the session's app. Each script frame
// replays the next publish of the recording (its records with one time stamp) through
// the Canvas, so that every encoder gets it as the recorded source published it: ops
// stay ops, pixels become images. After the last one the screen stays as it is.
// Throws (no file, not a trace) before anything runs; `header` gets the trace's size.
std::unique_ptr<App> make_trace_app(const std::string& path, TraceHeader& header);

}  // namespace rd
