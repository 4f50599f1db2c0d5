// The disks that are really there: the host's tree, and a bundle's rootfs as a process rooted in
// it sees it (`ocitools validate` checks that the bundle's program would start there).
#pragma once

#include <filesystem>

#include "fs/disk.h"
#include "fs/unique_fd.h"

namespace ocitools {

// "/", with plain system calls: one lstat(2) per lstat(), nothing resolved by hand.
class HostDisk final : public Disk {
  public:
    int lstat(const std::string& path, struct stat& st) const override;
    int stat(const std::string& path, struct stat& st) const override;
    int readlink(const std::string& path, std::string& target) const override;
    std::unique_ptr<DiskFile> open(const std::string& path, int& error) const override;
    std::vector<DirEntry> list_directory(const std::string& path) const override;
};

// The one HostDisk (it has no state).
const Disk& host_disk();

// A directory as the root of the tree: every path is resolved inside it by the kernel
// (openat2(2) RESOLVE_IN_ROOT), so `..` and absolute symlink targets stay inside, as they would
// for a process whose root it is. Magic links (/proc/self/...) are refused (RESOLVE_NO_MAGICLINKS).
class RootfsDisk final : public Disk {
  public:
    // `root` must be an existing directory. Throws SystemError naming it.
    explicit RootfsDisk(const std::filesystem::path& root);

    int lstat(const std::string& path, struct stat& st) const override;
    int stat(const std::string& path, struct stat& st) const override;
    int readlink(const std::string& path, std::string& target) const override;
    std::unique_ptr<DiskFile> open(const std::string& path, int& error) const override;
    std::vector<DirEntry> list_directory(const std::string& path) const override;
    std::string shown(const std::string& path) const override;

  private:
    // openat2(2) of `path` inside the root with `flags`: the descriptor, or an invalid one with
    // errno set.
    UniqueFd open_in_root(const std::string& path, int flags) const;

    std::filesystem::path root_;
    UniqueFd root_fd_;
};

}  // namespace ocitools
