#pragma once
#include <cstdarg>
#include <cstdio>
#include <string>

namespace rd {

// One log line from a printf-style C library callback: formatted, trailing newlines cut.
inline std::string printf_line(const char* fmt, va_list ap) {
  char buf[1024];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string s(buf);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

}  // namespace rd
