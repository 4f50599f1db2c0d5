#include "fs/write_all.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.h"
#include "fs/unique_fd.h"

namespace ocitools {

namespace {

// offset < 0: write(2) at the file offset; else pwrite(2) there.
void write_loop(int fd, std::string_view data, off_t offset, const std::filesystem::path& shown) {
    for (size_t done = 0; done < data.size();) {
        const char* from = data.data() + done;
        const size_t left = data.size() - done;
        const ssize_t n = offset < 0 ? ::write(fd, from, left)
                                     : ::pwrite(fd, from, left, offset + static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw SystemError("cannot write", shown, errno);
        done += static_cast<size_t>(n);
    }
}

}  // namespace

void write_all(int fd, std::string_view data, const std::filesystem::path& shown) {
    write_loop(fd, data, -1, shown);
}

void pwrite_all(int fd, std::string_view data, off_t offset, const std::filesystem::path& shown) {
    write_loop(fd, data, offset, shown);
}

void create_file_at(int dir, const std::string& name, std::string_view data,
                    const std::filesystem::path& shown) {
    UniqueFd fd(
        openat(dir, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd) throw SystemError("cannot create", shown, errno);
    write_all(fd.get(), data, shown);
}

}  // namespace ocitools
