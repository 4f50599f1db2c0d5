#include "rootfs/file_job.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.h"
#include "fs/openat2.h"
#include "fs/path.h"
#include "rootfs/file_copy.h"

namespace ocitools {

namespace {

[[noreturn]] void no_longer_regular(const std::string& source) {
    throw ClosureError(quote(source) + " is no longer a regular file");
}

}  // namespace

void WriteStats::add(const WriteStats& other) {
    files += other.files;
    linked += other.linked;
    bytes_copied += other.bytes_copied;
    not_linked += other.not_linked;
    if (!other.not_linked_example.empty() &&
        (not_linked_example.empty() || other.not_linked_example < not_linked_example))
        not_linked_example = other.not_linked_example;
}

bool same_times(const struct stat& a, const struct stat& b) {
    return a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
           a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

int SourceDirectory::open(std::string_view dir) {
    if (fd_ && path_ == dir) return fd_.get();
    fd_.reset();  // a failed open must not leave the last directory's under the new name
    path_.assign(dir);
    const std::string shown = path_.empty() ? "/" : path_;
    fd_.reset(openat2_fd(AT_FDCWD, shown.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                         RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS));
    if (!fd_) {
        const int error = errno;
        path_.clear();
        if (error == ELOOP)
            throw ClosureError(quote(shown) +
                               ": a symlink is on its path now, where the closure saw none (a "
                               "directory replaced while the files were written?)");
        throw SystemError("cannot open", shown, error);
    }
    return fd_.get();
}

void check_planned_file(const PlanEntry& entry, const struct stat& st) {
    if (!S_ISREG(st.st_mode)) no_longer_regular(entry.source);
    if (entry.ino == 0 && entry.dev == 0) return;
    if (st.st_dev != entry.dev || st.st_ino != entry.ino)
        throw ClosureError(quote(entry.source) +
                           " is not the file the closure saw (replaced while the files were "
                           "written?)");
    if ((st.st_mode & 07777) != entry.mode)
        throw ClosureError(quote(entry.source) + " changed mode while the files were written");
}

// O_NONBLOCK: a source swapped for a FIFO since the closure saw it must not block the open (it
// is then refused as not a regular file); reading a regular file ignores the flag.
UniqueFd open_planned_file(const PlanEntry& entry, SourceDirectory& dirs, struct stat& st) {
    const PathSplit split = split_last(entry.source);
    const std::string name(split.name);
    UniqueFd in(openat(dirs.open(split.dir), name.c_str(),
                       O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
    if (!in) throw SystemError("cannot open", entry.source, errno);
    if (fstat(in.get(), &st) != 0) throw SystemError("cannot stat", entry.source, errno);
    check_planned_file(entry, st);
    return in;
}

UniqueFd open_source(const std::string& source, struct stat& st) {
    UniqueFd in(open(source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK));
    if (!in) throw SystemError("cannot open", source, errno);
    if (fstat(in.get(), &st) != 0) throw SystemError("cannot stat", source, errno);
    if (!S_ISREG(st.st_mode)) no_longer_regular(source);
    return in;
}

std::uint64_t copy_file_job(int dir, const std::string& name, int in, const struct stat& st,
                            const FileJob& job) {
    UniqueFd out(
        openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) throw SystemError("cannot create", *job.dest, errno);
    copy_file_data(in, out.get(), st.st_size, st.st_blocks, *job.source, *job.dest);
    // A file rewritten in place at the same size while it was copied would leave a mix of old
    // and new blocks: its times say so (writing sets mtime and ctime; reading sets neither).
    struct stat after {};
    if (fstat(in, &after) != 0) throw SystemError("cannot stat", *job.source, errno);
    if (!same_times(st, after))
        throw ClosureError(quote(*job.source) + " was changed while it was copied");
    if (fchmod(out.get(), job.mode) != 0) throw SystemError("cannot set mode of", *job.dest, errno);
    const struct timespec times[2] = {job.mtime, job.mtime};
    if (futimens(out.get(), times) != 0) throw SystemError("cannot set times of", *job.dest, errno);
    return static_cast<std::uint64_t>(st.st_size);
}

bool link_file_job(const FileJob& job, SourceDirectory& dirs, int dir, const std::string& name,
                   struct stat& st, WriteStats& stats) {
    auto refuse = [&](const std::string& why) {
        std::string example = quote(*job.source) + why;
        if (stats.not_linked++ == 0 || example < stats.not_linked_example)
            stats.not_linked_example = std::move(example);
        return false;
    };
    // Without AT_SYMLINK_FOLLOW, linkat(2) links the name itself and never follows a symlink at
    // either end; the source's directory was reached with no symlink on the way, and the new
    // name is created in `dir` alone.
    // A file of a store path (no plan entry of its own) is linked by its path, as open_source
    // opens it.
    const PathSplit source = split_last(*job.source);
    const std::string source_name = job.entry ? std::string(source.name) : *job.source;
    const int source_dir = job.entry ? dirs.open(source.dir) : AT_FDCWD;
    if (linkat(source_dir, source_name.c_str(), dir, name.c_str(), 0) == 0) {
        // What was linked must still be the regular file the plan saw: the name may have been
        // swapped for a symlink or another file since. Nothing is published before the whole
        // bundle is written, so a wrong link is removed here and never seen.
        if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
            throw SystemError("cannot stat", *job.dest, errno);
        try {
            if (job.entry) check_planned_file(*job.entry, st);
            else if (!S_ISREG(st.st_mode)) no_longer_regular(*job.source);
        } catch (...) {
            (void)unlinkat(dir, name.c_str(), 0);
            throw;
        }
        return true;
    }
    if (errno == EXDEV) return refuse(" is on another filesystem");
    if (errno == EPERM || errno == EACCES)
        return refuse(
            ": not allowed (fs.protected_hardlinks lets only a user who owns the file, "
            "or may read and write it, link it; or it is immutable)");
    if (errno == EMLINK) return refuse(" has too many links");
    if (errno == ENOENT) {  // the source is gone: say so, as a copy would
        struct stat gone {};
        (void)(job.entry ? open_planned_file(*job.entry, dirs, gone)
                         : open_source(*job.source, gone));
    }
    throw SystemError("cannot hard-link " + quote(*job.source) + " as", *job.dest, errno);
}

}  // namespace ocitools
