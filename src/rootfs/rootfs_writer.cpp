#include "rootfs/rootfs_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <cerrno>
#include <exception>
#include <memory>
#include <mutex>
#include <string_view>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/cancel.h"
#include "fs/directory.h"
#include "base/error.h"
#include "base/parallel.h"
#include "base/phase_time.h"
#include "fs/read_symlink.h"
#include "rootfs/file_copy.h"

namespace ocitools {

namespace {

int sys_openat2(int dirfd, const char* path, int flags, mode_t mode, __u64 resolve) {
    open_how how{};
    how.flags = static_cast<__u64>(flags);
    how.mode = mode;
    how.resolve = resolve;
    return static_cast<int>(syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

constexpr __u64 kStrict = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

// "usr/bin/x" for "/usr/bin/x": paths in the plan are absolute; openat2 wants them relative.
std::string relative(const std::string& path) {
    size_t i = 0;
    while (i < path.size() && path[i] == '/') ++i;
    return path.substr(i);
}

void split_last(const std::string& rel, std::string& parent, std::string& name) {
    const size_t slash = rel.rfind('/');
    if (slash == std::string::npos) {
        parent = ".";
        name = rel;
    } else {
        parent = rel.substr(0, slash);
        name = rel.substr(slash + 1);
    }
}

[[noreturn]] void no_longer_regular(const std::string& source) {
    throw ClosureError(quote(source) + " is no longer a regular file");
}

// Copy the open regular file `in` (whose fstat is `st`) to a new file `name` in `dir` (which
// names job.dest). O_EXCL: an existing name, even a symlink, is an error. Returns the bytes
// copied.
std::uint64_t copy_to(int dir, const std::string& name, int in, const struct stat& st,
                      const FileJob& job) {
    UniqueFd out(openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                        0600));
    if (!out) throw SystemError("cannot create", *job.dest, errno);
    copy_file_data(in, out.get(), st.st_size, st.st_blocks, *job.source, *job.dest);
    if (fchmod(out.get(), job.mode) != 0) throw SystemError("cannot set mode of", *job.dest, errno);
    const struct timespec times[2] = {job.mtime, job.mtime};
    if (futimens(out.get(), times) != 0) throw SystemError("cannot set times of", *job.dest, errno);
    return static_cast<std::uint64_t>(st.st_size);
}

// Open a file's source without following a symlink. O_NONBLOCK: a source swapped for a FIFO
// since the closure saw it must not block the open (it is then refused as not a regular file);
// reading a regular file ignores the flag.
UniqueFd open_source(const std::string& source, struct stat& st) {
    UniqueFd in(open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
    if (!in) throw SystemError("cannot open", source, errno);
    if (fstat(in.get(), &st) != 0) throw SystemError("cannot stat", source, errno);
    if (!S_ISREG(st.st_mode)) no_longer_regular(source);
    return in;
}

}  // namespace

// The regular files, and the threads that write them while this thread lays out the rest.
// Files are handed over in batches, in plan order; a file's directory exists when it is added
// (the plan is sorted, and write_entry makes a file's parent first), so the workers link or copy
// it at once, while the directories and symlinks that come later in the plan are still being
// made: the two overlap on different cores. The first error stops every thread at its next
// file; finish() throws it.
struct RootfsWriter::Pool {
    Pool(int root, const WriteOptions& options)
        : root_(root),
          hardlink_(options.hardlink),
          jobs_(worker_threads(options.jobs)),
          progress_(options.progress) {}
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;
    // After an error in the layout: the workers stop at their next file, and are joined.
    ~Pool() {
        if (threads_.empty()) return;
        fail(0, nullptr);
        close_queue();
        for (auto& t : threads_) t.join();
    }

    // Start the workers: all but one of the threads (this one lays out, then joins them).
    void start() {
        for (unsigned i = 1; i < jobs_; ++i) {
            try {
                threads_.emplace_back([this] { work(); });
            } catch (const std::system_error&) {
                break;  // fewer threads: the same result
            }
        }
    }

    void add(FileJob job) {
        job.seq = files_added_++;
        batch_.push_back(std::move(job));
        if (progress_) progress_->add_files(1);
        if (batch_.size() >= kBatch) publish();
    }

    // Every file is added: write what is left on this thread too, wait for the others, and
    // throw the first error.
    WriteStats finish() {
        publish();
        close_queue();
        work();
        for (auto& t : threads_) t.join();
        threads_.clear();
        if (error_) std::rethrow_exception(error_);
        return stats_;
    }

  private:
    // Files handed over at once: few enough that the workers start early, enough that they
    // seldom wait on the queue's lock.
    static constexpr size_t kBatch = 32;

    void publish() {
        if (batch_.empty()) return;
        {
            std::lock_guard lock(mutex_);
            queue_.push_back(std::move(batch_));
        }
        batch_ = {};
        batch_.reserve(kBatch);
        ready_.notify_one();
    }

    void close_queue() {
        {
            std::lock_guard lock(mutex_);
            closed_ = true;
        }
        ready_.notify_all();
    }

    // The error thrown is that of the first failing file in plan order, whatever the threads
    // did: after a failure, files that come later in the plan are skipped, earlier ones are
    // still written (and may fail first). A cancel stops everything.
    void work() noexcept {
        WriteStats mine;
        Directory dir;
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
                    write_file(job, dir, mine);
                } catch (const Cancelled&) {
                    fail(0, std::current_exception());
                } catch (...) {
                    fail(job.seq, std::current_exception());
                }
            }
        }
        std::lock_guard lock(mutex_);
        stats_.files += mine.files;
        stats_.linked += mine.linked;
        stats_.bytes_copied += mine.bytes_copied;
        stats_.not_linked += mine.not_linked;
        if (!mine.not_linked_example.empty() &&
            (stats_.not_linked_example.empty() ||
             mine.not_linked_example < stats_.not_linked_example))
            stats_.not_linked_example = mine.not_linked_example;
    }

