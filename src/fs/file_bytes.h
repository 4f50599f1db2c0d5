// FileBytes: the bytes of a whole regular file, read or mapped; read_start: a file's first bytes.
// Shared by the disk seam (src/fs/disk.h) and the parsers of binary files (ELF, ld.so.cache).
#pragma once

#include <cstddef>
#include <filesystem>
#include <span>
#include <vector>

#include "fs/unique_fd.h"

namespace ocitools {

// Read the first `n` bytes of `fd` (pread(2) from offset 0) into `out`; fewer when the file ends
// first. Returns how many. `shown` names the file in errors (SystemError).
std::size_t read_start(int fd, std::byte* out, std::size_t n, const std::filesystem::path& shown);

// The bytes of a whole regular file, read-only. Small files are read into memory, which costs less
// than mmap(2)'s page-table work when scanning a directory of them; larger ones are mapped
// (MAP_PRIVATE). Anything but a regular file is refused before it is read (a FIFO would block, a
// device never ends). An empty file gives an empty span.
// The text of the regular file at `path`, for parsers that take a document whole (a spec,
// config.json, /etc/passwd). Refused before a byte is read: anything but a regular file (opened
// with O_NONBLOCK, so a FIFO never blocks; a device is never read). A file of more than `limit`
// bytes, or one that grows past it while read, is a FormatError naming the path and the limit.
// `what` names the document in that error ("a spec").
std::string read_regular_file(const std::filesystem::path& path, std::size_t limit,
                              const char* what);

class FileBytes {
  public:
    static constexpr std::size_t kReadLimit = 64 * 1024;

    FileBytes() = default;  // no bytes

    // Open `path` read-only and read or map it. Throws SystemError or FormatError naming it.
    explicit FileBytes(const std::filesystem::path& path);
    // Read or map an already open descriptor (e.g. from openat2 inside a root); `path` names it in
    // errors. The descriptor is closed when the constructor returns. With `scratch`, a file of up
    // to kScratchLimit bytes is read into it instead (sized to the limit once; bytes() is valid
    // until it is used again): no allocation and no mapping to undo per file (munmap(2) in a
    // process with several threads interrupts every CPU they ran on). Larger ones are mapped.
    FileBytes(UniqueFd fd, const std::filesystem::path& path,
              std::vector<std::byte>* scratch = nullptr);
    static constexpr std::size_t kScratchLimit = 256 << 10;
    ~FileBytes();
    FileBytes(FileBytes&& other) noexcept;
    FileBytes& operator=(FileBytes&& other) noexcept;
    FileBytes(const FileBytes&) = delete;
    FileBytes& operator=(const FileBytes&) = delete;

    // A view of bytes held elsewhere (an in-memory disk's file), which must outlive it.
    static FileBytes borrow(std::span<const std::byte> bytes);

    std::span<const std::byte> bytes() const {
        if (map_ != nullptr) return {map_, map_size_};
        if (borrowed_ != nullptr) return {borrowed_, borrowed_size_};
        return buffer_;
    }

  private:
    void unmap() noexcept;

    std::vector<std::byte> buffer_;
    const std::byte* map_ = nullptr;
    std::size_t map_size_ = 0;
    const std::byte* borrowed_ = nullptr;  // in the caller's scratch buffer, or borrow()ed
    std::size_t borrowed_size_ = 0;
};

}  // namespace ocitools
