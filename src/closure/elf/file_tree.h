// FileTree: a directory tree seen the way processes rooted in it see it: "/" for the host, a
// bundle's rootfs for `ocitools validate`. Paths are absolute within the tree and symlinks are
// resolved inside it (openat2 RESOLVE_IN_ROOT), so the same library search serves the closure
// (on the host) and the check that a bundle will start (in its rootfs). Like ninja's
// DiskInterface, it is the seam between the resolvers and the disk.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "closure/elf/elf.h"
#include "fs/unique_fd.h"

namespace ocitools {

class FileTree {
  public:
    // `root` must be an existing directory; "/" is the host.
    explicit FileTree(const std::filesystem::path& root);

    // Open `path` (absolute in the tree) read-only, following symlinks inside the tree. Returns
    // an invalid descriptor, errno set, when it cannot.
    UniqueFd open(const std::string& path) const;

    // stat(2) of `path` in the tree, following symlinks; nullopt when it does not exist.
    // Cached: each path is asked of the kernel once.
    std::optional<struct stat> stat(const std::string& path) const;
    bool is_regular_file(const std::string& path) const;

    // Up to `n` first bytes of a regular file (for `#!` lines). Throws SystemError.
    std::string read_prefix(const std::string& path, size_t n) const;

    // The parsed ELF object at `path`, cached; nullptr when the file is not ELF (no magic).
    // Throws FormatError for a corrupt ELF file and SystemError when it cannot be read.
    std::shared_ptr<const ElfFile> elf(const std::string& path) const;

    // What a file is, from one open: its first `n` bytes (for `#!` lines) and, when those are
    // ELF magic, the parsed object (cached as by elf()). Throws as read_prefix() and elf() do.
    struct Head {
        std::string bytes;
        std::shared_ptr<const ElfFile> elf;
    };
    Head inspect(const std::string& path, size_t n) const;

    // Inspect `paths` on up to `jobs` threads ahead of time, so that inspect() with the same
    // `n` finds them ready (once each: the head is dropped when taken). A file that fails is
    // left for inspect() to report, in the caller's order.
    void prefetch(const std::vector<std::string>& paths, size_t n, unsigned jobs) const;

    // The tree's /etc/ld.so.cache path on the host, for loading it.
    std::filesystem::path host_path(const std::string& path) const;
    bool is_host() const { return root_ == "/"; }

  private:
    // inspect() without the caches' updates: safe on several threads at once, each with its
    // own scratch buffer.
    Head read_head_of(const std::string& path, size_t n, std::vector<std::byte>& scratch) const;

    std::filesystem::path root_;
    UniqueFd root_fd_;
    mutable std::unordered_map<std::string, std::shared_ptr<const ElfFile>> elf_cache_;
    mutable std::unordered_map<std::string, std::optional<struct stat>> stat_cache_;
    mutable std::unordered_map<std::string, Head> prefetched_;
    mutable std::vector<std::byte> scratch_;  // this thread's ELF reads
};

}  // namespace ocitools
