#include "closure/host_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <memory>
#include <vector>

#include "error.h"
#include "read_symlink.h"

namespace ocitools {

namespace {

// path_resolution(7): Linux gives up after 40 symlinks in one lookup.
constexpr int kMaxSymlinks = 40;

std::deque<std::string> split(const std::string& path) {
    std::deque<std::string> parts;
    size_t i = 0;
    while (i < path.size()) {
        size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        if (j > i) parts.emplace_back(path, i, j - i);
        i = j + 1;
    }
    return parts;
}

}  // namespace

std::string parent_path(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

std::string join_path(const std::string& dir, const std::string& name) {
    std::string out = "/";
    for (const auto& part : split(dir + "/" + name)) {
        if (part == ".") continue;
        if (out.size() > 1) out += '/';
        out += part;
    }
    return out;
}

ResolvedPath HostPaths::resolve(const std::string& path) {
    if (path.empty() || path[0] != '/') throw ClosureError(quote(path) + ": not an absolute path");
    std::deque<std::string> todo = split(path);
    std::string current = "/";
    int links = 0;
    struct stat st {};
    if (lstat("/", &st) != 0) throw SystemError("cannot stat", "/", errno);
    while (!todo.empty()) {
        const std::string part = std::move(todo.front());
        todo.pop_front();
        if (part == ".") continue;
        if (part == "..") {
            // `current` holds no symlinks, so its lexical parent is its real parent.
            current = parent_path(current);
            if (lstat(current.c_str(), &st) != 0) throw SystemError("cannot stat", current, errno);
            continue;
        }
        if (!S_ISDIR(st.st_mode))
            throw ClosureError(quote(path) + ": " + quote(current) + " is not a directory");
        const std::string next = join_path(current, part);
        if (lstat(next.c_str(), &st) != 0) {
            if (errno == ENOENT && next != path)
                throw ClosureError(quote(path) + ": " + quote(next) + " does not exist");
            throw SystemError("cannot stat", next, errno);
        }
        if (!S_ISLNK(st.st_mode)) {
            current = next;
            continue;
        }
        if (++links > kMaxSymlinks)
            throw ClosureError(quote(path) + ": too many levels of symbolic links (a loop at " +
                               quote(next) + "?)");
        const std::string target = read_symlink_at(AT_FDCWD, next, next);
        if (!claimed(next))
            plan_.add(PlanEntry{.path = next,
                                .kind = EntryKind::Symlink,
                                .source = next,
                                .link_target = target,
                                .mode = st.st_mode & 07777,
                                .mtime = st.st_mtim});
        auto parts = split(target);
        todo.insert(todo.begin(), parts.begin(), parts.end());
        if (!target.empty() && target[0] == '/') current = "/";
        if (lstat(current.c_str(), &st) != 0) throw SystemError("cannot stat", current, errno);
    }
    return ResolvedPath{current, st};
}

ResolvedPath HostPaths::add(const std::string& path, std::vector<std::string>* files) {
    ResolvedPath resolved = resolve(path);
    if (claimed(resolved.real_path)) return resolved;
    add_node(resolved.real_path, resolved.st, files);
    if (S_ISDIR(resolved.st.st_mode)) add_tree(resolved.real_path, files);
    return resolved;
}

void HostPaths::add_entry(const std::string& path, std::vector<std::string>* files) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash + 1 == path.size())
        throw ClosureError(quote(path) + ": not an absolute path to an entry");
    const ResolvedPath parent = resolve(slash == 0 ? "/" : path.substr(0, slash));
    const std::string real_path = join_path(parent.real_path, path.substr(slash + 1));
    if (claimed(real_path)) return;
    struct stat st {};
    if (lstat(real_path.c_str(), &st) != 0) throw SystemError("cannot stat", real_path, errno);
    add_node(real_path, st, files);
}

void HostPaths::add_node(const std::string& real_path, const struct stat& st,
                         std::vector<std::string>* files) {
    PlanEntry entry{.path = real_path,
                    .kind = EntryKind::File,
                    .source = real_path,
                    .link_target = {},
                    .mode = st.st_mode & 07777,
                    .mtime = st.st_mtim};
    if (S_ISDIR(st.st_mode)) {
        if (real_path == "/") return;  // the rootfs itself
        entry.kind = EntryKind::Directory;
    } else if (S_ISLNK(st.st_mode)) {
        entry.kind = EntryKind::Symlink;
        entry.link_target = read_symlink_at(AT_FDCWD, real_path, real_path);
        // Kept as it is, dangling or not (the container may mount its target); but say so.
        struct stat target {};
        if (stat(real_path.c_str(), &target) != 0 && (errno == ENOENT || errno == ENOTDIR))
            reporter_.warn("keeping dangling symlink " + quote(real_path) + " -> " +
                           quote(entry.link_target) + " (its target does not exist)");
    } else if (!S_ISREG(st.st_mode)) {
        reporter_.warn("skipping " + quote(real_path) +
                       ": not a regular file, directory or symlink (devices, sockets and fifos are "
                       "not copied)");
        return;
    }
    plan_.add(std::move(entry));
    if (files && S_ISREG(st.st_mode)) files->push_back(real_path);
}

void HostPaths::add_tree(const std::string& real_dir, std::vector<std::string>* files) {
    // An explicit stack instead of recursion: deep trees must not exhaust the C++ stack.
    std::vector<std::string> stack{real_dir};
    while (!stack.empty()) {
        const std::string dir = std::move(stack.back());
        stack.pop_back();
        std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
        if (!d) throw SystemError("cannot read directory", dir, errno);
        std::vector<std::string> names;
        errno = 0;
        while (const dirent* e = readdir(d.get())) {
            const std::string name = e->d_name;
            if (name != "." && name != "..") names.push_back(name);
            errno = 0;
        }
        if (errno != 0) throw SystemError("cannot read directory", dir, errno);
        for (const auto& name : names) {
            const std::string child = join_path(dir, name);
            struct stat st {};
            if (lstat(child.c_str(), &st) != 0) throw SystemError("cannot stat", child, errno);
            if (claimed(child)) continue;
            add_node(child, st, files);
            if (S_ISDIR(st.st_mode)) stack.push_back(child);
        }
    }
}

}  // namespace ocitools
