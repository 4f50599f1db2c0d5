#include "closure/nix/nix_store_scan.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <set>

#include "fs/directory.h"
#include "base/error.h"
#include "fs/read_symlink.h"
#include "fs/unique_fd.h"

namespace ocitools {

namespace {

// Large enough that a read costs little per byte, small enough to stay in the L2 cache.
constexpr size_t kBufferSize = 256 << 10;

}  // namespace

StoreScan::StoreScan(const StoreDir& store) : store_(store) {
    DirHandle dir(opendir(store_.path().c_str()), closedir);
    if (!dir) throw SystemError("cannot read the Nix store directory", store_.path(), errno);
    errno = 0;
    while (const dirent* e = readdir(dir.get())) {
        auto path = store_.from_base_name(e->d_name);
        errno = 0;
        if (!path) continue;  // ".", "..", ".links", stray files
        const std::string hash(path->hash_part());
        auto [it, inserted] = by_hash_.try_emplace(hash, *path);
        // Two entries with one hash part: a store path and its "<path>.lock" (or ".check")
        // beside it while Nix builds it. The store path is the shorter name.
        if (!inserted && path->base_name().size() < it->second.base_name().size())
            it->second = *path;
        candidates_.add(hash);
    }
    if (errno != 0) throw SystemError("cannot read the Nix store directory", store_.path(), errno);
}

bool StoreScan::exists(const StorePath& path) const {
    auto it = by_hash_.find(path.hash_part());
    return it != by_hash_.end() && it->second == path;
}

void StoreScan::scan_file(int dir_fd, const std::string& name, const std::string& path,
                          ReferenceScanner& scanner) {
    UniqueFd fd(openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
    if (!fd) throw SystemError("cannot open", path, errno);
    (void)posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    if (buffer_.size() != kBufferSize) buffer_.resize(kBufferSize);
    scanner.end_stream();
    for (;;) {
        const ssize_t n = read(fd.get(), buffer_.data(), buffer_.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SystemError("cannot read", path, errno);
        if (n == 0) break;
        scanner.feed(std::string_view(buffer_.data(), static_cast<size_t>(n)));
    }
    scanner.end_stream();
}

std::vector<StorePath> StoreScan::references(const StorePath& root) {
    ReferenceScanner scanner(candidates_);
    // The store path itself: its own name is not part of its NAR, only what is inside.
    const std::string& top = root.path();
    const std::string parent = store_.path();
    UniqueFd store_fd(open(parent.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!store_fd) throw SystemError("cannot open the Nix store directory", parent, errno);
    const std::string top_name(root.base_name());
    struct stat st {};
    if (fstatat(store_fd.get(), top_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        throw SystemError("cannot stat store path", top, errno);
    if (S_ISLNK(st.st_mode)) {
        scanner.scan(read_symlink_at(store_fd.get(), top_name, top));
    } else if (S_ISREG(st.st_mode)) {
        scan_file(store_fd.get(), top_name, top, scanner);
    } else if (S_ISDIR(st.st_mode)) {
        // An explicit stack of directories: deep trees must not exhaust the C++ stack.
        std::vector<std::string> stack{top};
        while (!stack.empty()) {
            const std::string dir_path = std::move(stack.back());
            stack.pop_back();
            const DirHandle dir = open_directory(dir_path);
            const int fd = dirfd(dir.get());
            errno = 0;
            while (const dirent* e = readdir(dir.get())) {
                const std::string name = e->d_name;
                if (name == "." || name == "..") {
                    errno = 0;
                    continue;
                }
                const std::string path = dir_path + "/" + name;
                scanner.scan(name);
                unsigned char type = e->d_type;
                if (type == DT_UNKNOWN) {
                    if (fstatat(fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
                        throw SystemError("cannot stat", path, errno);
                    type = S_ISDIR(st.st_mode)   ? DT_DIR
                           : S_ISLNK(st.st_mode) ? DT_LNK
                           : S_ISREG(st.st_mode) ? DT_REG
                                                 : DT_UNKNOWN;
                }
                if (type == DT_DIR) {
                    stack.push_back(path);
                } else if (type == DT_LNK) {
                    scanner.scan(read_symlink_at(fd, name, path));
                } else if (type == DT_REG) {
                    scan_file(fd, name, path, scanner);
                } else {
                    throw ClosureError("store path " + quote(top) + " holds " + quote(path) +
                                       ", which is not a regular file, directory or symlink "
                                       "(a Nix store path cannot)");
                }
                errno = 0;
            }
            if (errno != 0) throw SystemError("cannot read directory", dir_path, errno);
        }
    } else {
        throw ClosureError("store path " + quote(top) +
                           " is not a regular file, directory or symlink");
    }

    std::vector<StorePath> refs;
    for (const auto& hash : scanner.found()) {
        auto it = by_hash_.find(hash);
        if (it != by_hash_.end() && it->second != root) refs.push_back(it->second);
    }
    return refs;
}

std::vector<StorePath> StoreScan::closure(const std::vector<StorePath>& roots,
                                          std::map<StorePath, StorePath>* referrers,
                                          StoreGraph* graph) {
    std::set<StorePath> seen;
    std::vector<StorePath> todo;
    for (const auto& root : roots) {
        if (!exists(root))
            throw ClosureError("store path " + quote(root.path()) + " does not exist in " +
                               quote(store_.path()));
        if (seen.insert(root).second) todo.push_back(root);
    }
    while (!todo.empty()) {
        const StorePath path = std::move(todo.back());
        todo.pop_back();
        std::vector<StorePath> refs = references(path);
        if (graph) {
            auto& sorted = (*graph)[path] = refs;
            std::sort(sorted.begin(), sorted.end());
        }
        for (auto& ref : refs) {
            if (!seen.insert(ref).second) continue;
            if (referrers) referrers->emplace(ref, path);
            todo.push_back(std::move(ref));
        }
    }
    return {seen.begin(), seen.end()};
}

}  // namespace ocitools
