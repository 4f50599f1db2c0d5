#include "rootfs/beneath.h"

#include <fcntl.h>

#include <cerrno>

#include "base/error.h"

namespace ocitools {

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
