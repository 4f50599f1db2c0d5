#include "closure/elf/file_tree.h"

#include <atomic>
#include <cerrno>
#include <optional>

#include "closure/elf/elf_bytes.h"
#include "base/error.h"
#include "base/parallel.h"

namespace ocitools {

std::optional<struct stat> FileTree::stat(const std::string& path) const {
    struct stat st {};
    if (disk_.stat(path, st) != 0) return std::nullopt;
    return st;
}

std::string FileTree::read_prefix(const std::string& path, size_t n) const {
    return disk_.read_start(path, n);
}

FileTree::Head FileTree::read_head_of(const std::string& path, size_t n,
                                      std::vector<std::byte>& scratch) const {
    const auto file = disk_.open_file(path);
    Head head{file->read_start(n), nullptr};
    if (!ElfFile::has_magic(std::span(reinterpret_cast<const std::byte*>(head.bytes.data()),
                                      head.bytes.size())))
        return head;
    if (auto it = elf_cache_.find(path); it != elf_cache_.end()) {
        head.elf = it->second;
        return head;
    }
    // The same open file, read once.
    const FileBytes bytes = file->bytes(&scratch);
    if (ElfFile::has_magic(bytes.bytes()))
        head.elf =
            std::make_shared<const ElfFile>(ElfFile::parse(bytes.bytes(), disk_.shown(path)));
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
    const FileBytes bytes = disk_.open_file(path)->bytes(&scratch_);
    if (ElfFile::has_magic(bytes.bytes()))
        result = std::make_shared<const ElfFile>(ElfFile::parse(bytes.bytes(), disk_.shown(path)));
    elf_cache_.emplace(path, result);
    return result;
}

}  // namespace ocitools
