// Opening paths relative to the rootfs with openat2(2), so that nothing the writer does lands
// outside it: RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS while laying out the plan (whose parent
// directories are real directories by construction), RESOLVE_IN_ROOT where symlinks in the rootfs
// are followed as the container would follow them ("/" and ".." stop at the rootfs).
#pragma once

#include <linux/openat2.h>
#include <sys/types.h>

#include <string>

#include "fs/path.h"
#include "fs/unique_fd.h"

namespace ocitools {

inline constexpr __u64 kResolveStrict =
    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
inline constexpr __u64 kResolveInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

// openat2(2) (glibc has no wrapper): -1 with errno on failure.
int openat2_fd(int dir, const char* path, int flags, mode_t mode, __u64 resolve);

// The directory `rel` ("." for the rootfs itself) opened O_PATH beneath `root`, with no symlink
// on the way. Throws SystemError("cannot open rootfs directory", "/" + rel).
UniqueFd open_rootfs_dir(int root, const std::string& rel);

// `path` (absolute in the rootfs) cut into its directory relative to the rootfs ("." for "/")
// and its last name. Throws Error when the last name is not a name a file can be created as
// ("", ".", "..").
PathSplit rootfs_split(const std::string& path);

}  // namespace ocitools
