#include "rootfs/rootfs_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <vector>

#include "cancel.h"
#include "error.h"
#include "read_symlink.h"
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

}  // namespace

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

void RootfsWriter::write(const Plan& plan) {
    const std::vector<PlanEntry> entries = plan.entries();
    for (const auto& entry : entries) {
        throw_if_cancelled();
        write_entry(entry);
    }
    // Directory modes and times last, deepest first: adding children changes a directory's
    // mtime, and a read-only directory could not be filled.
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (it->kind != EntryKind::Directory) continue;
        std::string name;
        UniqueFd parent = open_parent(it->path, name, false);
        if (fchmodat(parent.get(), name.c_str(), it->mode, 0) != 0)
            throw SystemError("cannot set mode of", it->path, errno);
        const struct timespec times[2] = {it->mtime, it->mtime};
        if (utimensat(parent.get(), name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
            throw SystemError("cannot set times of", it->path, errno);
    }
}

void RootfsWriter::write_entry(const PlanEntry& entry) {
    std::string name;
    UniqueFd parent = open_parent(entry.path, name, true);
    switch (entry.kind) {
        case EntryKind::Directory: {
            if (mkdirat(parent.get(), name.c_str(), 0700) != 0) {
                struct stat st {};
                if (errno != EEXIST ||
                    fstatat(parent.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
                    !S_ISDIR(st.st_mode))
                    throw SystemError("cannot create directory", entry.path,
                                      errno ? errno : EEXIST);
            }
            // Owner-writable until the final pass sets the real mode.
            if (fchmodat(parent.get(), name.c_str(), 0700, 0) != 0)
                throw SystemError("cannot set mode of", entry.path, errno);
            break;
        }
        case EntryKind::Symlink: {
            if (symlinkat(entry.link_target.c_str(), parent.get(), name.c_str()) != 0)
                throw SystemError("cannot create symlink", entry.path, errno);
            const struct timespec times[2] = {entry.mtime, entry.mtime};
            // Best effort: some filesystems refuse times on symlinks.
            (void)utimensat(parent.get(), name.c_str(), times, AT_SYMLINK_NOFOLLOW);
            break;
        }
        case EntryKind::File:
            copy_file(entry, parent.get(), name);
            break;
        case EntryKind::StorePath:
            copy_store_path(entry, parent.get(), name);
            break;
    }
}

void RootfsWriter::copy_file(const PlanEntry& entry, int parent, const std::string& name) {
    UniqueFd in(open(entry.source.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!in) throw SystemError("cannot open", entry.source, errno);
    struct stat st {};
    if (fstat(in.get(), &st) != 0) throw SystemError("cannot stat", entry.source, errno);
    if (!S_ISREG(st.st_mode))
        throw ClosureError(quote(entry.source) + " is no longer a regular file");
    UniqueFd out(
        sys_openat2(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, kStrict));
    if (!out) throw SystemError("cannot create", entry.path, errno);
    copy_file_data(in.get(), out.get(), st.st_size, entry.source, entry.path);
    if (fchmod(out.get(), entry.mode) != 0)
        throw SystemError("cannot set mode of", entry.path, errno);
    const struct timespec times[2] = {entry.mtime, entry.mtime};
    if (futimens(out.get(), times) != 0)
        throw SystemError("cannot set times of", entry.path, errno);
}

// A store path being copied: the directories still to fill, and those whose modes and times are
// set once filled.
struct RootfsWriter::TreeCopy {
    std::string store_path;
    std::vector<std::pair<std::string, std::string>> pending;  // (host dir, rootfs dir)
    std::vector<PlanEntry> directories;                        // in creation order
};

void RootfsWriter::copy_store_path(const PlanEntry& entry, int parent, const std::string& name) {
    const size_t slash = entry.source.rfind('/');
    const std::string source_parent = slash == 0 ? "/" : entry.source.substr(0, slash);
    const std::string source_name = entry.source.substr(slash + 1);
    UniqueFd src(open(source_parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!src) throw SystemError("cannot open", source_parent, errno);
    struct stat st {};
    if (fstatat(src.get(), source_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw SystemError("cannot stat store path", entry.source, errno);
    TreeCopy copy{entry.source, {}, {}};
    copy_store_node(copy, src.get(), entry.source, parent, entry.path, name, st);

    // Breadth first over the directories, with an explicit list: deep trees must not exhaust
    // the C++ stack.
    for (size_t i = 0; i < copy.pending.size(); ++i) {
        const auto [host_dir, rootfs_dir] = copy.pending[i];
        const int raw = open(host_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (raw < 0) throw SystemError("cannot open directory", host_dir, errno);
        std::unique_ptr<DIR, int (*)(DIR*)> dir(fdopendir(raw), closedir);
        if (!dir) {
            const int err = errno;
            close(raw);
            throw SystemError("cannot read directory", host_dir, err);
        }
        // Filled through a descriptor opened beneath the rootfs with no symlink on the way.
        UniqueFd out(sys_openat2(root_.get(), relative(rootfs_dir).c_str(),
                                 O_PATH | O_DIRECTORY | O_CLOEXEC, 0, kStrict));
        if (!out) throw SystemError("cannot open rootfs directory", rootfs_dir, errno);
        std::vector<std::string> names;
        errno = 0;
        while (const dirent* e = readdir(dir.get())) {
            const std::string child = e->d_name;
            if (child != "." && child != "..") names.push_back(child);
            errno = 0;
        }
        if (errno != 0) throw SystemError("cannot read directory", host_dir, errno);
        std::sort(names.begin(), names.end());
        for (const auto& child : names) {
            const std::string host_path = host_dir + "/" + child;
            if (fstatat(dirfd(dir.get()), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                throw SystemError("cannot stat", host_path, errno);
            copy_store_node(copy, dirfd(dir.get()), host_path, out.get(), rootfs_dir + "/" + child,
                            child, st);
        }
    }

    // Directory modes (Nix's are read-only) and times last, deepest first.
    for (auto it = copy.directories.rbegin(); it != copy.directories.rend(); ++it) {
        std::string dir_name;
        UniqueFd dir_parent = open_parent(it->path, dir_name, false);
        if (fchmodat(dir_parent.get(), dir_name.c_str(), it->mode, 0) != 0)
            throw SystemError("cannot set mode of", it->path, errno);
        const struct timespec times[2] = {it->mtime, it->mtime};
        if (utimensat(dir_parent.get(), dir_name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0)
            throw SystemError("cannot set times of", it->path, errno);
    }
}

void RootfsWriter::copy_store_node(TreeCopy& copy, int src_dir, const std::string& src_path,
                                   int dst_dir, const std::string& dst_path,
                                   const std::string& name, const struct stat& st) {
    const std::string src_name = src_path.substr(src_path.rfind('/') + 1);
    const struct timespec times[2] = {st.st_mtim, st.st_mtim};
    if (S_ISDIR(st.st_mode)) {
        // Owner-writable until filled; the real mode is set last.
        if (mkdirat(dst_dir, name.c_str(), 0700) != 0)
            throw SystemError("cannot create directory", dst_path, errno);
        copy.pending.emplace_back(src_path, dst_path);
        copy.directories.push_back(PlanEntry{.path = dst_path,
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
        (void)utimensat(dst_dir, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
        return;
    }
    if (!S_ISREG(st.st_mode))
        throw ClosureError("store path " + quote(copy.store_path) + " holds " + quote(src_path) +
                           ", which is not a regular file, directory or symlink");
    const auto inode = std::make_pair(st.st_dev, st.st_ino);
    if (st.st_nlink > 1) {
        if (auto it = store_inodes_.find(inode); it != store_inodes_.end()) {
            std::string first_name;
            UniqueFd first_parent = open_parent(it->second, first_name, false);
            // linkat(2) without AT_SYMLINK_FOLLOW links the name itself, never through a
            // symlink; both parents were opened beneath the rootfs without symlinks.
            if (linkat(first_parent.get(), first_name.c_str(), dst_dir, name.c_str(), 0) == 0)
                return;
            // Too many links (EMLINK) or a filesystem without hard links: copy instead.
            if (errno != EMLINK && errno != EPERM && errno != EXDEV)
                throw SystemError("cannot hard-link " + quote(it->second) + " as", dst_path, errno);
        }
    }
    UniqueFd in(openat(src_dir, src_name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (!in) throw SystemError("cannot open", src_path, errno);
    UniqueFd out(
        sys_openat2(dst_dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, kStrict));
    if (!out) throw SystemError("cannot create", dst_path, errno);
    copy_file_data(in.get(), out.get(), st.st_size, src_path, dst_path);
    if (fchmod(out.get(), st.st_mode & 07777) != 0)
        throw SystemError("cannot set mode of", dst_path, errno);
    if (futimens(out.get(), times) != 0) throw SystemError("cannot set times of", dst_path, errno);
    if (st.st_nlink > 1) store_inodes_.emplace(inode, dst_path);
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
