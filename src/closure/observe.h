// What the closure asked the filesystem, for the closure cache (closure_cache.h). Every place
// where the closure walk looks at a host path (lstat, stat, open, readlink, a directory listing)
// tells this recorder which path and whether the final symlink was followed. The cache stores
// that list with what the kernel says of each path, and a later build trusts the stored closure
// only if every path still gives the same answer. Recording costs nothing when no cache is in use.
//
// A place that asks the filesystem and does not tell the recorder is a stale-cache bug; anything
// the recorder cannot describe (the Nix database, a store scan) calls uncacheable() instead.
#pragma once

#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>

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
// another lives records nothing, and is uncacheable.
class Recording {
  public:
    Recording();
    ~Recording();
    Recording(const Recording&) = delete;
    Recording& operator=(const Recording&) = delete;

    // (path, how) pairs, sorted.
    std::set<std::pair<std::string, Asked>> take();
    // Why the closure cannot be cached; empty when it can.
    std::string uncacheable_reason() const;

  private:
    friend void lstat(std::string_view);
    friend void stat(std::string_view);
    friend void listing(std::string_view);
    friend void uncacheable(std::string_view);
    void add(std::string_view path, Asked how);

    mutable std::mutex mutex_;
    std::set<std::pair<std::string, Asked>> paths_;
    std::string uncacheable_;
};

}  // namespace ocitools::observe
