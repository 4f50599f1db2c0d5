// What the closure asked the filesystem, for the closure cache (closure_cache.h). Every place
// where the closure walk looks at a host path (lstat, stat, open, readlink, a directory listing)
// tells this recorder which path and whether the final symlink was followed. The cache stores
// that list with what the kernel says of each path, and a later build trusts the stored closure
// only if every path still gives the same answer. Recording costs nothing when no cache is in use.
//
// A place that asks the filesystem and does not tell the recorder is a stale-cache bug; anything
// the recorder cannot describe (the Nix database, a store scan) calls uncacheable() instead.
#pragma once

#include <sys/stat.h>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace ocitools {

// One path the closure asked about, and what lstat(2) or stat(2) said of it.
struct Observation {
    std::string path;
    bool follow = false;  // stat(2), else lstat(2)
    // The directory's names were read: its mtime and size count. A directory only looked up is
    // the same while its inode, mode and owner are.
    bool listed = false;
    int error = 0;        // the errno; the fields below only when 0
    std::uint64_t dev = 0, ino = 0;
    std::uint32_t mode = 0, uid = 0, gid = 0;
    std::int64_t size = 0, mtime_sec = 0, mtime_nsec = 0;
    // Not stored, nor compared by same_as(): any change to a path moves it (a user cannot set
    // it), so it shows a change made while a closure was computed; but hard-linking a file into
    // a rootfs moves it too.
    std::int64_t ctime_sec = 0, ctime_nsec = 0;

    // Asks the kernel now.
    static Observation of(const std::string& path, bool follow, bool listed = false);
    // What `st`, an answer of lstat(2) or stat(2), says.
    static Observation of_stat(const struct stat& st);
    // What a later request compares: everything but ctime, and for a directory only looked up,
    // its identity, mode and owner.
    bool same_as(const Observation& now) const;
    // Nothing at all changed in between, ctime included.
    bool unchanged_to(const Observation& now) const;
    // A directory looked up but not listed: its mtime is not compared.
    bool looked_up_directory() const { return error == 0 && S_ISDIR(mode) && !listed; }
};

}  // namespace ocitools

namespace ocitools::observe {

// How a path was asked about.
enum class Asked : unsigned char { Lstat, Stat, Listing };

// Each call also records lstat(2) of every directory above `path`.
// The answer depended on lstat(2) of `path` (the path itself: a symlink is not followed).
void lstat(std::string_view path);
// The answer depended on stat(2) of `path` (following symlinks): opening it, reading it.
void stat(std::string_view path);
// The answer depended on the names in directory `path` (following symlinks): its mtime changes
// when a name is added, removed or renamed. (A directory only looked up, by lstat or stat, is
// the same directory while its inode, mode and owner are; its mtime is not compared.)
void listing(std::string_view path);
// Every component of `path` (realpath(3) of it).
void components(std::string_view path);
// The closure depends on something the recorder cannot check later; it is not stored.
void uncacheable(std::string_view why);

// Records while it lives. One at a time, and every thread's calls count: a recording made while
// another lives records nothing, and is uncacheable. Each path is looked at (lstat(2) or stat(2))
// when it is first asked about, before the walk looks at it itself: a path that still answers
// the same, ctime included, once the walk is done did not change while the walk ran.
class Recording {
  public:
    Recording();
    ~Recording();
    Recording(const Recording&) = delete;
    Recording& operator=(const Recording&) = delete;

    // (path, how) pairs, sorted, each with that first look.
    using Looks = std::map<std::pair<std::string, Asked>, Observation>;
    Looks take();
    // Why the closure cannot be cached; empty when it can.
    std::string uncacheable_reason() const;

  private:
    friend void lstat(std::string_view);
    friend void stat(std::string_view);
    friend void listing(std::string_view);
    friend void uncacheable(std::string_view);
    void add(std::string_view path, Asked how);

    mutable std::mutex mutex_;
    Looks paths_;
    std::string uncacheable_;
};

}  // namespace ocitools::observe
