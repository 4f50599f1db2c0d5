#include "fs/memory_disk.h"

#include <cerrno>
#include <cstring>
#include <deque>

#include "base/error.h"
#include "fs/path.h"

namespace ocitools {

namespace {

std::deque<std::string> components(const std::string& path) {
    std::deque<std::string> parts;
    for (std::size_t i = 0; i < path.size();) {
        std::size_t j = path.find('/', i);
        if (j == std::string::npos) j = path.size();
        if (j > i) parts.emplace_back(path, i, j - i);
        i = j + 1;
    }
    return parts;
}

class MemoryFile final : public DiskFile {
  public:
    MemoryFile(const MemoryDisk::Node& node, std::string shown)
        : node_(node), shown_(std::move(shown)) {}

    std::string read_start(std::size_t n) override {
        check_readable();
        return node_.data.substr(0, n);
    }
    std::string read_all(std::size_t limit) override {
        check_readable();
        if (node_.data.size() > limit) throw SystemError("cannot read", shown_, EFBIG);
        return node_.data;
    }
    FileBytes bytes(std::vector<std::byte>*) override {
        if (!S_ISREG(node_.mode)) throw FormatError(quote(shown_) + ": not a regular file");
        return FileBytes::borrow(std::as_bytes(std::span(node_.data)));
    }

  private:
    // read(2) of a directory is EISDIR; open(2) of one for reading succeeds.
    void check_readable() const {
        if (S_ISDIR(node_.mode)) throw SystemError("cannot read", shown_, EISDIR);
    }

    const MemoryDisk::Node& node_;
    std::string shown_;
};

}  // namespace

MemoryDisk::MemoryDisk() {
    add("/", Node{S_IFDIR | 0755, {}});
}

MemoryDisk::Node& MemoryDisk::add(const std::string& path, Node node) {
    if (path.empty() || path[0] != '/')
        throw Error("MemoryDisk: " + quote(path) + " is not an absolute path");
    const std::string clean = join_path("/", path);
    if (clean != "/" && !nodes_.count(parent_path(clean))) add_directory(parent_path(clean));
    node.inode = next_inode_++;
    return nodes_.insert_or_assign(clean, std::move(node)).first->second;
}

void MemoryDisk::add_file(const std::string& path, std::string bytes, mode_t mode) {
    add(path, Node{S_IFREG | (mode & 07777), std::move(bytes)});
}

void MemoryDisk::add_directory(const std::string& path, mode_t mode) {
    add(path, Node{S_IFDIR | (mode & 07777), {}});
}

void MemoryDisk::add_symlink(const std::string& path, std::string target) {
    add(path, Node{S_IFLNK | 0777, std::move(target)});
}

void MemoryDisk::fail(const std::string& path, int error) {
    const auto it = nodes_.find(join_path("/", path));
    if (it == nodes_.end()) throw Error("MemoryDisk: no node " + quote(path) + " to fail");
    it->second.error = error;
}

int MemoryDisk::find(const std::string& path, bool follow, const Node*& node,
                     std::string* real) const {
    if (path.empty()) return ENOENT;
    if (path[0] != '/') return EINVAL;  // no working directory here
    std::deque<std::string> todo = components(path);
    std::string current = "/";
    const Node* at = &nodes_.at("/");
    int links = 0;
    while (!todo.empty()) {
        const std::string part = std::move(todo.front());
        todo.pop_front();
        if (!S_ISDIR(at->mode)) return ENOTDIR;
        if (part == ".") continue;
        if (part == "..") {
            current = parent_path(current);  // `current` holds no symlink
            at = &nodes_.at(current);
            continue;
        }
        const std::string next = join_path(current, part);
        const auto it = nodes_.find(next);
        if (it == nodes_.end()) return ENOENT;
        if (it->second.error != 0) return it->second.error;
        if (!S_ISLNK(it->second.mode) || (todo.empty() && !follow)) {
            current = next;
            at = &it->second;
            continue;
        }
        if (++links > kSymlinkLimit) return ELOOP;
        const std::string& target = it->second.data;
        auto parts = components(target);
        todo.insert(todo.begin(), parts.begin(), parts.end());
        if (target.starts_with('/')) {
            current = "/";
            at = &nodes_.at("/");
        }
    }
    node = at;
    if (real) *real = current;
    return 0;
}

struct stat MemoryDisk::stat_of(const Node& node) const {
    struct stat st {};
    st.st_mode = node.mode;
    st.st_ino = node.inode;
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(node.data.size());
    return st;
}

int MemoryDisk::lstat(const std::string& path, struct stat& st) const {
    const Node* node = nullptr;
    if (const int error = find(path, /*follow=*/false, node); error != 0) return error;
    st = stat_of(*node);
    return 0;
}

int MemoryDisk::stat(const std::string& path, struct stat& st) const {
    const Node* node = nullptr;
    if (const int error = find(path, /*follow=*/true, node); error != 0) return error;
    st = stat_of(*node);
    return 0;
}

int MemoryDisk::readlink(const std::string& path, std::string& target) const {
    const Node* node = nullptr;
    if (const int error = find(path, /*follow=*/false, node); error != 0) return error;
    if (!S_ISLNK(node->mode)) return EINVAL;
    target = node->data;
    return 0;
}

std::unique_ptr<DiskFile> MemoryDisk::open(const std::string& path, int& error) const {
    const Node* node = nullptr;
    error = find(path, /*follow=*/true, node);
    if (error != 0) return nullptr;
    return std::make_unique<MemoryFile>(*node, path);
}

std::vector<DirEntry> MemoryDisk::list_directory(const std::string& path) const {
    const Node* node = nullptr;
    std::string dir;  // its real path: the map is keyed by them
    int error = find(path, /*follow=*/false, node, &dir);
    if (error == 0 && !S_ISDIR(node->mode)) error = ENOTDIR;
    if (error != 0) throw SystemError("cannot open directory", path, error);
    const std::string prefix = dir == "/" ? "/" : dir + "/";
    std::vector<DirEntry> entries;
    for (auto it = nodes_.lower_bound(prefix); it != nodes_.end() && it->first.starts_with(prefix);
         ++it) {
        const std::string name = it->first.substr(prefix.size());
        if (name.empty() || name.find('/') != std::string::npos) continue;
        if (it->second.error != 0) throw SystemError("cannot stat", it->first, it->second.error);
        entries.push_back(DirEntry{name, stat_of(it->second)});
    }
    return entries;
}

}  // namespace ocitools
