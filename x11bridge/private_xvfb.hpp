#pragma once
#include <sys/types.h>

#include <string>

namespace rd {

// A private Xvfb for one session: a free display number (chosen by Xvfb through
// -displayfd), Unix socket only. Xvfb's screen can later shrink and grow through
// RandR, but never beyond the size it started with: it starts at the largest size a
// viewer may ask for (at least 3840x2160), and the caller shrinks it to the geometry. The destructor stops it and removes
// its socket and lock file should Xvfb have left them (killed, crashed).
class PrivateXvfb {
 public:
  PrivateXvfb(int max_width, int max_height);  // throws std::runtime_error with the reason
  ~PrivateXvfb();
  PrivateXvfb(const PrivateXvfb&) = delete;
  PrivateXvfb& operator=(const PrivateXvfb&) = delete;

  std::string display() const { return ":" + std::to_string(number_); }
  int number() const { return number_; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int number_ = -1;
};

}  // namespace rd