    void fail(size_t seq, std::exception_ptr error) {
        std::lock_guard lock(mutex_);
        if (seq >= first_failed_) return;
        first_failed_ = seq;
        error_ = std::move(error);
    }

    // The directory a thread writes into, kept open while its files follow one another.
    struct Directory {
        std::string path;  // relative to the rootfs, "." for "/"
        UniqueFd fd;
    };

    void write_file(const FileJob& job, Directory& dir, WriteStats& stats) {
        throw_if_cancelled();
        const size_t slash = job.dest->rfind('/');
        const std::string_view parent =
            slash == 0 ? std::string_view(".")
                       : std::string_view(*job.dest).substr(1, slash - 1);  // without the "/"
        if (!dir.fd || dir.path != parent) {
            // Opened beneath the rootfs with no symlink on the way; each file is then created in
            // it by its name alone.
            dir.path.assign(parent);
            dir.fd = UniqueFd(sys_openat2(root_, dir.path.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC,
                                          0, kStrict));
            if (!dir.fd) throw SystemError("cannot open rootfs directory", "/" + dir.path, errno);
        }
        const std::string name = job.dest->substr(slash + 1);
        ++stats.files;
        struct stat st {};
        if (hardlink_ && link(job, dir.fd.get(), name, st, stats)) {
            ++stats.linked;
        } else {
            UniqueFd in = open_source(*job.source, st);
            stats.bytes_copied += copy_to(dir.fd.get(), name, in.get(), st, job);
        }
        if (progress_) progress_->file_done(static_cast<std::uint64_t>(st.st_size));
    }

