// Reading directories: shared by the closure's tree walk, the Nix store scan and the rootfs
// writer's store-path copy.
#pragma once

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"

namespace ocitools {

using DirHandle = std::unique_ptr<DIR, int (*)(DIR*)>;

// Open the directory at `path` for reading, never through a symlink at its end
// (O_NOFOLLOW). Throws SystemError naming it.
inline DirHandle open_directory(const std::string& path) {
    const int raw = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) throw SystemError("cannot open directory", path, errno);
    DirHandle dir(fdopendir(raw), closedir);
    if (!dir) {
        const int err = errno;
        close(raw);
        throw SystemError("cannot read directory", path, err);
    }
    return dir;
}

// The names in `dir` but "." and "..", in readdir(3) order. `shown` names it in errors.
inline std::vector<std::string> entry_names(DIR* dir, const std::string& shown) {
    std::vector<std::string> names;
    errno = 0;
    while (const dirent* e = readdir(dir)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
        errno = 0;
    }
    if (errno != 0) throw SystemError("cannot read directory", shown, errno);
    return names;
}

}  // namespace ocitools
