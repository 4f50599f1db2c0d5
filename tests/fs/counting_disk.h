// CountingDisk: a Disk that counts the calls that reach the one below it, for tests that check
// a cache (each path asked once per build).
#pragma once

#include <map>
#include <string>

#include "fs/disk.h"

namespace ocitools::testing {

class CountingDisk final : public ForwardingDisk {
  public:
    explicit CountingDisk(const Disk& disk) : ForwardingDisk(disk) {}
    int lstat(const std::string& path, struct stat& st) const override {
        ++lstats[path];
        return disk_.lstat(path, st);
    }
    int stat(const std::string& path, struct stat& st) const override {
        ++stats[path];
        return disk_.stat(path, st);
    }
    int readlink(const std::string& path, std::string& target) const override {
        ++readlinks[path];
        return disk_.readlink(path, target);
    }

    mutable std::map<std::string, int> lstats, stats, readlinks;
};

}  // namespace ocitools::testing