    // Hard-link job.source as `name` in `dir`, and fstat the link into `st`. False, with the
    // reason noted, when this file cannot be linked and must be copied.
    bool link(const FileJob& job, int dir, const std::string& name, struct stat& st,
              WriteStats& stats) {
        // The example named is the least by path, whichever thread met it: the same build
        // gives the same warning.
        auto refuse = [&](const std::string& why) {
            std::string example = quote(*job.source) + why;
            if (stats.not_linked++ == 0 || example < stats.not_linked_example)
                stats.not_linked_example = std::move(example);
            return false;
        };
        // Without AT_SYMLINK_FOLLOW, linkat(2) links the name itself and never follows a
        // symlink at either end; the new name is created in `dir` alone.
        if (linkat(AT_FDCWD, job.source->c_str(), dir, name.c_str(), 0) == 0) {
            // What was linked must still be the regular file the plan saw (a host path swapped
            // for a symlink meanwhile would have been linked as one).
            if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                throw SystemError("cannot stat", *job.dest, errno);
            if (!S_ISREG(st.st_mode)) {
                (void)unlinkat(dir, name.c_str(), 0);
                no_longer_regular(*job.source);
            }
            return true;
        }
        if (errno == EXDEV) return refuse(" is on another filesystem");
        if (errno == EPERM || errno == EACCES)
            return refuse(": not allowed (fs.protected_hardlinks lets only a user who owns the "
                          "file, or may read and write it, link it; or it is immutable)");
        if (errno == EMLINK) return refuse(" has too many links");
        if (errno == ENOENT) {  // the source is gone: say so, as a copy would
            struct stat gone {};
            (void)open_source(*job.source, gone);
        }
        throw SystemError("cannot hard-link " + quote(*job.source) + " as", *job.dest, errno);
    }

