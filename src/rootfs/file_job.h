// One regular file of the rootfs: where it comes from and goes, and the two ways of writing it
// (a hard link to the host's file, or a copy), with what writing counts.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "fs/unique_fd.h"
#include "plan/plan.h"

namespace ocitools {

struct WriteStats {
    std::uint64_t files = 0;         // regular files written, by copy or link
    std::uint64_t linked = 0;        // of which hard links to the host's files
    std::uint64_t bytes_copied = 0;  // bytes of the copied ones
    std::uint64_t not_linked = 0;    // hardlink asked for, but copied
    std::string not_linked_example;  // the least by path of those, and why

    // Add another thread's counts. The example kept is the least by path, whichever thread met
    // it: the same build gives the same warning.
    void add(const WriteStats& other);
};

// A regular file to write: the host file, where it goes, and its mode and times.
struct FileJob {
    const std::string* source;  // owned by the plan or the writer, alive while it writes
    const std::string* dest;    // absolute in the rootfs
    const PlanEntry* entry;     // the plan's File entry; null for a file of a store path
    mode_t mode = 0;
    struct timespec mtime {};
    size_t seq = 0;  // position in the plan (set by the writer)
};

// The directory of a planned file's source, opened O_PATH with no symlink anywhere on its path
// (RESOLVE_NO_SYMLINKS). The closure resolved every symlink on a planned file's path, so a
// symlink there now was swapped in since, perhaps by another user who can write one of those
// directories, and must not be followed into someone else's files. The last directory opened
// stays open for the next file in it.
class SourceDirectory {
  public:
    // The descriptor of `dir`; throws SystemError naming it.
    int open(std::string_view dir);

  private:
    std::string path_;
    UniqueFd fd_;
};

// Open the host file `entry` (a File entry with a source) names, for reading, through `dirs`
// and never through a symlink at its end, into `st`. Throws ClosureError naming the source
// unless it is still a regular file and, when the plan recorded it, the file the closure saw:
// the same device, inode and mode.
UniqueFd open_planned_file(const PlanEntry& entry, SourceDirectory& dirs, struct stat& st);

// Whether `st` is the file `entry` recorded (a plan entry without a device and inode matches
// any regular file); throws ClosureError naming the source when it is not.
void check_planned_file(const PlanEntry& entry, const struct stat& st);

// Open a file of a Nix store path being copied (the store is the trusted part of the host:
// it may itself sit below a symlink, /nix -> /big/nix) without following a symlink at its end,
// into `st`; throws unless it is (still) a regular file.
UniqueFd open_source(const std::string& source, struct stat& st);

// Whether two fstat(2)s of one file show the same mtime and ctime: nothing wrote to it between
// them (reading sets neither).
bool same_times(const struct stat& a, const struct stat& b);

// Copy the open regular file `in` (whose fstat is `st`) to a new file `name` in `dir` (which
// names job.dest), with job's mode and times. O_EXCL: an existing name, even a symlink, is an
// error, and so is a source whose times moved while it was copied (rewritten in place, it
// would give a mix of old and new blocks). Returns the bytes copied.
std::uint64_t copy_file_job(int dir, const std::string& name, int in, const struct stat& st,
                            const FileJob& job);

// Hard-link job.source as `name` in `dir`, and fstat the link into `st`. False, with the reason
// counted in `stats`, when this file cannot be linked and must be copied. The link is made by
// name beneath `dirs`'s descriptor of the source's directory, then checked against the plan
// entry (check_planned_file): a link to any other file is removed again and the build fails.
bool link_file_job(const FileJob& job, SourceDirectory& dirs, int dir, const std::string& name,
                   struct stat& st, WriteStats& stats);

}  // namespace ocitools
