#include "base/phase_time.h"

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string_view>

namespace ocitools {

namespace {

double now_ms() {
    struct timespec t {};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<double>(t.tv_sec) * 1e3 + static_cast<double>(t.tv_nsec) / 1e6;
}

bool enabled() {
    static const bool on = [] {
        const char* debug = std::getenv("OCITOOLS_DEBUG");
        return debug && std::string_view(debug).find("time") != std::string_view::npos;
    }();
    return on;
}

std::mutex mutex;
double last = 0;  // when the previous phase ended

}  // namespace

void phase_start() {
    if (!enabled()) return;
    std::lock_guard lock(mutex);
    last = now_ms();
}

void phase_done(std::string_view phase) {
    if (!enabled()) return;
    std::lock_guard lock(mutex);
    const double now = now_ms();
    std::fprintf(stderr, "ocitools: time: %-24.*s %7.2f ms\n", static_cast<int>(phase.size()),
                 phase.data(), now - last);
    last = now;
}

}  // namespace ocitools
