#include "fs/real_disk.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "base/error.h"
#include "fs/directory.h"
#include "fs/path.h"

namespace ocitools {

namespace {

// An open descriptor: what both real disks hand out.
class FdFile final : public DiskFile {
  public:
    FdFile(UniqueFd fd, std::string shown) : fd_(std::move(fd)), shown_(std::move(shown)) {}

    std::string read_start(std::size_t n) override {
        std::string out(n, '\0');
        out.resize(ocitools::read_start(fd_.get(), reinterpret_cast<std::byte*>(out.data()), n,
                                        shown_));
        return out;
    }

    // Into a buffer of the file's size: growing one would touch twice the memory, and on a
    // virtual machine each page touched the first time costs more than reading it.
    std::string read_all(std::size_t limit) override {
        struct stat st {};
        if (::fstat(fd_.get(), &st) != 0) throw SystemError("cannot stat", shown_, errno);
        if (!S_ISREG(st.st_mode)) throw FormatError(quote(shown_) + ": not a regular file");
        const auto size = static_cast<std::size_t>(std::max<off_t>(st.st_size, 0));
        if (size > limit) throw SystemError("cannot read", shown_, EFBIG);
        std::string text(size + 1, '\0');  // +1: the end is seen without another read
        std::size_t done = 0;
        for (;;) {
            if (done == text.size()) {  // it grew meanwhile
                if (text.size() > limit) throw SystemError("cannot read", shown_, EFBIG);
                text.resize(text.size() * 2);
            }
            const ssize_t n = ::read(fd_.get(), text.data() + done, text.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw SystemError("cannot read", shown_, errno);
            if (n == 0) break;
            done += static_cast<std::size_t>(n);
        }
        if (done > limit) throw SystemError("cannot read", shown_, EFBIG);
        text.resize(done);
        return text;
    }

    FileBytes bytes(std::vector<std::byte>* scratch) override {
        return FileBytes(std::move(fd_), shown_, scratch);
    }

  private:
    UniqueFd fd_;
    std::string shown_;
};

// O_NONBLOCK so that opening a FIFO does not wait for a writer (reading one is refused later);
// O_NOCTTY so that opening a terminal device never makes it ours.
constexpr int kReadFlags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;

// The entries of the open directory `fd`, with their lstat(2) from fstatat(2) relative to it
// (no path lookup from "/" per entry). `shown` names it in errors.
std::vector<DirEntry> read_entries(UniqueFd fd, const std::string& shown) {
    DirHandle dir(fdopendir(fd.get()), closedir);
    if (!dir) throw SystemError("cannot read directory", shown, errno);
    fd.release();  // closedir closes it
    std::vector<DirEntry> entries;
    for (auto& name : entry_names(dir.get(), shown)) {
        DirEntry entry{std::move(name), {}};
        if (::fstatat(dirfd(dir.get()), entry.name.c_str(), &entry.st, AT_SYMLINK_NOFOLLOW) != 0)
            throw SystemError("cannot stat", join_path(shown, entry.name), errno);
        entries.push_back(std::move(entry));
    }
    return entries;
}

// readlinkat(2) of `name` in `dir_fd` into `target`, however long: 0 or the errno.
int read_link_at(int dir_fd, const char* name, std::string& target) {
    target.assign(256, '\0');
    for (;;) {
        const ssize_t n = ::readlinkat(dir_fd, name, target.data(), target.size());
        if (n < 0) return errno;
        if (static_cast<std::size_t>(n) < target.size()) {
            target.resize(static_cast<std::size_t>(n));
            return 0;
        }
        target.resize(target.size() * 2);  // it may have been truncated: try a larger buffer
    }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// HostDisk

int HostDisk::lstat(const std::string& path, struct stat& st) const {
    return ::lstat(path.c_str(), &st) == 0 ? 0 : errno;
}

int HostDisk::stat(const std::string& path, struct stat& st) const {
    return ::stat(path.c_str(), &st) == 0 ? 0 : errno;
}

int HostDisk::readlink(const std::string& path, std::string& target) const {
    return read_link_at(AT_FDCWD, path.c_str(), target);
}

std::unique_ptr<DiskFile> HostDisk::open(const std::string& path, int& error) const {
    UniqueFd fd(::open(path.c_str(), kReadFlags));
    if (!fd) {
        error = errno;
        return nullptr;
    }
    return std::make_unique<FdFile>(std::move(fd), path);
}

std::vector<DirEntry> HostDisk::list_directory(const std::string& path) const {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) throw SystemError("cannot open directory", path, errno);
    return read_entries(std::move(fd), path);
}

const Disk& host_disk() {
    static const HostDisk disk;
    return disk;
}

// ---------------------------------------------------------------------------------------------
// RootfsDisk

RootfsDisk::RootfsDisk(const std::filesystem::path& root)
    : root_(root), root_fd_(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC)) {
    if (!root_fd_) throw SystemError("cannot open directory", root, errno);
}

UniqueFd RootfsDisk::open_in_root(const std::string& path, int flags) const {
    open_how how{};
    how.flags = static_cast<std::uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    return UniqueFd(
        static_cast<int>(syscall(SYS_openat2, root_fd_.get(), path.c_str(), &how, sizeof how)));
}

int RootfsDisk::lstat(const std::string& path, struct stat& st) const {
    // O_PATH | O_NOFOLLOW opens a symlink at the end itself (open(2)), and fstat(2) of that
    // descriptor is the lstat of the path.
    const UniqueFd fd = open_in_root(path, O_PATH | O_NOFOLLOW);
    if (!fd) return errno;
    return ::fstat(fd.get(), &st) == 0 ? 0 : errno;
}

int RootfsDisk::stat(const std::string& path, struct stat& st) const {
    const UniqueFd fd = open_in_root(path, O_PATH);
    if (!fd) return errno;
    return ::fstat(fd.get(), &st) == 0 ? 0 : errno;
}

int RootfsDisk::readlink(const std::string& path, std::string& target) const {
    const UniqueFd fd = open_in_root(path, O_PATH | O_NOFOLLOW);
    if (!fd) return errno;
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return errno;
    if (!S_ISLNK(st.st_mode)) return EINVAL;  // as readlink(2) says of anything else
    // An empty name reads the link the descriptor is (readlinkat(2), since Linux 2.6.39).
    return read_link_at(fd.get(), "", target);
}

std::unique_ptr<DiskFile> RootfsDisk::open(const std::string& path, int& error) const {
    UniqueFd fd = open_in_root(path, kReadFlags);
    if (!fd) {
        error = errno;
        return nullptr;
    }
    return std::make_unique<FdFile>(std::move(fd), shown(path));
}

std::vector<DirEntry> RootfsDisk::list_directory(const std::string& path) const {
    UniqueFd fd = open_in_root(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
    if (!fd) throw SystemError("cannot open directory", shown(path), errno);
    return read_entries(std::move(fd), shown(path));
}

std::string RootfsDisk::shown(const std::string& path) const {
    return (root_ / std::filesystem::path(path).relative_path()).string();
}

}  // namespace ocitools
