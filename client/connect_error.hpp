#pragma once
#include <stdexcept>

namespace rd {

// A failure the user should read as one line: cannot connect, refused, wrong password,
// version mismatch.
class ConnectError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace rd
