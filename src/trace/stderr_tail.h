// StderrTail: a thread that reads the traced command's stderr as it comes and keeps its end, for
// the warning about a run that failed.
#pragma once

#include <string>
#include <thread>

#include "fs/unique_fd.h"

namespace ocitools {

class StderrTail {
  public:
    explicit StderrTail(UniqueFd fd) : fd_(std::move(fd)), thread_([this] { run(); }) {}
    ~StderrTail() {
        if (thread_.joinable()) thread_.join();
    }
    StderrTail(const StderrTail&) = delete;
    StderrTail& operator=(const StderrTail&) = delete;

    // Waits for every writer to close the pipe, then gives the last lines (at most 10).
    std::string finish();

  private:
    void run();

    UniqueFd fd_;
    std::string kept_;
    std::thread thread_;  // last: it starts once everything above is set
};

}  // namespace ocitools
