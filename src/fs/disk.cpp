#include "fs/disk.h"

#include <cerrno>
#include <deque>

#include "base/error.h"
#include "fs/path.h"

namespace ocitools {

std::unique_ptr<DiskFile> Disk::open_file(const std::string& path) const {
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
    return open_file(path)->read_start(n);
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

std::string Disk::real_path(const std::string& path) const {
    std::deque<std::string> todo;
    for (const std::string_view name : path_names(path)) todo.emplace_back(name);
    std::string current = "/";  // holds no symlink, so its lexical parent is its real one
    int links = 0;
    while (!todo.empty()) {
        const std::string name = std::move(todo.front());
        todo.pop_front();
        if (name == "..") {
            current = parent_path(current);
            continue;
        }
        const std::string next = join_path(current, name);
        struct stat st {};
        if (const int error = lstat(next, st); error != 0)
            throw SystemError("cannot stat", shown(next), error);
        if (!S_ISLNK(st.st_mode)) {
            current = next;
            continue;
        }
        if (++links > kSymlinkLimit) throw SystemError("cannot resolve", shown(path), ELOOP);
        const std::string target = read_link(next);
        const std::vector<std::string_view> names = path_names(target);
        todo.insert(todo.begin(), names.begin(), names.end());
        if (target.starts_with('/')) current = "/";
    }
    return current;
}

}  // namespace ocitools
