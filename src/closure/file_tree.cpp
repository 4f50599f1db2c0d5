#include "closure/file_tree.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "closure/elf_bytes.h"
#include "error.h"

namespace ocitools {

FileTree::FileTree(const std::filesystem::path& root)
    : root_(root), root_fd_(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (!root_fd_) throw SystemError("cannot open directory", root, errno);
}

UniqueFd FileTree::open(const std::string& path) const {
    if (is_host())
        return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return UniqueFd(
        static_cast<int>(syscall(SYS_openat2, root_fd_.get(), path.c_str(), &how, sizeof how)));
}

std::optional<struct stat> FileTree::stat(const std::string& path) const {
    struct stat st {};
    if (is_host()) {
        if (::stat(path.c_str(), &st) != 0) return std::nullopt;
        return st;
    }
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    UniqueFd fd(
        static_cast<int>(syscall(SYS_openat2, root_fd_.get(), path.c_str(), &how, sizeof how)));
    if (!fd || fstat(fd.get(), &st) != 0) return std::nullopt;
    return st;
}

bool FileTree::is_regular_file(const std::string& path) const {
    const auto st = stat(path);
    return st && S_ISREG(st->st_mode);
}

std::string FileTree::read_prefix(const std::string& path, size_t n) const {
    UniqueFd fd = open(path);
    if (!fd) throw SystemError("cannot open", host_path(path), errno);
    std::string out(n, '\0');
    size_t done = 0;
    while (done < n) {
        const ssize_t r = pread(fd.get(), out.data() + done, n - done, static_cast<off_t>(done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw SystemError("cannot read", host_path(path), errno);
        if (r == 0) break;
        done += static_cast<size_t>(r);
    }
    out.resize(done);
    return out;
}

std::shared_ptr<const ElfFile> FileTree::elf(const std::string& path) const {
    if (auto it = elf_cache_.find(path); it != elf_cache_.end()) return it->second;
    std::shared_ptr<const ElfFile> result;
    UniqueFd fd = open(path);
    if (!fd) throw SystemError("cannot open", host_path(path), errno);
    const FileBytes bytes(std::move(fd), host_path(path));
    if (ElfFile::has_magic(bytes.bytes()))
        result = std::make_shared<const ElfFile>(ElfFile::parse(bytes.bytes(), host_path(path)));
    elf_cache_.emplace(path, result);
    return result;
}

std::filesystem::path FileTree::host_path(const std::string& path) const {
    if (is_host()) return path;
    return root_ / std::filesystem::path(path).relative_path();
}

}  // namespace ocitools
