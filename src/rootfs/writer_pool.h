// WriterPool: the regular files of a rootfs, and the threads that write them while the caller
// lays out the rest. Files are handed over in batches, in plan order; a file's directory exists
// when it is added (the plan is sorted, and the writer makes a file's parent first), so the
// workers link or copy it at once, while the directories and symlinks that come later in the plan
// are still being made: the two overlap on different cores. The first error stops every thread at
// its next file; finish() throws it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/progress.h"
#include "fs/unique_fd.h"
#include "rootfs/file_job.h"

namespace ocitools {

class WriterPool {
  public:
    // Files go beneath the directory `root` (borrowed); hard-linked when `hardlink` (copied when
    // that fails), by `jobs` threads (0: one per core, at most 8) counting into `progress`.
    WriterPool(int root, bool hardlink, unsigned jobs, Progress* progress);
    WriterPool(const WriterPool&) = delete;
    WriterPool& operator=(const WriterPool&) = delete;
    // After an error in the layout: the workers stop at their next file, and are joined.
    ~WriterPool();

    // Start the workers: all but one of the threads (the caller lays out, then joins them).
    void start();

    void add(FileJob job);

    // Every file is added: write what is left on this thread too, wait for the others, and
    // throw the first error.
    WriteStats finish();

  private:
    // The directory a thread writes into, kept open while its files follow one another.
    struct Directory {
        std::string path;  // relative to the rootfs, "." for "/"
        UniqueFd fd;
    };

    void publish();
    void close_queue();
    void work() noexcept;
    void fail(size_t seq, std::exception_ptr error);
    void write_file(const FileJob& job, Directory& dir, SourceDirectory& sources,
                    WriteStats& stats);

    const int root_;
    const bool hardlink_;
    const unsigned jobs_;
    Progress* const progress_;
    std::vector<FileJob> batch_;  // being filled by the caller's thread
    size_t files_added_ = 0;      // files added so far
    std::vector<std::thread> threads_;
    std::atomic<size_t> first_failed_{SIZE_MAX};  // plan position of the first failure
    std::mutex mutex_;                            // guards what follows
    std::condition_variable ready_;
    std::deque<std::vector<FileJob>> queue_;
    bool closed_ = false;
    std::exception_ptr error_;
    WriteStats stats_;
};

}  // namespace ocitools
