#pragma once
#include <sys/types.h>

namespace rd {

// CPU seconds (user + system) this process has used so far.
double process_cpu_seconds();
// CPU seconds (user + system) another process has used, from /proc/PID/stat (0 if gone).
double cpu_seconds_of(pid_t pid);
// Peak resident set size of this process in KiB (VmHWM), and the current one (VmRSS).
long peak_rss_kib();
long current_rss_kib();
// Another process's peak resident set size in KiB (-1 if gone).
long peak_rss_kib_of(pid_t pid);

}  // namespace rd
