#include "base/cancel.h"

#include <atomic>
#include <cstring>

namespace ocitools {

namespace {
std::atomic<int> requested{0};
}

Cancelled::Cancelled(int signal)
    : Error(std::string("interrupted by signal ") + std::to_string(signal) + " (" +
            strsignal(signal) + "); nothing was written at the output"),
      signal_(signal) {}

void request_cancel(int signal) noexcept {
    requested.store(signal);
}

int cancel_signal() noexcept {
    return requested.load(std::memory_order_relaxed);
}

void throw_if_cancelled() {
    if (const int signal = requested.load(std::memory_order_relaxed); signal != 0)
        throw Cancelled(signal);
}

}  // namespace ocitools
