#pragma once

namespace rd {

// CPU seconds (user + system) this process has used so far.
double process_cpu_seconds();
// Peak resident set size of this process in KiB (VmHWM), and the current one (VmRSS).
long peak_rss_kib();
long current_rss_kib();

}  // namespace rd
