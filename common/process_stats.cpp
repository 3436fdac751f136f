#include "common/process_stats.hpp"

#include <sys/resource.h>

#include <fstream>
#include <string>

namespace rd {

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static long status_field_kib(const char* field) {
  std::ifstream f("/proc/self/status");
  std::string line;
  std::string key = std::string(field) + ":";
  while (std::getline(f, line))
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(key.size()));
  return -1;
}

long peak_rss_kib() { return status_field_kib("VmHWM"); }
long current_rss_kib() { return status_field_kib("VmRSS"); }

}  // namespace rd
