// FileTree: what the files of a tree are, as the ELF and script resolvers ask it: the first bytes
// of a file and, for an ELF object, the parsed object, each read once and cached, and read ahead
// on several threads when the caller knows what comes next. It reads through a Disk (the host,
// a bundle's rootfs for `ocitools validate`, memory in tests), so the same library search serves
// the closure and the check that a bundle will start.
#pragma once

#include <sys/stat.h>

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "closure/elf/elf.h"
#include "fs/disk.h"

namespace ocitools {

class FileTree {
  public:
    // `disk` must outlive the tree; put a CachingDisk in front of it to ask each path once.
    explicit FileTree(const Disk& disk) : disk_(disk) {}

    const Disk& disk() const { return disk_; }

    // stat(2) of `path` in the tree, following symlinks; nullopt when it does not exist.
    std::optional<struct stat> stat(const std::string& path) const;
    bool is_regular_file(const std::string& path) const { return disk_.is_regular_file(path); }

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

  private:
    // inspect() without the caches' updates: safe on several threads at once, each with its
    // own scratch buffer.
    Head read_head_of(const std::string& path, size_t n, std::vector<std::byte>& scratch) const;

    const Disk& disk_;
    mutable std::unordered_map<std::string, std::shared_ptr<const ElfFile>> elf_cache_;
    mutable std::unordered_map<std::string, Head> prefetched_;
    mutable std::vector<std::byte> scratch_;  // this thread's ELF reads
};

}  // namespace ocitools
