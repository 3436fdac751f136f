#pragma once
#include <string>

namespace rd {

// Asks for a password on the terminal (/dev/tty), without echo; empty when there is no
// terminal or nothing was typed.
std::string prompt_password(const std::string& where);

}  // namespace rd
