#include "rootfs/writer_pool.h"

#include <fcntl.h>

#include <cerrno>
#include <system_error>

#include "base/cancel.h"
#include "base/error.h"
#include "base/parallel.h"
#include "rootfs/beneath.h"

namespace ocitools {

namespace {

// Files handed over at once: few enough that the workers start early, enough that they seldom
// wait on the queue's lock.
constexpr size_t kBatch = 32;

}  // namespace

WriterPool::WriterPool(int root, bool hardlink, unsigned jobs, Progress* progress)
    : root_(root), hardlink_(hardlink), jobs_(worker_threads(jobs)), progress_(progress) {}

WriterPool::~WriterPool() {
    if (threads_.empty()) return;
    fail(0, nullptr);
    close_queue();
    for (auto& t : threads_) t.join();
}

void WriterPool::start() {
    for (unsigned i = 1; i < jobs_; ++i) {
        try {
            threads_.emplace_back([this] { work(); });
        } catch (const std::system_error&) {
            break;  // fewer threads: the same result
        }
    }
}

void WriterPool::add(FileJob job) {
    job.seq = files_added_++;
    batch_.push_back(std::move(job));
    if (progress_) progress_->add_files(1);
    if (batch_.size() >= kBatch) publish();
}

WriteStats WriterPool::finish() {
    publish();
    close_queue();
    work();
    for (auto& t : threads_) t.join();
    threads_.clear();
    if (error_) std::rethrow_exception(error_);
    return stats_;
}

void WriterPool::publish() {
    if (batch_.empty()) return;
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(std::move(batch_));
    }
    batch_ = {};
    batch_.reserve(kBatch);
    ready_.notify_one();
}

void WriterPool::close_queue() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    ready_.notify_all();
}

// The error thrown is that of the first failing file in plan order, whatever the threads did:
// after a failure, files that come later in the plan are skipped, earlier ones are still written
// (and may fail first). A cancel stops everything.
void WriterPool::work() noexcept {
    WriteStats mine;
    Directory dir;
    SourceDirectory sources;
    for (;;) {
        std::vector<FileJob> batch;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return !queue_.empty() || closed_; });
            if (queue_.empty()) break;
            batch = std::move(queue_.front());
            queue_.pop_front();
        }
        for (const FileJob& job : batch) {
            if (job.seq > first_failed_) break;
            try {
                write_file(job, dir, sources, mine);
            } catch (const Cancelled&) {
                fail(0, std::current_exception());
            } catch (...) {
                fail(job.seq, std::current_exception());
            }
        }
    }
    std::lock_guard lock(mutex_);
    stats_.add(mine);
}

void WriterPool::fail(size_t seq, std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    if (seq >= first_failed_) return;
    first_failed_ = seq;
    error_ = std::move(error);
}

void WriterPool::write_file(const FileJob& job, Directory& dir, SourceDirectory& sources,
                            WriteStats& stats) {
    throw_if_cancelled();
    const PathSplit split = split_last(strip_root(*job.dest));
    if (!dir.fd || dir.path != split.dir) {
        // Opened beneath the rootfs with no symlink on the way; each file is then created in it
        // by its name alone.
        dir.fd.reset();  // a failed open must not leave the last directory's under the new name
        dir.path.assign(split.dir);
        dir.fd = open_rootfs_dir(root_, dir.path);
    }
    const std::string name(split.name);
    ++stats.files;
    struct stat st {};
    if (hardlink_ && link_file_job(job, sources, dir.fd.get(), name, st, stats)) {
        ++stats.linked;
    } else {
        UniqueFd in = job.entry ? open_planned_file(*job.entry, sources, st)
                                : open_source(*job.source, st);
        stats.bytes_copied += copy_file_job(dir.fd.get(), name, in.get(), st, job);
    }
    if (progress_) progress_->file_done(static_cast<std::uint64_t>(st.st_size));
}

}  // namespace ocitools
