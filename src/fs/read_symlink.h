// The target of a symlink, exactly as readlink(2) gives it, however long. Shared by the closure
// walk, the Nix reference scan and the rootfs writer.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "base/error.h"

namespace ocitools {

// readlinkat(dir_fd, name): AT_FDCWD and an absolute `name` for a plain path. `shown` names the
// link in errors.
inline std::string read_symlink_at(int dir_fd, const std::string& name, const std::string& shown) {
    std::string target(256, '\0');
    for (;;) {
        const ssize_t n = readlinkat(dir_fd, name.c_str(), target.data(), target.size());
        if (n < 0) throw SystemError("cannot read symlink", shown, errno);
        if (static_cast<size_t>(n) < target.size()) {
            target.resize(static_cast<size_t>(n));
            return target;
        }
        target.resize(target.size() * 2);  // it may have been truncated: try a larger buffer
    }
}

}  // namespace ocitools
