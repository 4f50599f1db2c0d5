#include "fs/file_bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <utility>

#include "base/error.h"

namespace ocitools {

// O_NONBLOCK so that opening a FIFO does not wait for a writer; it is refused below anyway.
namespace {
UniqueFd open_for_reading(const std::filesystem::path& path) {
    return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
}
}  // namespace

FileBytes::FileBytes(const std::filesystem::path& path) : FileBytes(open_for_reading(path), path) {}

std::string read_regular_file(const std::filesystem::path& path, std::size_t limit,
                              const char* what) {
    const UniqueFd fd = open_for_reading(path);
    if (!fd) throw SystemError("cannot open", path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw SystemError("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode)) throw FormatError(quote(path.native()) + ": not a regular file");
    auto too_large = [&] {
        return FormatError(quote(path.native()) + ": larger than " + std::to_string(limit) +
                           " bytes, the limit for " + what);
    };
    if (static_cast<std::size_t>(std::max<off_t>(st.st_size, 0)) > limit) throw too_large();
    std::string text(std::min(limit, static_cast<std::size_t>(st.st_size)) + 1, '\0');
    std::size_t done = 0;
    for (;;) {
        if (done == text.size()) {  // it grew meanwhile
            if (text.size() > limit) throw too_large();
            text.resize(std::min(limit + 1, text.size() * 2));
        }
        const ssize_t n = ::read(fd.get(), text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SystemError("cannot read", path, errno);
        if (n == 0) break;
        done += static_cast<std::size_t>(n);
    }
    if (done > limit) throw too_large();
    text.resize(done);
    return text;
}

std::size_t read_start(int fd, std::byte* out, std::size_t n, const std::filesystem::path& shown) {
    std::size_t done = 0;
    while (done < n) {
        const ssize_t r = ::pread(fd, out + done, n - done, static_cast<off_t>(done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) throw SystemError("cannot read", shown, errno);
        if (r == 0) break;
        done += static_cast<std::size_t>(r);
    }
    return done;
}

FileBytes::FileBytes(UniqueFd fd, const std::filesystem::path& path,
                     std::vector<std::byte>* scratch) {
    if (!fd) throw SystemError("cannot open", path, errno);
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw SystemError("cannot stat", path, errno);
    if (!S_ISREG(st.st_mode)) throw FormatError(quote(path.native()) + ": not a regular file");
    const auto size = static_cast<std::size_t>(st.st_size);
    if (size == 0) return;  // mmap(2) refuses a zero length
    if (scratch != nullptr && size <= kScratchLimit) {
        if (scratch->size() < kScratchLimit) scratch->resize(kScratchLimit);  // once
        borrowed_ = scratch->data();
        borrowed_size_ = read_start(fd.get(), scratch->data(), size, path);
        return;
    }
    if (size > kReadLimit) {
        void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd.get(), 0);
        if (p == MAP_FAILED) throw SystemError("cannot mmap", path, errno);
        map_ = static_cast<const std::byte*>(p);  // the mapping outlives the descriptor
        map_size_ = size;
        return;
    }
    buffer_.resize(size);
    buffer_.resize(read_start(fd.get(), buffer_.data(), size, path));  // shrunk: what is there
}

FileBytes::~FileBytes() {
    unmap();
}

void FileBytes::unmap() noexcept {
    if (map_ != nullptr) ::munmap(const_cast<std::byte*>(map_), map_size_);
    map_ = nullptr;
    map_size_ = 0;
}

FileBytes::FileBytes(FileBytes&& other) noexcept
    : buffer_(std::move(other.buffer_)),
      map_(std::exchange(other.map_, nullptr)),
      map_size_(std::exchange(other.map_size_, 0)),
      borrowed_(std::exchange(other.borrowed_, nullptr)),
      borrowed_size_(std::exchange(other.borrowed_size_, 0)) {}

FileBytes& FileBytes::operator=(FileBytes&& other) noexcept {
    if (this != &other) {
        unmap();
        buffer_ = std::move(other.buffer_);
        map_ = std::exchange(other.map_, nullptr);
        map_size_ = std::exchange(other.map_size_, 0);
        borrowed_ = std::exchange(other.borrowed_, nullptr);
        borrowed_size_ = std::exchange(other.borrowed_size_, 0);
    }
    return *this;
}

FileBytes FileBytes::borrow(std::span<const std::byte> bytes) {
    FileBytes out;
    out.borrowed_ = bytes.data();
    out.borrowed_size_ = bytes.size();
    return out;
}

}  // namespace ocitools
