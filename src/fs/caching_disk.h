// CachingDisk: one cache in front of a Disk, so that a build asks the kernel about each path
// once. A closure meets "/", "/usr" and "/usr/lib" thousands of times: HostPaths resolves every
// component of every path, the library search stats every candidate, dpkg's file lists are
// classified by lstat. Answers are kept for the life of the cache (one build): the tree is
// taken not to change meanwhile, as the closure takes it anyway.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "fs/disk.h"

namespace ocitools {

class CachingDisk final : public ForwardingDisk {
  public:
    // `disk` must outlive the cache.
    explicit CachingDisk(const Disk& disk) : ForwardingDisk(disk) {}

    // Cached, failures too (their errno).
    int lstat(const std::string& path, struct stat& st) const override;
    int stat(const std::string& path, struct stat& st) const override;
    int readlink(const std::string& path, std::string& target) const override;

    // Not cached, open and list_directory: a file's bytes are read once, by the layer that
    // parses them (FileTree), and a directory's listing is walked once (a large tree would make
    // the cache the biggest thing in memory).

  private:
    // What the disk answered: 0 and the value, or the errno.
    template <typename T>
    struct Answer {
        int error = 0;
        T value{};
    };

    // A mutex, not a promise: every call of a Disk may come from any thread.
    mutable std::mutex mutex_;
    mutable std::unordered_map<std::string, Answer<struct stat>> lstats_, stats_;
    mutable std::unordered_map<std::string, Answer<std::string>> links_;
};

}  // namespace ocitools
