#include "base/progress.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <system_error>

namespace ocitools {

void Progress::start(const std::string& what) {
    finish();
    what_ = what;
    files_total_ = files_done_ = bytes_done_ = 0;
    if (!enabled_) return;
    stop_ = false;
    draw();  // at once: a step that ends before the thread runs has still been shown
    try {
        ticker_ = std::thread([this] {
            std::unique_lock lock(mutex_);
            while (!wake_.wait_for(lock, std::chrono::milliseconds(100), [this] { return stop_; }))
                draw();
        });
    } catch (const std::system_error&) {
        // No thread to spare: the line drawn stays until finish() erases it.
    }
}

void Progress::draw() {
    char line[256];
    const int n = std::snprintf(line, sizeof line, "\r%s: %llu/%llu files, %.1f MiB\033[K",
                                what_.c_str(), static_cast<unsigned long long>(files_done_.load()),
                                static_cast<unsigned long long>(files_total_.load()),
                                static_cast<double>(bytes_done_.load()) / (1 << 20));
    if (n > 0 && ::write(fd_, line, static_cast<size_t>(std::min<int>(n, sizeof line - 1))) > 0)
        drawn_ = true;
}

void Progress::finish() {
    if (ticker_.joinable()) {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        ticker_.join();
    }
    if (drawn_) {
        static constexpr char kErase[] = "\r\033[K";
        (void)!::write(fd_, kErase, sizeof kErase - 1);
        drawn_ = false;
    }
}

}  // namespace ocitools
