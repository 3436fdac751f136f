#include "client/password_prompt.hpp"

#include <termios.h>

#include <cstdio>

namespace rd {

std::string prompt_password(const std::string& where) {
  FILE* tty = std::fopen("/dev/tty", "r+");
  if (!tty) return {};
  std::fprintf(tty, "Password for %s: ", where.c_str());
  std::fflush(tty);
  termios old{}, quiet{};
  tcgetattr(fileno(tty), &old);
  quiet = old;
  quiet.c_lflag &= static_cast<tcflag_t>(~ECHO);
  tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
  char line[256] = {};
  if (!std::fgets(line, sizeof line, tty)) line[0] = 0;
  tcsetattr(fileno(tty), TCSAFLUSH, &old);
  std::fprintf(tty, "\n");
  std::fclose(tty);
  std::string p(line);
  while (!p.empty() && (p.back() == '\n' || p.back() == '\r')) p.pop_back();
  return p;
}

}  // namespace rd
