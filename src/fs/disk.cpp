#include "fs/disk.h"

#include <cerrno>

#include "base/error.h"

namespace ocitools {

std::unique_ptr<DiskFile> Disk::open(const std::string& path) const {
    int error = 0;
    auto file = open(path, error);
    if (!file) throw SystemError("cannot open", shown(path), error);
    return file;
}

std::string Disk::read_link(const std::string& path) const {
    std::string target;
    if (const int error = readlink(path, target); error != 0)
        throw SystemError("cannot read symlink", shown(path), error);
    return target;
}

std::string Disk::read_start(const std::string& path, std::size_t n) const {
    return open(path)->read_start(n);
}

std::optional<std::string> Disk::read_file(const std::string& path, std::size_t limit,
                                           bool missing_ok) const {
    int error = 0;
    auto file = open(path, error);
    if (!file) {
        if (missing_ok && error == ENOENT) return std::nullopt;
        throw SystemError("cannot open", shown(path), error);
    }
    return file->read_all(limit);
}

bool Disk::is_regular_file(const std::string& path) const {
    struct stat st {};
    return stat(path, st) == 0 && S_ISREG(st.st_mode);
}

}  // namespace ocitools
