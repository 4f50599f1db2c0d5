#include "trace/watchdog.h"

#include <csignal>

#include "base/cancel.h"

namespace ocitools {

Watchdog::Watchdog(double seconds, pid_t sandbox)
    : deadline_(std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(seconds))),
      sandbox_(sandbox),
      thread_([this] { run(); }) {}

Watchdog::~Watchdog() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void Watchdog::run() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
        wake_.wait_for(lock, std::chrono::milliseconds(20));
        if (stop_) continue;
        const auto now = std::chrono::steady_clock::now();
        if (killed_) {
            // Whatever still keeps the tracer waiting two seconds after init's death goes with
            // the sandbox.
            if (now >= killed_at_ + std::chrono::seconds(2)) kill(sandbox_, SIGKILL);
            continue;
        }
        const bool late = now >= deadline_;
        if (!late && cancel_signal() == 0) continue;
        timed_out_.store(late);
        killed_ = true;
        killed_at_ = now;
        // Init's death takes its whole pid namespace, and the sandbox stays for the tracer to
        // read what the run wrote. Before init exists, the sandbox's death takes init
        // (PR_SET_PDEATHSIG) if it is being born.
        if (const pid_t init = init_.load(); init > 0)
            kill(init, SIGKILL);
        else
            kill(sandbox_, SIGKILL);
    }
}

}  // namespace ocitools
