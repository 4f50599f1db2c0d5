// Plan: the closure as a sorted list of entries, the seam between resolving (which never copies)
// and the rootfs writer (which never resolves). `ocitools closure` prints it; tests compare it.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ocitools {

// StorePath: a Nix store path (`/nix/store/<hash>-<name>`), copied whole (a directory tree, a
// file or a symlink) with its modes, times and hard links; nothing else may be planned beneath it.
enum class EntryKind { Directory, File, Symlink, StorePath };

struct PlanEntry {
    std::string path;  // absolute path in the container (the host path it came from)
    EntryKind kind;
    std::string source;       // host path to read; for symlinks, the link itself
    std::string link_target;  // symlinks only: the target, exactly as readlink(2) gave it
    mode_t mode = 0;          // permission bits (incl. setuid/setgid/sticky) for files and dirs
    struct timespec mtime {};
    // Files only: the host file the closure saw (lstat(2)'s device and inode; 0 and 0 when no
    // host file was seen). The writers copy or link that file or nothing: a source replaced
    // since, by a swap or a rename, is an error (rootfs/file_job.h). Not compared by ==.
    dev_t dev = 0;
    ino_t ino = 0;

    bool operator==(const PlanEntry& other) const;
};

class Plan {
  public:
    // Add an entry; adding the same path twice is harmless when both agree, and a ClosureError
    // when they don't (a path cannot be both a file and a symlink), as is an entry inside a
    // store path entry, or a store path entry above entries already added, or an entry beneath
    // a file or a symlink (either way round).
    void add(PlanEntry entry);
    bool contains(const std::string& path) const { return entries_.count(path) != 0; }
    const PlanEntry* find(const std::string& path) const;
    // The entry the container reaches at `path`, an absolute path: its symlink entries followed
    // as path_resolution(7) follows them inside the rootfs (an absolute target from the rootfs's
    // root). nullptr when the path leads to no entry (a directory the plan leaves implicit, a
    // path beneath a file or inside a store path, a symlink loop).
    const PlanEntry* resolve(std::string_view path) const;

    // Entries sorted by path, so every directory comes before what it holds.
    std::vector<PlanEntry> entries() const;
    // The same, without copying them: valid while the plan is not changed.
    std::vector<const PlanEntry*> sorted() const;
    size_t size() const { return entries_.size(); }

  private:
    const PlanEntry* store_path_above(const std::string& path) const;
    const PlanEntry* leaf_above(const std::string& path) const;

    std::map<std::string, PlanEntry, std::less<>> entries_;  // found by views too
    size_t store_paths_ = 0;
};

const char* to_string(EntryKind kind);

}  // namespace ocitools
