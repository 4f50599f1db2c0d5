// Disk: every read the closure makes of a directory tree, behind one interface, in the spirit of
// ninja's DiskInterface. The closure walk, its resolvers (ELF loader rules, shebangs, dpkg) and
// `ocitools validate` see files only through it, so the same code runs on the host (HostDisk),
// inside a bundle's rootfs (RootfsDisk), and on a tree held in memory by a unit test
// (MemoryDisk); CachingDisk puts one cache in front of any of them.
//
// Paths are absolute within the tree. The primitive calls report failure as an errno value, as
// the system calls they stand for do, because callers branch on it (ENOENT is often an answer,
// not an error); the helpers at the end throw SystemError naming the path and strerror().
#pragma once

#include <sys/stat.h>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fs/file_bytes.h"

namespace ocitools {

// A file opened for reading, as open(2) gives it: reads start at its beginning. Each call
// throws SystemError (or FormatError, for bytes() of something other than a regular file)
// naming the file.
class DiskFile {
  public:
    virtual ~DiskFile() = default;
    // Its first `n` bytes, fewer when it is shorter (for `#!` lines and ELF magic).
    virtual std::string read_start(std::size_t n) = 0;
    // All of it, refusing more than `limit` bytes (a text file we parse whole: dpkg's status).
    virtual std::string read_all(std::size_t limit) = 0;
    // All of it, for the binary parsers (ELF, ld.so.cache): read or mapped as FileBytes says,
    // into `scratch` when given. Consumes the file: call it last.
    virtual FileBytes bytes(std::vector<std::byte>* scratch) = 0;
};

// One entry of a directory: its name and lstat(2).
struct DirEntry {
    std::string name;
    struct stat st;
};

class Disk {
  public:
    virtual ~Disk() = default;

    // lstat(2) and stat(2): 0, or the errno.
    virtual int lstat(const std::string& path, struct stat& st) const = 0;
    virtual int stat(const std::string& path, struct stat& st) const = 0;
    // readlink(2), the whole target however long: 0, or the errno (EINVAL: not a symlink).
    virtual int readlink(const std::string& path, std::string& target) const = 0;
    // open(2) read-only, following symlinks; nullptr and `error` set when it cannot. Safe to
    // call from several threads at once (the closure reads file heads in parallel).
    virtual std::unique_ptr<DiskFile> open(const std::string& path, int& error) const = 0;
    // The entries of the directory at `path` but "." and "..", in readdir(3) order, without
    // following a symlink at its end. Throws SystemError naming the path.
    virtual std::vector<DirEntry> list_directory(const std::string& path) const = 0;
    // How `path` is named in messages: the host path it stands for (itself, unless the tree
    // is rooted elsewhere).
    virtual std::string shown(const std::string& path) const { return path; }

    // The throwing forms: SystemError("cannot open|read symlink|read", shown(path), errno).
    std::unique_ptr<DiskFile> open_file(const std::string& path) const;
    std::string read_link(const std::string& path) const;
    std::string read_start(const std::string& path, std::size_t n) const;
    // The whole file at `path`, or nullopt when it does not exist (ENOENT) and `missing_ok`.
    std::optional<std::string> read_file(const std::string& path, std::size_t limit,
                                         bool missing_ok = false) const;
    bool is_regular_file(const std::string& path) const;
    // `path` (absolute) with every symlink in every component resolved, as realpath(3) gives
    // it within the tree: the path the kernel shows as /proc/self/exe, from which ld.so takes
    // a program's $ORIGIN. Throws SystemError naming the component that cannot be looked up
    // (ELOOP past kSymlinkLimit links).
    std::string real_path(const std::string& path) const;
};

// A Disk that passes every call on to another: the base of those that change a few (a cache,
// a test's counter), which override just those.
class ForwardingDisk : public Disk {
  public:
    // `disk` must outlive this one.
    explicit ForwardingDisk(const Disk& disk) : disk_(disk) {}

    int lstat(const std::string& path, struct stat& st) const override {
        return disk_.lstat(path, st);
    }
    int stat(const std::string& path, struct stat& st) const override {
        return disk_.stat(path, st);
    }
    int readlink(const std::string& path, std::string& target) const override {
        return disk_.readlink(path, target);
    }
    std::unique_ptr<DiskFile> open(const std::string& path, int& error) const override {
        return disk_.open(path, error);
    }
    std::vector<DirEntry> list_directory(const std::string& path) const override {
        return disk_.list_directory(path);
    }
    std::string shown(const std::string& path) const override { return disk_.shown(path); }

  protected:
    const Disk& disk_;
};

// The host's own tree, "/", read with plain system calls on the paths given. A path that is
// not absolute is taken from the working directory, as the kernel takes it.
const Disk& host_disk();

}  // namespace ocitools
