// MemoryDisk: a tree held in memory, for unit tests of everything that reads through a Disk.
// It lives beside the real disks rather than under tests/ so that the contract tests run the
// same cases against it and HostDisk (tests/fs/disk_test.cpp): a fake that drifts from the
// kernel's answers would make every test built on it lie.
//
// Paths resolve as path_resolution(7) says: symlinks in any component are followed (the last
// one only by stat() and open()), "." and ".." are components, a file in the middle is ENOTDIR,
// more than 40 symlinks is ELOOP. Parents are created as directories when a node is added.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>

#include "fs/disk.h"

namespace ocitools {

class MemoryDisk final : public Disk {
  public:
    MemoryDisk();  // "/" alone, an empty directory

    // Add a node at `path` (absolute, without symlinks on the way), replacing what was there.
    void add_file(const std::string& path, std::string bytes, mode_t mode = 0644);
    void add_directory(const std::string& path, mode_t mode = 0755);
    void add_symlink(const std::string& path, std::string target);
    // Every call that reaches `path` fails with `error` (EACCES, EIO...), as the kernel would
    // fail it; the node must exist.
    void fail(const std::string& path, int error);

    int lstat(const std::string& path, struct stat& st) const override;
    int stat(const std::string& path, struct stat& st) const override;
    int readlink(const std::string& path, std::string& target) const override;
    std::unique_ptr<DiskFile> open(const std::string& path, int& error) const override;
    std::vector<DirEntry> list_directory(const std::string& path) const override;

    struct Node {
        mode_t mode;        // type and permission bits, as st_mode
        std::string data;   // a file's bytes, a symlink's target
        int error = 0;      // fail() with this
        ino_t inode = 0;
    };

  private:
    Node& add(const std::string& path, Node node);
    // The node `path` leads to (following a symlink at its end when `follow`): 0 and the node
    // (and its real path in `real`), or the errno.
    int find(const std::string& path, bool follow, const Node*& node,
             std::string* real = nullptr) const;
    struct stat stat_of(const Node& node) const;

    std::map<std::string, Node> nodes_;  // by real path
    ino_t next_inode_ = 1;
};

}  // namespace ocitools