    const int root_;
    const bool hardlink_;
    const unsigned jobs_;
    Progress* const progress_;
    std::vector<FileJob> batch_;  // being filled by this thread
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

RootfsWriter::RootfsWriter(UniqueFd root) : root_(std::move(root)), umask_(umask(0)) {
    umask(umask_);
}

UniqueFd RootfsWriter::open_parent(const std::string& path, std::string& name, bool create) {
    std::string parent;
    split_last(relative(path), parent, name);
    if (name.empty() || name == "." || name == "..")
        throw Error("cannot create " + quote(path) + " in the rootfs: not a file name");
    UniqueFd fd(
        sys_openat2(root_.get(), parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, kStrict));
    if (fd || errno != ENOENT || !create) {
        if (!fd) throw SystemError("cannot open rootfs directory", "/" + parent, errno);
        return fd;
    }
    // Create the missing parents one component at a time, each opened without following
    // anything, so a symlink planted on the way is refused rather than written through.
    UniqueFd dir(fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    if (!dir) throw SystemError("cannot duplicate rootfs descriptor", "/", errno);
    size_t start = 0;
    while (start < parent.size()) {
        size_t end = parent.find('/', start);
        if (end == std::string::npos) end = parent.size();
        const std::string part = parent.substr(start, end - start);
        start = end + 1;
        if (part.empty() || part == ".") continue;
        if (mkdirat(dir.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
            throw SystemError("cannot create rootfs directory", "/" + parent.substr(0, end), errno);
        UniqueFd next(
            sys_openat2(dir.get(), part.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, kStrict));
        if (!next)
            throw SystemError("cannot open rootfs directory", "/" + parent.substr(0, end), errno);
        dir = std::move(next);
    }
    return dir;
}

WriteStats RootfsWriter::write(const Plan& plan, const WriteOptions& options) {
    made_directories_.insert("/");
    const std::vector<const PlanEntry*> entries = plan.sorted();
    std::vector<char> mode_is_set(entries.size(), 0);
    WriteStats stats;
    {
        Pool pool(root_.get(), options);
        pool.start();
        for (size_t i = 0; i < entries.size(); ++i) {
            throw_if_cancelled();
            mode_is_set[i] = write_entry(*entries[i], pool);
        }
        phase_done("write: layout");
        stats = pool.finish();
        phase_done("write: files");
    }
    // Names of one host inode inside the store: the later ones link to the first, now written.
    for (const auto& [first, other] : store_links_) {
        std::string first_name, other_name;
        UniqueFd first_parent = open_parent(first, first_name, false);
        UniqueFd other_parent = open_parent(*other.dest, other_name, false);
        // linkat(2) without AT_SYMLINK_FOLLOW links the name itself, never through a symlink;
        // both parents were opened beneath the rootfs without symlinks.
        if (linkat(first_parent.get(), first_name.c_str(), other_parent.get(), other_name.c_str(),
                   0) == 0)
            continue;
        // Too many links (EMLINK) or a filesystem without hard links: copy instead.
        if (errno != EMLINK && errno != EPERM && errno != EXDEV)
            throw SystemError("cannot hard-link " + quote(first) + " as", *other.dest, errno);
        struct stat st {};
        UniqueFd in = open_source(*other.source, st);
        stats.bytes_copied += copy_to(other_parent.get(), other_name, in.get(), st, other);
    }
    // Directory modes (Nix's are read-only) and times last, deepest first: adding children
    // changes a directory's mtime, and a read-only directory could not be filled. Store
    // directories lie beneath the plan's.
    for (auto it = store_directories_.rbegin(); it != store_directories_.rend(); ++it)
        set_directory_metadata(*it, false);
    for (size_t i = entries.size(); i-- > 0;)
        if (entries[i]->kind == EntryKind::Directory)
            set_directory_metadata(*entries[i], mode_is_set[i] != 0);
    phase_done("write: directory times");
    store_links_.clear();
    owned_names_.clear();
    parent_fds_.clear();
    return stats;
}

int RootfsWriter::parent_fd(const std::string& path, std::string& name, bool create) {
    // Bounded: a store path may hold many thousands of directories.
    constexpr size_t kMaxOpen = 256;
    std::string parent;
    split_last(relative(path), parent, name);
    if (auto it = parent_fds_.find(parent); it != parent_fds_.end()) return it->second.get();
    UniqueFd fd = open_parent(path, name, create);
    if (parent_fds_.size() >= kMaxOpen) parent_fds_.clear();
    return parent_fds_.emplace(std::move(parent), std::move(fd)).first->second.get();
}

void RootfsWriter::set_directory_metadata(const PlanEntry& directory, bool mode_is_set) {
    std::string name;
    const int parent = parent_fd(directory.path, name, false);
    if (!mode_is_set && fchmodat(parent, name.c_str(), directory.mode, 0) != 0)
        throw SystemError("cannot set mode of", directory.path, errno);
    const struct timespec times[2] = {directory.mtime, directory.mtime};
    if (utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
        throw SystemError("cannot set times of", directory.path, errno);
}

bool RootfsWriter::write_entry(const PlanEntry& entry, Pool& pool) {
    std::string name;
    if (entry.kind == EntryKind::File) {
        // Written once every directory exists; its parent must exist by then.
        std::string parent;
        split_last(relative(entry.path), parent, name);
        if (!made_directories_.count("/" + parent)) {
            (void)parent_fd(entry.path, name, true);
            made_directories_.insert("/" + parent);
        }
        pool.add(FileJob{&entry.source, &entry.path, &entry, entry.mode, entry.mtime});
        return false;
    }
    const int parent = parent_fd(entry.path, name, true);
    switch (entry.kind) {
        case EntryKind::Directory: {
            // Owner-writable until the final pass sets the real mode. A mode that is (rwx for
            // the owner, no special bits, nothing the umask takes) is given at once.
            const bool final_mode = (entry.mode & 07700) == 0700 && (entry.mode & umask_) == 0;
            const bool made = mkdirat(parent, name.c_str(), final_mode ? entry.mode : 0700) == 0;
            if (!made) {
                struct stat st {};
                if (errno != EEXIST || fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                    !S_ISDIR(st.st_mode))
                    throw SystemError("cannot create directory", entry.path,
                                      errno ? errno : EEXIST);
            }
            if ((!made || (umask_ & 0700) != 0) && fchmodat(parent, name.c_str(), 0700, 0) != 0)
                throw SystemError("cannot set mode of", entry.path, errno);
            made_directories_.insert(entry.path);
            return made && final_mode;
        }
        case EntryKind::Symlink: {
            if (symlinkat(entry.link_target.c_str(), parent, name.c_str()) != 0)
                throw SystemError("cannot create symlink", entry.path, errno);
            const struct timespec times[2] = {entry.mtime, entry.mtime};
            // Best effort: some filesystems refuse times on symlinks.
            (void)utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
            return false;
        }
        case EntryKind::File:
            return false;
        case EntryKind::StorePath:
            copy_store_path(entry, parent, name, pool);
            return false;
    }
    return false;
}

// A store path being copied: the directories still to fill.
struct RootfsWriter::TreeCopy {
    std::string store_path;
    std::vector<std::pair<std::string, std::string>> pending;  // (host dir, rootfs dir)
};

void RootfsWriter::copy_store_path(const PlanEntry& entry, int parent, const std::string& name,
                                   Pool& pool) {
    const size_t slash = entry.source.rfind('/');
    const std::string source_parent = slash == 0 ? "/" : entry.source.substr(0, slash);
    const std::string source_name = entry.source.substr(slash + 1);
    UniqueFd src(open(source_parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!src) throw SystemError("cannot open", source_parent, errno);
    struct stat st {};
    if (fstatat(src.get(), source_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw SystemError("cannot stat store path", entry.source, errno);
    TreeCopy copy{entry.source, {}};
    copy_store_node(copy, src.get(), entry.source, parent, entry.path, name, st, pool);

    // Breadth first over the directories, with an explicit list: deep trees must not exhaust
    // the C++ stack.
    for (size_t i = 0; i < copy.pending.size(); ++i) {
        throw_if_cancelled();
        const auto [host_dir, rootfs_dir] = copy.pending[i];
        const DirHandle dir = open_directory(host_dir);
        // Filled through a descriptor opened beneath the rootfs with no symlink on the way.
        UniqueFd out(sys_openat2(root_.get(), relative(rootfs_dir).c_str(),
                                 O_PATH | O_DIRECTORY | O_CLOEXEC, 0, kStrict));
        if (!out) throw SystemError("cannot open rootfs directory", rootfs_dir, errno);
        std::vector<std::string> names = entry_names(dir.get(), host_dir);
        std::sort(names.begin(), names.end());
        for (const auto& child : names) {
            const std::string host_path = host_dir + "/" + child;
            if (fstatat(dirfd(dir.get()), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                throw SystemError("cannot stat", host_path, errno);
            copy_store_node(copy, dirfd(dir.get()), host_path, out.get(), rootfs_dir + "/" + child,
                            child, st, pool);
        }
    }
}

void RootfsWriter::copy_store_node(TreeCopy& copy, int src_dir, const std::string& src_path,
                                   int dst_dir, const std::string& dst_path,
                                   const std::string& name, const struct stat& st, Pool& pool) {
    const std::string src_name = src_path.substr(src_path.rfind('/') + 1);
    if (S_ISDIR(st.st_mode)) {
        // Owner-writable until filled; the real mode is set last.
        if (mkdirat(dst_dir, name.c_str(), 0700) != 0)
            throw SystemError("cannot create directory", dst_path, errno);
        copy.pending.emplace_back(src_path, dst_path);
        store_directories_.push_back(PlanEntry{.path = dst_path,
                                               .kind = EntryKind::Directory,
                                               .source = src_path,
                                               .link_target = {},
                                               .mode = st.st_mode & 07777,
                                               .mtime = st.st_mtim});
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        const std::string target = read_symlink_at(src_dir, src_name, src_path);
        if (symlinkat(target.c_str(), dst_dir, name.c_str()) != 0)
            throw SystemError("cannot create symlink", dst_path, errno);
        // Best effort: some filesystems refuse times on symlinks.
        const struct timespec times[2] = {st.st_mtim, st.st_mtim};
        (void)utimensat(dst_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
        return;
    }
    if (!S_ISREG(st.st_mode))
        throw ClosureError("store path " + quote(copy.store_path) + " holds " + quote(src_path) +
                           ", which is not a regular file, directory or symlink");
    // The names live as long as the write: a pointer each, not a copy per file.
    FileJob job{&owned_names_.emplace_back(src_path), &owned_names_.emplace_back(dst_path),
                nullptr, st.st_mode & 07777, st.st_mtim};
    if (st.st_nlink > 1) {
        const auto [it, first] = store_inodes_.emplace(std::make_pair(st.st_dev, st.st_ino), dst_path);
        if (!first) {
            store_links_.emplace_back(it->second, std::move(job));
            return;
        }
    }
    pool.add(std::move(job));
}

void RootfsWriter::make_directory(const std::string& path) {
    std::string name;
    UniqueFd parent = open_parent(path, name, true);
    if (mkdirat(parent.get(), name.c_str(), 0755) != 0 && errno != EEXIST)
        throw SystemError("cannot create directory", path, errno);
}

void RootfsWriter::make_mount_point(const std::string& path, bool as_file) {
    // Walk the destination one component at a time, resolving each prefix inside the rootfs
    // (RESOLVE_IN_ROOT: "/" and ".." stop at the rootfs) and creating what is missing.
    const std::string rel = relative(path);
    std::string prefix;
    size_t start = 0;
    while (start < rel.size()) {
        size_t end = rel.find('/', start);
        if (end == std::string::npos) end = rel.size();
        const std::string part = rel.substr(start, end - start);
        const bool last = end == rel.size();
        start = end + 1;
        if (part.empty() || part == ".") continue;
        const std::string next = prefix.empty() ? part : prefix + "/" + part;
        UniqueFd existing(sys_openat2(root_.get(), next.c_str(), O_PATH | O_CLOEXEC, 0,
                                      RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
        if (!existing) {
            if (errno != ENOENT) throw SystemError("cannot open mount point", "/" + next, errno);
            UniqueFd dir(sys_openat2(root_.get(), prefix.empty() ? "." : prefix.c_str(),
                                     O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                                     RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
            if (!dir) throw SystemError("cannot open mount point parent", "/" + prefix, errno);
            if (last && as_file) {
                UniqueFd f(openat(dir.get(), part.c_str(),
                                  O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
                if (!f) throw SystemError("cannot create mount point", path, errno);
            } else if (mkdirat(dir.get(), part.c_str(), 0755) != 0) {
                // EEXIST after ENOENT above means a dangling symlink: the runtime could not
                // mount there either.
                if (errno == EEXIST)
                    throw ClosureError("cannot create mount point for " + quote(path) + ": " +
                                       quote("/" + next) + " is a dangling symlink in the rootfs");
                throw SystemError("cannot create mount point", "/" + next, errno);
            }
        }
        prefix = next;
    }
}

std::optional<std::string> RootfsWriter::read_file(const std::string& path, size_t limit) {
    const std::string rel = relative(path);
    UniqueFd fd(sys_openat2(root_.get(), rel.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
                            0, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
    if (!fd) {
        if (errno == ENOENT) return std::nullopt;
        throw SystemError("cannot open rootfs file", path, errno);
    }
    struct stat st {};
    if (fstat(fd.get(), &st) != 0) throw SystemError("cannot stat rootfs file", path, errno);
    if (!S_ISREG(st.st_mode)) throw Error("rootfs file " + quote(path) + " is not a regular file");
    std::string content;
    char buf[1 << 16];
    for (;;) {
        const ssize_t n = read(fd.get(), buf, sizeof buf);
        if (n < 0) throw SystemError("cannot read rootfs file", path, errno);
        if (n == 0) return content;
        content.append(buf, static_cast<size_t>(n));
        if (content.size() > limit)
            throw Error("rootfs file " + quote(path) + " is larger than " + std::to_string(limit) +
                        " bytes");
    }
}

void RootfsWriter::create_file(const std::string& path, const std::string& content, mode_t mode) {
    const std::string rel = relative(path);
    const size_t slash = rel.rfind('/');
    if (slash != std::string::npos) make_mount_point("/" + rel.substr(0, slash), false);
    // O_EXCL refuses an existing name, a symlink included (open(2)), so nothing is written
    // through a link.
    UniqueFd fd(sys_openat2(root_.get(), rel.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode,
                            RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS));
    if (!fd) throw SystemError("cannot create rootfs file", path, errno);
    for (size_t done = 0; done < content.size();) {
        const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
        if (n < 0) throw SystemError("cannot write rootfs file", path, errno);
        done += static_cast<size_t>(n);
    }
    // The umask must not narrow the mode (a 0644 /etc/passwd must be readable by every user).
    if (fchmod(fd.get(), mode) != 0) throw SystemError("cannot set mode of", path, errno);
}

}  // namespace ocitools
