#include "closure/host_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <deque>
#include <memory>
#include <vector>

#include "fs/directory.h"
#include "base/error.h"
#include "fs/read_symlink.h"

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

const HostPaths::Node* HostPaths::find_node(const std::string& path, int& error) {
    if (auto it = nodes_.find(path); it != nodes_.end()) return &it->second;
    Node n{};
    if (::lstat(path.c_str(), &n.st) != 0) {
        error = errno;  // not cached: an error ends the build
        return nullptr;
    }
    if (S_ISLNK(n.st.st_mode)) n.target = read_symlink_at(AT_FDCWD, path, path);
    return &nodes_.emplace(path, std::move(n)).first->second;
}

int HostPaths::lstat(const std::string& path, struct stat& st) {
    int error = 0;
    const Node* n = find_node(path, error);
    if (!n) return error;
    st = n->st;
    return 0;
}

const HostPaths::Node& HostPaths::node(const std::string& path) {
    int error = 0;
    const Node* n = find_node(path, error);
    if (!n) throw SystemError("cannot stat", path, error);
    return *n;
}

ResolvedPath HostPaths::resolve(const std::string& path) {
    if (path.empty() || path[0] != '/') throw ClosureError(quote(path) + ": not an absolute path");
    if (auto it = resolved_.find(path); it != resolved_.end()) return it->second;
    std::deque<std::string> todo = split(path);
    std::string current = "/";
    int links = 0;
    const Node* at = &node("/");
    while (!todo.empty()) {
        const std::string part = std::move(todo.front());
        todo.pop_front();
        if (part == ".") continue;
        if (part == "..") {
            // `current` holds no symlinks, so its lexical parent is its real parent.
            current = parent_path(current);
            at = &node(current);
            continue;
        }
        if (!S_ISDIR(at->st.st_mode))
            throw ClosureError(quote(path) + ": " + quote(current) + " is not a directory");
        const std::string next = join_path(current, part);
        int error = 0;
        const Node* found = find_node(next, error);
        if (!found) {
            if (error == ENOENT && next != path)
                throw ClosureError(quote(path) + ": " + quote(next) + " does not exist");
            throw SystemError("cannot stat", next, error);
        }
        if (!S_ISLNK(found->st.st_mode)) {
            current = next;
            at = found;
            continue;
        }
        if (++links > kMaxSymlinks)
            throw ClosureError(quote(path) + ": too many levels of symbolic links (a loop at " +
                               quote(next) + "?)");
        const std::string& target = found->target;
        if (!claimed(next))
            plan_.add(PlanEntry{.path = next,
                                .kind = EntryKind::Symlink,
                                .source = next,
                                .link_target = target,
                                .mode = found->st.st_mode & 07777,
                                .mtime = found->st.st_mtim});
        auto parts = split(target);
        todo.insert(todo.begin(), parts.begin(), parts.end());
        if (!target.empty() && target[0] == '/') current = "/";
        at = &node(current);
    }
    ResolvedPath result{current, at->st};
    resolved_.emplace(path, result);
    return result;
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
    add_node(real_path, node(real_path).st, files);
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
        const auto known = nodes_.find(real_path);
        entry.link_target = known != nodes_.end() ? known->second.target
                                                  : read_symlink_at(AT_FDCWD, real_path, real_path);
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
        DirHandle d(opendir(dir.c_str()), closedir);
        if (!d) throw SystemError("cannot read directory", dir, errno);
        for (const auto& name : entry_names(d.get(), dir)) {
            const std::string child = join_path(dir, name);
            if (claimed(child)) continue;
            // Not cached: a tree's entries are met once, and a large tree would make the cache
            // the biggest thing in memory.
            struct stat st {};
            if (::lstat(child.c_str(), &st) != 0) throw SystemError("cannot stat", child, errno);
            add_node(child, st, files);
            if (S_ISDIR(st.st_mode)) stack.push_back(child);
        }
    }
}

}  // namespace ocitools
