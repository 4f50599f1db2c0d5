#include "phase_time.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>

namespace ocitools {

namespace {

double now_ms(clockid_t clock) {
    struct timespec t {};
    clock_gettime(clock, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

bool enabled() {
    static const bool on = [] {
        const char* debug = std::getenv("OCITOOLS_DEBUG");
        return debug && std::string_view(debug).find("time") != std::string_view::npos;
    }();
    return on;
}

// The process's start: its CPU clock counts from its exec, so "now - cpu time" is close to it
// on a core that was free (the time before main() that the process spent waiting is missed).
double start_ms() {
    return now_ms(CLOCK_MONOTONIC) - now_ms(CLOCK_PROCESS_CPUTIME_ID);
}

}  // namespace

void phase_done(std::string_view phase) {
    if (!enabled()) return;
    static std::mutex mutex;
    static double last = start_ms();
    std::lock_guard lock(mutex);
    const double now = now_ms(CLOCK_MONOTONIC);
    std::fprintf(stderr, "ocitools: time: %-24.*s %7.2f ms\n", static_cast<int>(phase.size()),
                 phase.data(), now - last);
    last = now;
}

}  // namespace ocitools
