// openat2(2), which glibc does not wrap, and the two ways ocitools resolves a path inside a
// directory it treats as a root: RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS where a symlink on the way
// must be refused, RESOLVE_IN_ROOT where symlinks are followed as the container would follow them
// ("/" and ".." stop at the root).
#pragma once

#include <linux/openat2.h>
#include <sys/types.h>

namespace ocitools {

inline constexpr __u64 kResolveStrict =
    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
inline constexpr __u64 kResolveInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

// openat2(dir, path, {flags, mode, resolve}): a descriptor, or -1 with errno.
int openat2_fd(int dir, const char* path, int flags, mode_t mode, __u64 resolve);

}  // namespace ocitools
