// CountingDisk: a Disk that counts the calls that reach the one below it, for tests that check
// a cache (each path asked once per build).
#pragma once

#include <map>
#include <string>

#include "fs/disk.h"

namespace ocitools::testing {

class CountingDisk final : public Disk {
  public:
    explicit CountingDisk(const Disk& disk) : disk_(disk) {}
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
    std::unique_ptr<DiskFile> open(const std::string& path, int& error) const override {
        return disk_.open(path, error);
    }
    std::vector<DirEntry> list_directory(const std::string& path) const override {
        return disk_.list_directory(path);
    }
    std::string shown(const std::string& path) const override { return disk_.shown(path); }
    using Disk::open;

    mutable std::map<std::string, int> lstats, stats, readlinks;

  private:
    const Disk& disk_;
};

}  // namespace ocitools::testing
