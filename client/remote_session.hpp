#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "client/frame_store.hpp"
#include "client/viewer_link.hpp"

namespace rd {

// A connected session as the viewer's main loop sees it, native or RFB: a network
// thread that fills the FrameStore, a link for input, and what to report at the end.
class RemoteSession {
 public:
  virtual ~RemoteSession() = default;
  virtual int width() const = 0;  // at connection time; Resize may change it later
  virtual int height() const = 0;
  virtual std::string name() const = 0;
  virtual std::string encoding() const = 0;
  virtual ViewerLink& link() = 0;
  // Starts the network thread, which runs until the stream ends or stop() is called.
  virtual void start(FrameStore& store) = 0;
  // Ends the session (a goodbye where the protocol has one) and joins the thread.
  virtual void stop(bool say_goodbye) = 0;
  virtual std::uint64_t bytes_received() const = 0;
  virtual std::uint64_t bytes_sent() const = 0;
  // Protocol-specific figures for the stats file.
  virtual nlohmann::json stats() const = 0;
};

}  // namespace rd
