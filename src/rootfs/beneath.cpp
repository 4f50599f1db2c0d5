#include "rootfs/beneath.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.h"

namespace ocitools {

int openat2_fd(int dir, const char* path, int flags, mode_t mode, __u64 resolve) {
    open_how how{};
    how.flags = static_cast<__u64>(flags);
    how.mode = mode;
    how.resolve = resolve;
    return static_cast<int>(syscall(SYS_openat2, dir, path, &how, sizeof how));
}

UniqueFd open_rootfs_dir(int root, const std::string& rel) {
    UniqueFd fd(openat2_fd(root, rel.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, kResolveStrict));
    if (!fd) throw SystemError("cannot open rootfs directory", "/" + rel, errno);
    return fd;
}

PathSplit rootfs_split(const std::string& path) {
    const PathSplit split = split_last(strip_root(path));
    if (split.name.empty() || split.name == "." || split.name == "..")
        throw Error("cannot create " + quote(path) + " in the rootfs: not a file name");
    return split;
}

}  // namespace ocitools
