#include "closure/elf/file_tree.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <optional>

#include "closure/elf/elf_bytes.h"
#include "base/error.h"
#include "base/parallel.h"

namespace ocitools {

FileTree::FileTree(const std::filesystem::path& root)
    : root_(root), root_fd_(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (!root_fd_) throw SystemError("cannot open directory", root, errno);
}

UniqueFd FileTree::open(const std::string& path) const {
    if (is_host()) {
        return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    }
    open_how how{};
    how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return UniqueFd(
        static_cast<int>(syscall(SYS_openat2, root_fd_.get(), path.c_str(), &how, sizeof how)));
}

std::optional<struct stat> FileTree::stat(const std::string& path) const {
    if (auto it = stat_cache_.find(path); it != stat_cache_.end()) return it->second;
    std::optional<struct stat> result;
    struct stat st {};
    if (is_host()) {
        if (::stat(path.c_str(), &st) == 0) result = st;
    } else {
        open_how how{};
        how.flags = O_PATH | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        UniqueFd fd(static_cast<int>(
            syscall(SYS_openat2, root_fd_.get(), path.c_str(), &how, sizeof how)));
        if (fd && fstat(fd.get(), &st) == 0) result = st;
    }
    stat_cache_.emplace(path, result);
    return result;
}

bool FileTree::is_regular_file(const std::string& path) const {
    const auto st = stat(path);
    return st && S_ISREG(st->st_mode);
}

namespace {

std::string read_head(int fd, size_t n, const std::filesystem::path& shown) {
    std::string out(n, '\0');
    out.resize(read_start(fd, reinterpret_cast<std::byte*>(out.data()), n, shown));
    return out;
}

}  // namespace

std::string FileTree::read_prefix(const std::string& path, size_t n) const {
    UniqueFd fd = open(path);
    if (!fd) throw SystemError("cannot open", host_path(path), errno);
    return read_head(fd.get(), n, host_path(path));
}

FileTree::Head FileTree::read_head_of(const std::string& path, size_t n,
                                      std::vector<std::byte>& scratch) const {
    UniqueFd fd = open(path);
    if (!fd) throw SystemError("cannot open", host_path(path), errno);
    Head head{read_head(fd.get(), n, host_path(path)), nullptr};
    if (!ElfFile::has_magic(std::span(reinterpret_cast<const std::byte*>(head.bytes.data()),
                                      head.bytes.size())))
        return head;
    if (auto it = elf_cache_.find(path); it != elf_cache_.end()) {
        head.elf = it->second;
        return head;
    }
    // The same open file, read once.
    const FileBytes bytes(std::move(fd), host_path(path), &scratch);
    if (ElfFile::has_magic(bytes.bytes()))
        head.elf = std::make_shared<const ElfFile>(ElfFile::parse(bytes.bytes(), host_path(path)));
    return head;
}

FileTree::Head FileTree::inspect(const std::string& path, size_t n) const {
    Head head;
    if (auto it = prefetched_.find(path); it != prefetched_.end()) {
        head = std::move(it->second);
        prefetched_.erase(it);
    } else {
        head = read_head_of(path, n, scratch_);
    }
    if (head.elf) elf_cache_.emplace(path, head.elf);
    return head;
}

void FileTree::prefetch(const std::vector<std::string>& paths, size_t n, unsigned jobs) const {
    std::vector<std::optional<Head>> heads(paths.size());
    std::atomic<size_t> next{0};
    auto work = [&]() noexcept {
        std::vector<std::byte> scratch;
        for (size_t i; (i = next++) < paths.size();) {
            if (prefetched_.count(paths[i])) continue;
            try {
                heads[i] = read_head_of(paths[i], n, scratch);
            } catch (...) {  // inspect() will meet it again, and throw it in order
            }
        }
    };
    run_on_threads(std::min<size_t>(jobs, paths.size()), work);
    for (size_t i = 0; i < paths.size(); ++i)
        if (heads[i]) prefetched_.emplace(paths[i], std::move(*heads[i]));
}

std::shared_ptr<const ElfFile> FileTree::elf(const std::string& path) const {
    if (auto it = elf_cache_.find(path); it != elf_cache_.end()) return it->second;
    std::shared_ptr<const ElfFile> result;
    UniqueFd fd = open(path);
    if (!fd) throw SystemError("cannot open", host_path(path), errno);
    const FileBytes bytes(std::move(fd), host_path(path), &scratch_);
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
