// StoreCopy: Nix store paths copied whole into the rootfs: their trees with modes and times (Nix
// fixes every mtime at 1), and files hard-linked on the host (within a store path, or across
// store paths by `nix-store --optimise`) hard-linked in the rootfs. One StoreCopy per write.
#pragma once

#include <sys/stat.h>

#include <deque>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "plan/plan.h"
#include "rootfs/file_job.h"
#include "rootfs/writer_pool.h"

namespace ocitools {

class StoreCopy {
  public:
    // `root` (borrowed) is the rootfs directory.
    explicit StoreCopy(int root) : root_(root) {}

    // Copy the store path `entry` as `name` in the rootfs directory `parent`: directories and
    // symlinks at once, regular files handed to `pool`. Directories are left owner-writable until
    // set_directory_metadata's pass.
    void copy(const PlanEntry& entry, int parent, const std::string& name, WriterPool& pool);

    // Once the pool has written every file: the later names of one host inode become hard links
    // to the first (copies where the filesystem refuses, counted in `stats`).
    void link_same_inodes(WriteStats& stats);

    // The directories made, in creation order, with the modes and times they must get last.
    const std::vector<PlanEntry>& directories() const { return directories_; }

  private:
    struct TreeCopy;
    void copy_node(TreeCopy& copy, int src_dir, const std::string& src_path, int dst_dir,
                   const std::string& dst_path, const std::string& name, const struct stat& st,
                   WriterPool& pool);

    const int root_;
    // Store files written so far, by host (device, inode) -> rootfs path: the next name of the
    // same inode becomes a hard link to it, once the first is written.
    std::map<std::pair<dev_t, ino_t>, std::string> inodes_;
    std::vector<std::pair<std::string, FileJob>> links_;  // (first name, another)
    std::deque<std::string> owned_names_;                 // store files' names, for their FileJobs
    std::vector<PlanEntry> directories_;
};

}  // namespace ocitools
