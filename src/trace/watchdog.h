// Watchdog: a thread beside the tracer that ends the traced run when its time is up or a cancel
// is asked for. Init's death takes the run's whole pid namespace; the tracer's loop then sees its
// processes die.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace ocitools {

class Watchdog {
  public:
    Watchdog(double seconds, pid_t sandbox);
    ~Watchdog();
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    void set_init(pid_t init) { init_.store(init); }
    bool timed_out() const { return timed_out_.load(); }

  private:
    void run();

    std::chrono::steady_clock::time_point deadline_;
    pid_t sandbox_;
    std::atomic<pid_t> init_{0};
    std::atomic<bool> timed_out_{false};
    bool killed_ = false;
    std::chrono::steady_clock::time_point killed_at_;
    bool stop_ = false;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::thread thread_;  // last: it starts once everything above is set
};

}  // namespace ocitools
