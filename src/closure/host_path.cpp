#include "closure/host_path.h"

#include <cerrno>
#include <deque>
#include <memory>
#include <vector>

#include "base/error.h"
#include "fs/path.h"

namespace ocitools {

namespace {

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

struct stat HostPaths::lstat(const std::string& path) {
    struct stat st {};
    if (const int error = disk_.lstat(path, st); error != 0)
        throw SystemError("cannot stat", disk_.shown(path), error);
    return st;
}

ResolvedPath HostPaths::resolve(const std::string& path) {
    if (path.empty() || path[0] != '/') throw ClosureError(quote(path) + ": not an absolute path");
    if (auto it = resolved_.find(path); it != resolved_.end()) return it->second;
    std::deque<std::string> todo = split(path);
    std::string current = "/";
    int links = 0;
    struct stat at = lstat("/");
    while (!todo.empty()) {
        const std::string part = std::move(todo.front());
        todo.pop_front();
        if (part == ".") continue;
        if (part == "..") {
            // `current` holds no symlinks, so its lexical parent is its real parent.
            current = parent_path(current);
            at = lstat(current);
            continue;
        }
        if (!S_ISDIR(at.st_mode))
            throw ClosureError(quote(path) + ": " + quote(current) + " is not a directory");
        const std::string next = join_path(current, part);
        if (const std::string_view mount = runtime_mounted_dir(next); !mount.empty()) {
            std::string rest = next;
            for (const auto& name : todo) rest = join_path(rest, name);
            ResolvedPath result{std::move(rest), {}, mount};
            resolved_.emplace(path, result);
            return result;
        }
        struct stat found {};
        if (const int error = disk_.lstat(next, found); error != 0) {
            if (error == ENOENT && next != path)
                throw ClosureError(quote(path) + ": " + quote(next) + " does not exist");
            throw SystemError("cannot stat", disk_.shown(next), error);
        }
        if (!S_ISLNK(found.st_mode)) {
            current = next;
            at = found;
            continue;
        }
        if (++links > kSymlinkLimit)
            throw ClosureError(quote(path) + ": too many levels of symbolic links (a loop at " +
                               quote(next) + "?)");
        const std::string target = disk_.read_link(next);
        const Reason why{"symlink on the way to ", path};
        if (!claimed(next, why)) {
            plan_.add(PlanEntry{.path = next,
                                .kind = EntryKind::Symlink,
                                .source = next,
                                .link_target = target,
                                .mode = found.st_mode & 07777,
                                .mtime = found.st_mtim});
            reasons_.record(next, why);
        }
        auto parts = split(target);
        todo.insert(todo.begin(), parts.begin(), parts.end());
        if (!target.empty() && target[0] == '/') current = "/";
        at = lstat(current);
    }
    ResolvedPath result{current, at, {}};
    resolved_.emplace(path, result);
    return result;
}

ResolvedPath HostPaths::add(const std::string& path, const Reason& why,
                          std::vector<std::string>* files, bool recursive) {
    ResolvedPath resolved = resolve(path);
    if (!resolved.runtime_mount.empty() || claimed(resolved.real_path, why)) return resolved;
    add_node(resolved.real_path, resolved.st, why, files);
    if (recursive && S_ISDIR(resolved.st.st_mode)) add_tree(resolved.real_path, files);
    return resolved;
}

void HostPaths::add_entry(const std::string& path, const Reason& why,
                          std::vector<std::string>* files) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash + 1 == path.size())
        throw ClosureError(quote(path) + ": not an absolute path to an entry");
    const ResolvedPath parent = resolve(slash == 0 ? "/" : path.substr(0, slash));
    const std::string real_path = join_path(parent.real_path, path.substr(slash + 1));
    if (!parent.runtime_mount.empty() || !runtime_mounted_dir(real_path).empty() ||
        claimed(real_path, why))
        return;
    add_node(real_path, lstat(real_path), why, files);
}

void HostPaths::add_node(const std::string& real_path, const struct stat& st,
                         const Reason& why, std::vector<std::string>* files) {
    PlanEntry entry{.path = real_path,
                    .kind = EntryKind::File,
                    .source = real_path,
                    .link_target = {},
                    .mode = st.st_mode & 07777,
                    .mtime = st.st_mtim,
                    .dev = st.st_dev,
                    .ino = st.st_ino};
    if (S_ISDIR(st.st_mode)) {
        if (real_path == "/") return;  // the rootfs itself
        entry.kind = EntryKind::Directory;
    } else if (S_ISLNK(st.st_mode)) {
        entry.kind = EntryKind::Symlink;
        entry.link_target = disk_.read_link(real_path);
        // Kept as it is, dangling or not (the container may mount its target); but say so.
        struct stat target {};
        if (const int error = disk_.stat(real_path, target); error == ENOENT || error == ENOTDIR)
            reporter_.warn("keeping dangling symlink " + quote(real_path) + " -> " +
                           quote(entry.link_target) + " (its target does not exist)");
    } else if (!S_ISREG(st.st_mode)) {
        reporter_.warn("skipping " + quote(real_path) +
                       ": not a regular file, directory or symlink (devices, sockets and fifos are "
                       "not copied)");
        return;
    }
    plan_.add(std::move(entry));
    reasons_.record(real_path, why);
    if (files && S_ISREG(st.st_mode)) files->push_back(real_path);
}

void HostPaths::add_tree(const std::string& real_dir, std::vector<std::string>* files) {
    // An explicit stack instead of recursion: deep trees must not exhaust the C++ stack.
    std::vector<std::string> stack{real_dir};
    while (!stack.empty()) {
        const std::string dir = std::move(stack.back());
        stack.pop_back();
        const Reason why{"in directory ", dir};
        for (const DirEntry& entry : disk_.list_directory(dir)) {
            const std::string child = join_path(dir, entry.name);
            if (claimed(child, why)) continue;
            add_node(child, entry.st, why, files);
            if (S_ISDIR(entry.st.st_mode)) stack.push_back(child);
        }
    }
}

}  // namespace ocitools
