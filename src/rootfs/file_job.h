// One regular file of the rootfs: where it comes from and goes, and the two ways of writing it
// (a hard link to the host's file, or a copy), with what writing counts.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <string>

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

// Open a file's source without following a symlink into `st`; throws unless it is (still) a
// regular file.
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
// counted in `stats`, when this file cannot be linked and must be copied.
bool link_file_job(const FileJob& job, int dir, const std::string& name, struct stat& st,
                   WriteStats& stats);

}  // namespace ocitools
