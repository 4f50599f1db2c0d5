// Writing a whole buffer to a descriptor: write(2) may write less than asked (a full disk, a
// signal), and fails with EINTR when a signal handler runs before anything is written.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace ocitools {

// Write all of `data` to `fd` at its file offset, retrying short writes and EINTR. Throws
// SystemError("cannot write", shown, errno).
void write_all(int fd, std::string_view data, const std::filesystem::path& shown);

// The same with pwrite(2) at `offset`; the file offset is left alone.
void pwrite_all(int fd, std::string_view data, off_t offset, const std::filesystem::path& shown);

// Create `name` in the directory `dir` (O_EXCL, never through a symlink: an existing name is an
// error) with mode 0644 and write all of `data` to it. Throws SystemError("cannot create" or
// "cannot write", shown, errno). No fsync: like cp and tar, outputs are as durable as the page
// cache makes them, and the rename that publishes them makes them appear whole.
void create_file_at(int dir, const std::string& name, std::string_view data,
                    const std::filesystem::path& shown);

}  // namespace ocitools
