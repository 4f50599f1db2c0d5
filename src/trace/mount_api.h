// The parts of the kernel's mount API the traced run's sandbox needs, apart from mount(2).
// Kept in a file of their own: <linux/mount.h> and glibc's <sys/mount.h> cannot be included
// together.
#pragma once

namespace ocitools::mount_api {

// A new tmpfs, mounted nowhere (fsopen, fsmount): reachable only through the returned
// descriptor, so no path of the host shows it. -1 with errno set on failure.
int detached_tmpfs() noexcept;

// Make every mount at and beneath `path` read-only (mount_setattr, AT_RECURSIVE). 0 or -1.
int make_tree_readonly(const char* path) noexcept;

}  // namespace ocitools::mount_api
