// HostPaths: reproduce a host path's layout in the plan. Every symlink met on the way to a path
// (a merged-/usr `/bin -> usr/bin`, a soname link) becomes a symlink entry, so the container sees
// the path the user gave, and the file itself is recorded at its real location. Symlinks are read,
// never copied through; a loop is an error, not a hang (symloop limit of path_resolution(7)).
#pragma once

#include <sys/stat.h>

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fs/disk.h"
#include "fs/path.h"
#include "closure/reason.h"
#include "plan/plan.h"
#include "base/reporter.h"

namespace ocitools {

struct ResolvedPath {
    std::string real_path;  // no symlink left in any component
    struct stat st;         // lstat of real_path
    // "/proc", "/sys" or "/dev" when the path leads there (runtime_mounted_dir): resolution
    // stops at that directory, `real_path` is the rest joined to where it stopped, `st` is
    // zero. The runtime mounts those; nothing there is copied.
    std::string_view runtime_mount;
};

class HostPaths {
  public:
    // Paths that another part of the closure provides whole (a Nix store path is copied as one
    // entry): when `claim` returns true for a path, nothing is added for it or beneath it.
    // `why` is the reason the path was met for.
    using Claim = std::function<bool(const std::string& path, const Reason& why)>;

    // Paths are read from `disk`, which should cache (CachingDisk): a closure meets "/", "/usr"
    // and "/usr/lib" thousands of times. Each entry added is recorded in `reasons`: the reason
    // given for it, "symlink on the way to PATH" for the links met resolving PATH, "in
    // directory DIR" for what a directory brings.
    HostPaths(const Disk& disk, Plan& plan, const Reporter& reporter, Claim claim = {},
              Reasons reasons = Reasons())
        : disk_(disk),
          plan_(plan),
          reporter_(reporter),
          claim_(std::move(claim)),
          reasons_(reasons) {}

    // Resolve an absolute host path, adding the symlinks on the way (unless claimed) to the
    // plan. A path that leads into /proc, /sys or /dev stops there (ResolvedPath::runtime_mount),
    // with the symlinks before it added. Throws ClosureError / SystemError naming the path when it
    // or a component is missing or loops.
    ResolvedPath resolve(const std::string& path);

    // Add `path` and what it needs to exist at the same place in the rootfs: the symlinks on the
    // way, then the file, or, for a directory, the directory and everything beneath it
    // (symlinks inside are recreated, not followed), or only the directory when not
    // `recursive`. A path leading into /proc, /sys or /dev brings the symlinks on the way
    // alone (ResolvedPath::runtime_mount). When `files` is given, the real paths of the regular
    // files added are appended to it.
    ResolvedPath add(const std::string& path, const Reason& why,
                     std::vector<std::string>* files = nullptr, bool recursive = true);

    // Add `path` itself, whatever it is, without following it when it is a symlink and without
    // walking it when it is a directory (a package's file list names each of its entries).
    // Symlinks on the way to its parent are kept as usual; an entry in /proc, /sys or /dev is
    // left out. Regular files go to `files`.
    void add_entry(const std::string& path, const Reason& why,
                   std::vector<std::string>* files = nullptr);

  private:
    struct stat lstat(const std::string& path);  // throws SystemError naming the path

    void add_tree(const std::string& real_dir, std::vector<std::string>* files);
    void add_node(const std::string& real_path, const struct stat& st, const Reason& why,
                  std::vector<std::string>* files);
    bool claimed(const std::string& path, const Reason& why) const {
        return claim_ && claim_(path, why);
    }

    const Disk& disk_;
    Plan& plan_;
    const Reporter& reporter_;
    Claim claim_;
    Reasons reasons_;
    std::unordered_map<std::string, ResolvedPath> resolved_;  // never resolved twice
};

}  // namespace ocitools
