#include "rootfs/store_copy.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/cancel.h"
#include "base/error.h"
#include "fs/directory.h"
#include "fs/read_symlink.h"
#include "rootfs/beneath.h"

namespace ocitools {

// A store path being copied: the directories still to fill.
struct StoreCopy::TreeCopy {
    std::string store_path;
    std::vector<std::pair<std::string, std::string>> pending;  // (host dir, rootfs dir)
};

void StoreCopy::copy(const PlanEntry& entry, int parent, const std::string& name,
                     WriterPool& pool) {
    const PathSplit source = split_last(entry.source);
    const std::string source_parent(source.dir), source_name(source.name);
    UniqueFd src(open(source_parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!src) throw SystemError("cannot open", source_parent, errno);
    struct stat st {};
    if (fstatat(src.get(), source_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw SystemError("cannot stat store path", entry.source, errno);
    TreeCopy copy{entry.source, {}};
    copy_node(copy, src.get(), entry.source, parent, entry.path, name, st, pool);

    // Breadth first over the directories, with an explicit list: deep trees must not exhaust
    // the C++ stack.
    for (size_t i = 0; i < copy.pending.size(); ++i) {
        throw_if_cancelled();
        const auto [host_dir, rootfs_dir] = copy.pending[i];
        const DirHandle dir = open_directory(host_dir);
        // Filled through a descriptor opened beneath the rootfs with no symlink on the way.
        UniqueFd out(openat2_fd(root_, std::string(strip_root(rootfs_dir)).c_str(),
                                O_PATH | O_DIRECTORY | O_CLOEXEC, 0, kResolveStrict));
        if (!out) throw SystemError("cannot open rootfs directory", rootfs_dir, errno);
        std::vector<std::string> names = entry_names(dir.get(), host_dir);
        std::sort(names.begin(), names.end());
        for (const auto& child : names) {
            const std::string host_path = host_dir + "/" + child;
            if (fstatat(dirfd(dir.get()), child.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                throw SystemError("cannot stat", host_path, errno);
            copy_node(copy, dirfd(dir.get()), host_path, out.get(), rootfs_dir + "/" + child, child,
                      st, pool);
        }
    }
}

void StoreCopy::copy_node(TreeCopy& copy, int src_dir, const std::string& src_path, int dst_dir,
                          const std::string& dst_path, const std::string& name,
                          const struct stat& st, WriterPool& pool) {
    if (S_ISDIR(st.st_mode)) {
        // Owner-writable until filled; the real mode is set last.
        if (mkdirat(dst_dir, name.c_str(), 0700) != 0)
            throw SystemError("cannot create directory", dst_path, errno);
        copy.pending.emplace_back(src_path, dst_path);
        directories_.push_back(PlanEntry{.path = dst_path,
                                         .kind = EntryKind::Directory,
                                         .source = src_path,
                                         .link_target = {},
                                         .mode = st.st_mode & 07777,
                                         .mtime = st.st_mtim});
        return;
    }
    if (S_ISLNK(st.st_mode)) {
        const std::string src_name(split_last(src_path).name);
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
    FileJob job{&owned_names_.emplace_back(src_path), &owned_names_.emplace_back(dst_path), nullptr,
                st.st_mode & 07777, st.st_mtim};
    if (st.st_nlink > 1) {
        const auto [it, first] = inodes_.emplace(std::make_pair(st.st_dev, st.st_ino), dst_path);
        if (!first) {
            links_.emplace_back(it->second, std::move(job));
            return;
        }
    }
    pool.add(std::move(job));
}

void StoreCopy::link_same_inodes(WriteStats& stats) {
    for (const auto& [first, other] : links_) {
        const PathSplit first_split = rootfs_split(first), other_split = rootfs_split(*other.dest);
        const std::string first_name(first_split.name), other_name(other_split.name);
        const UniqueFd first_parent = open_rootfs_dir(root_, std::string(first_split.dir));
        const UniqueFd other_parent = open_rootfs_dir(root_, std::string(other_split.dir));
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
        stats.bytes_copied += copy_file_job(other_parent.get(), other_name, in.get(), st, other);
    }
    links_.clear();
}

}  // namespace ocitools
