// RootfsWriter: materialise a plan beneath a directory, never outside it. Every path is opened
// relative to the rootfs with openat2(2) (rootfs/beneath.h): without symlinks while laying out
// the plan, and resolved inside the rootfs for mount points (which, like runc, resolve symlinks
// as the container would). Symlinks in the plan are recreated, never followed. A Nix store path
// is copied whole (rootfs/store_copy.h).
//
// Writing is a pipeline: this thread lays out directories and symlinks in plan order and hands
// each regular file to a small pool of workers (rootfs/writer_pool.h), which copy (or hard-link)
// it while the layout goes on; directory modes and times, and the hard links between copies,
// come once every file is there.
#pragma once

#include <sys/stat.h>

#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "base/progress.h"
#include "fs/unique_fd.h"
#include "plan/plan.h"
#include "rootfs/file_job.h"

namespace ocitools {

struct WriteOptions {
    // Hard-link regular files to the host's instead of copying them. A file that cannot be
    // linked (another filesystem, fs.protected_hardlinks, too many links) is copied.
    bool hardlink = false;
    unsigned jobs = 0;             // copying threads; 0: one per core, at most 8
    Progress* progress = nullptr;  // counts files and bytes when set
};

class StoreCopy;
class WriterPool;

class RootfsWriter {
  public:
    // `root` is an open directory that becomes the container's "/".
    // Reads the umask (umask(2) sets it to read it): construct it while no other thread of the
    // process creates files.
    explicit RootfsWriter(UniqueFd root);

    // Write every entry; directories get their modes and times last, so a read-only directory
    // can still be filled. On an error or a cancel, the workers stop and the first error is
    // thrown once they have.
    WriteStats write(const Plan& plan, const WriteOptions& options = {});

    // Create an empty directory (mode 0755) at `path`, with missing parents.
    void make_directory(const std::string& path);

    // Make `path` a directory with exactly `mode` (the sticky bit of /tmp too, whatever the
    // umask): created with its missing parents as a mount point is, or the directory already
    // there changed. Symlinks in the rootfs are followed inside it.
    void make_directory_with_mode(const std::string& path, mode_t mode);

    // Create a mount point for a mount at `path`: a directory, or an empty file when the source
    // is a file (a bind mount of a file needs a file to mount onto). Symlinks already in the
    // rootfs are followed inside it, as the runtime will follow them.
    void make_mount_point(const std::string& path, bool as_file);

    // The content of the regular file at `path` as the container would open it (symlinks
    // resolved inside the rootfs), or nullopt when there is none. At most `limit` bytes: more is
    // an error, as is a path that is not a regular file.
    std::optional<std::string> read_file(const std::string& path, size_t limit = 16 << 20);

    // Create a new regular file at `path` holding `content`, with missing parent directories
    // (resolved inside the rootfs like mount points). Never replaces anything: an existing path,
    // even a dangling symlink, is an error.
    void create_file(const std::string& path, const std::string& content, mode_t mode);

  private:
    UniqueFd open_parent(const std::string& path, std::string& name, bool create);
    // The parent of `path` (its last name in `name`), opened as open_parent() does, once: the
    // descriptors are kept for the rest of write(). Borrowed.
    int parent_fd(const std::string& path, std::string& name, bool create);
    // True when a directory was made with its final mode (the last pass then sets only times).
    bool write_entry(const PlanEntry& entry, WriterPool& pool, StoreCopy& store);
    void set_directory_metadata(const PlanEntry& directory, bool mode_is_set);

    UniqueFd root_;
    std::unordered_set<std::string> made_directories_;  // rootfs directories known to exist
    mode_t umask_ = 0;
    std::unordered_map<std::string, UniqueFd> parent_fds_;  // by rootfs-relative path
};

}  // namespace ocitools
