// Trees held in memory (MemoryDisk) that tests of several parts start from.
#pragma once

#include <string>

#include "fs/memory_disk.h"

namespace ocitools::testing {

// A merged-/usr tree with a shell: /bin -> usr/bin, /usr/bin/dash (a stand-in, not ELF) and
// /usr/bin/sh -> dash.
inline MemoryDisk merged_usr_with_a_shell() {
    MemoryDisk disk;
    disk.add_symlink("/bin", "usr/bin");
    disk.add_file("/usr/bin/dash", "not ELF: a stand-in for the shell", 0755);
    disk.add_symlink("/usr/bin/sh", "dash");
    return disk;
}

// The host's /etc/mtab: a symlink to ../proc/self/mounts, /proc/self a symlink to the process
// `pid`, and its mounts file, in /proc, which the runtime mounts.
inline void add_mtab(MemoryDisk& disk, const std::string& pid) {
    disk.add_symlink("/etc/mtab", "../proc/self/mounts");
    disk.add_symlink("/proc/self", pid);
    disk.add_file("/proc/" + pid + "/mounts", "proc /proc proc rw 0 0\n");
}

}  // namespace ocitools::testing
