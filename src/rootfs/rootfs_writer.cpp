#include "rootfs/rootfs_writer.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "base/cancel.h"
#include "base/error.h"
#include "base/phase_time.h"
#include "fs/write_all.h"
#include "rootfs/beneath.h"
#include "rootfs/store_copy.h"
#include "rootfs/writer_pool.h"

namespace ocitools {

RootfsWriter::RootfsWriter(UniqueFd root) : root_(std::move(root)), umask_(umask(0)) {
    umask(umask_);
}

UniqueFd RootfsWriter::open_parent(const std::string& path, std::string& name, bool create) {
    const PathSplit split = rootfs_split(path);
    const std::string parent(split.dir);
    name = split.name;
    UniqueFd fd(openat2_fd(root_.get(), parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                           kResolveStrict));
    if (fd || errno != ENOENT || !create) {
        if (!fd) throw SystemError("cannot open rootfs directory", "/" + parent, errno);
        return fd;
    }
    // Create the missing parents one component at a time, each opened without following
    // anything, so a symlink planted on the way is refused rather than written through.
    UniqueFd dir(fcntl(root_.get(), F_DUPFD_CLOEXEC, 0));
    if (!dir) throw SystemError("cannot duplicate rootfs descriptor", "/", errno);
    std::string made;
    for (const std::string_view part_view : path_names(parent)) {
        const std::string part(part_view);
        made += "/" + part;
        if (mkdirat(dir.get(), part.c_str(), 0755) != 0 && errno != EEXIST)
            throw SystemError("cannot create rootfs directory", made, errno);
        UniqueFd next(openat2_fd(dir.get(), part.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
                                 kResolveStrict));
        if (!next) throw SystemError("cannot open rootfs directory", made, errno);
        dir = std::move(next);
    }
    return dir;
}

WriteStats RootfsWriter::write(const Plan& plan, const WriteOptions& options) {
    made_directories_.insert("/");
    const std::vector<const PlanEntry*> entries = plan.sorted();
    std::vector<char> mode_is_set(entries.size(), 0);
    WriteStats stats;
    StoreCopy store(root_.get());  // outlives the pool: its files' names are the store's
    {
        WriterPool pool(root_.get(), options.hardlink, options.jobs, options.progress);
        pool.start();
        for (size_t i = 0; i < entries.size(); ++i) {
            throw_if_cancelled();
            mode_is_set[i] = write_entry(*entries[i], pool, store);
        }
        phase_done("write: layout");
        stats = pool.finish();
        phase_done("write: files");
    }
    // Names of one host inode inside the store: the later ones link to the first, now written.
    store.link_same_inodes(stats);
    // Directory modes (Nix's are read-only) and times last, deepest first: adding children
    // changes a directory's mtime, and a read-only directory could not be filled. Store
    // directories lie beneath the plan's.
    for (auto it = store.directories().rbegin(); it != store.directories().rend(); ++it)
        set_directory_metadata(*it, false);
    for (size_t i = entries.size(); i-- > 0;)
        if (entries[i]->kind == EntryKind::Directory)
            set_directory_metadata(*entries[i], mode_is_set[i] != 0);
    phase_done("write: directory times");
    parent_fds_.clear();
    return stats;
}

int RootfsWriter::parent_fd(const std::string& path, std::string& name, bool create) {
    // Bounded: a store path may hold many thousands of directories.
    constexpr size_t kMaxOpen = 256;
    const PathSplit split = split_last(strip_root(path));
    std::string parent(split.dir);
    name = split.name;
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

bool RootfsWriter::write_entry(const PlanEntry& entry, WriterPool& pool, StoreCopy& store) {
    std::string name;
    if (entry.kind == EntryKind::File) {
        // Written once every directory exists; its parent must exist by then.
        const std::string parent = "/" + std::string(split_last(strip_root(entry.path)).dir);
        if (!made_directories_.count(parent)) {
            (void)parent_fd(entry.path, name, true);
            made_directories_.insert(parent);
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
                if (errno != EEXIST ||
                    fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
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
            store.copy(entry, parent, name, pool);
            return false;
    }
    return false;
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
    // "/a/b/" and "/a/b/." end in a directory: only a path ending in a name can be a file.
    const std::string_view tail = split_last(path).name;
    const bool ends_in_name = !tail.empty() && tail != ".";
    const std::vector<std::string_view> parts = path_names(path);
    std::string prefix;
    for (size_t i = 0; i < parts.size(); ++i) {
        const std::string part(parts[i]);
        const bool last = ends_in_name && i + 1 == parts.size();
        const std::string next = prefix.empty() ? part : prefix + "/" + part;
        UniqueFd existing(
            openat2_fd(root_.get(), next.c_str(), O_PATH | O_CLOEXEC, 0, kResolveInRoot));
        if (!existing) {
            if (errno != ENOENT) throw SystemError("cannot open mount point", "/" + next, errno);
            UniqueFd dir(openat2_fd(root_.get(), prefix.empty() ? "." : prefix.c_str(),
                                    O_PATH | O_DIRECTORY | O_CLOEXEC, 0, kResolveInRoot));
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
        } else {
            // What is there must be what the runtime mounts onto: directories on the way, and
            // at the end a directory, or a file for a file's bind mount (runc refuses others).
            struct stat st {};
            if (fstat(existing.get(), &st) != 0)
                throw SystemError("cannot stat mount point", "/" + next, errno);
            const bool want_file = last && as_file;
            if (S_ISDIR(st.st_mode) == want_file)
                throw ClosureError(
                    quote("/" + next) +
                    (S_ISDIR(st.st_mode) ? " is a directory in the rootfs, where a file is needed"
                                         : " is not a directory in the rootfs") +
                    (i + 1 == parts.size() ? "" : ", on the way to " + quote(path)));
        }
        prefix = next;
    }
}

void RootfsWriter::make_directory_with_mode(const std::string& path, mode_t mode) {
    make_mount_point(path, /*as_file=*/false);
    const std::string rel(strip_root(path));
    UniqueFd dir(openat2_fd(root_.get(), rel.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0,
                            kResolveInRoot));
    if (!dir) throw SystemError("cannot open rootfs directory", path, errno);
    if (fchmod(dir.get(), mode) != 0) throw SystemError("cannot set the mode of", path, errno);
}

std::optional<std::string> RootfsWriter::read_file(const std::string& path, size_t limit) {
    const std::string rel(strip_root(path));
    UniqueFd fd(openat2_fd(root_.get(), rel.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC,
                           0, kResolveInRoot));
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
    const std::string rel(strip_root(path));
    if (rel.find('/') != std::string::npos)
        make_mount_point("/" + std::string(split_last(rel).dir), false);
    // O_EXCL refuses an existing name, a symlink included (open(2)), so nothing is written
    // through a link.
    UniqueFd fd(openat2_fd(root_.get(), rel.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode,
                           kResolveInRoot));
    if (!fd) throw SystemError("cannot create rootfs file", path, errno);
    write_all(fd.get(), content, path);
    // The umask must not narrow the mode (a 0644 /etc/passwd must be readable by every user).
    if (fchmod(fd.get(), mode) != 0) throw SystemError("cannot set mode of", path, errno);
}

}  // namespace ocitools
