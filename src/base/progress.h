// Progress: one line on a terminal (files and bytes done), redrawn ten times a second by a thread
// of its own while a long step runs, and erased when it ends. Workers only bump counters.
// Disabled (the default when stderr is not a terminal), it prints nothing at all.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace ocitools {

class Progress {
  public:
    // Draw on `fd` when `enabled`.
    Progress(int fd, bool enabled) : fd_(fd), enabled_(enabled) {}
    ~Progress() { finish(); }
    Progress(const Progress&) = delete;
    Progress& operator=(const Progress&) = delete;

    // Begin drawing "<what>: F/T files, B MiB"; the counters start at zero.
    void start(const std::string& what);
    void add_files(std::uint64_t n) { files_total_.fetch_add(n, std::memory_order_relaxed); }
    void file_done(std::uint64_t bytes) {
        files_done_.fetch_add(1, std::memory_order_relaxed);
        bytes_done_.fetch_add(bytes, std::memory_order_relaxed);
    }
    // Stop drawing and erase the line. Idempotent.
    void finish();

    std::uint64_t files_done() const { return files_done_.load(); }
    std::uint64_t bytes_done() const { return bytes_done_.load(); }

  private:
    void draw();

    int fd_;
    bool enabled_;
    std::string what_;
    std::atomic<std::uint64_t> files_total_{0}, files_done_{0}, bytes_done_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false;
    bool drawn_ = false;
    std::thread ticker_;
};

}  // namespace ocitools
