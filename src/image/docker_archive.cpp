#include "image/docker_archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>
#include <stdexcept>

#include "base/cancel.h"
#include "base/error.h"
#include "fs/unique_fd.h"

namespace ocitools {

namespace {

struct Free {
    void operator()(archive* a) const { archive_write_free(a); }
    void operator()(archive_entry* e) const { archive_entry_free(e); }
};

}  // namespace

void write_docker_archive(int layout, const std::string& shown,
                          const std::vector<std::string>& files, long long mtime, int out,
                          const std::string& out_shown) {
    std::unique_ptr<archive, Free> a(archive_write_new());
    if (!a) throw std::runtime_error("libarchive: out of memory");
    auto check = [&](int rc) {
        if (rc == ARCHIVE_OK) return;
        const char* message = archive_error_string(a.get());
        const int error = archive_errno(a.get());
        if (error > 0) throw SystemError("cannot write", out_shown, error);
        throw std::runtime_error(std::string("libarchive: ") + (message ? message : "failed") +
                                 " (writing " + out_shown + ")");
    };
    check(archive_write_set_format_pax_restricted(a.get()));
    // libarchive pads the last block of a pipe, not of a file; never, so that `-o -` and
    // `-o FILE` give the same bytes.
    check(archive_write_set_bytes_in_last_block(a.get(), 1));
    check(archive_write_open_fd(a.get(), out));
    auto header = [&](const std::string& name, unsigned type, mode_t mode, la_int64_t size) {
        std::unique_ptr<archive_entry, Free> e(archive_entry_new());
        archive_entry_set_pathname(e.get(), name.c_str());
        archive_entry_set_filetype(e.get(), type);
        archive_entry_set_perm(e.get(), mode);
        archive_entry_set_uid(e.get(), 0);
        archive_entry_set_gid(e.get(), 0);
        archive_entry_set_mtime(e.get(), mtime, 0);
        archive_entry_set_size(e.get(), size);
        check(archive_write_header(a.get(), e.get()));
    };
    std::set<std::string> directories;
    std::vector<char> buffer(1 << 20);
    for (const auto& file : files) {
        throw_if_cancelled();
        for (size_t slash = file.find('/'); slash != std::string::npos;
             slash = file.find('/', slash + 1))
            if (directories.insert(file.substr(0, slash)).second)
                header(file.substr(0, slash), AE_IFDIR, 0755, 0);
        UniqueFd fd(openat(layout, file.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) throw SystemError("cannot open", shown + "/" + file, errno);
        struct stat st {};
        if (fstat(fd.get(), &st) != 0) throw SystemError("cannot stat", shown + "/" + file, errno);
        header(file, AE_IFREG, 0644, st.st_size);
        for (off_t left = st.st_size; left > 0;) {
            const ssize_t n = read(fd.get(), buffer.data(),
                                   static_cast<size_t>(std::min<off_t>(left, buffer.size())));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) throw SystemError("cannot read", shown + "/" + file, n < 0 ? errno : EIO);
            if (archive_write_data(a.get(), buffer.data(), static_cast<size_t>(n)) != n)
                check(ARCHIVE_FATAL);
            left -= n;
        }
    }
    check(archive_write_close(a.get()));
}

}  // namespace ocitools
