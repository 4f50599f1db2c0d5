#include "fs/openat2.h"

#include <sys/syscall.h>
#include <unistd.h>

namespace ocitools {

int openat2_fd(int dir, const char* path, int flags, mode_t mode, __u64 resolve) {
    open_how how{};
    how.flags = static_cast<__u64>(flags);
    how.mode = mode;
    how.resolve = resolve;
    return static_cast<int>(syscall(SYS_openat2, dir, path, &how, sizeof how));
}

}  // namespace ocitools
