#include "image/layer_writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <exception>
#include <vector>

#include "base/cancel.h"
#include "base/error.h"
#include "fs/read_symlink.h"
#include "fs/unique_fd.h"
#include "rootfs/file_job.h"

namespace ocitools {

namespace {

// Under malloc's mmap threshold, so that each layer's buffer is memory the process has used
// before, not fresh pages to fault in.
constexpr size_t kReadChunk = 64 << 10;

class TarStream {
  public:
    TarStream(BlobSink& sink, const LayerSettings& settings)
        : sink_(sink), settings_(settings), archive_(archive_write_new()),
          buffer_(new char[kReadChunk]) {
        if (!archive_) throw std::runtime_error("libarchive: out of memory");
        check(archive_write_set_format_pax_restricted(archive_.get()));
        // Every write reaches the sink as it comes (blocks of 10240 bytes, tar's own record).
        check(archive_write_open(archive_.get(), this, nullptr, &TarStream::write_callback,
                                 nullptr));
    }

    void finish() {
        check(archive_write_close(archive_.get()));
        sink_.finish();
    }

    void entry(const PlanEntry& e) {
        throw_if_cancelled();
        const std::string name = e.path.substr(1);  // relative to "/"
        if (name.empty()) return;                   // "/" itself is the image's root
        switch (e.kind) {
            case EntryKind::Directory:
                header(name, AE_IFDIR, e.mode, e.mtime.tv_sec);
                return;
            case EntryKind::Symlink:
                header(name, AE_IFLNK, 0777, e.mtime.tv_sec, 0, e.link_target);
                return;
            case EntryKind::File:
                if (e.source.empty()) return generated(e, name);
                return planned_file(e, name);
            case EntryKind::StorePath:
                return store_path(e, name);
        }
    }

  private:
    struct Free {
        void operator()(archive* a) const { archive_write_free(a); }
        void operator()(archive_entry* e) const { archive_entry_free(e); }
    };

    static la_ssize_t write_callback(archive*, void* self, const void* data, size_t size) {
        auto* stream = static_cast<TarStream*>(self);
        try {
            stream->sink_.write({static_cast<const char*>(data), size});
            return static_cast<la_ssize_t>(size);
        } catch (...) {
            stream->error_ = std::current_exception();
            return -1;
        }
    }

    void check(int rc) {
        if (rc == ARCHIVE_OK) return;
        if (error_) std::rethrow_exception(error_);
        const char* message = archive_error_string(archive_.get());
        throw std::runtime_error(std::string("libarchive: ") + (message ? message : "failed"));
    }

    std::int64_t clamp(std::int64_t mtime) const {
        mtime = std::max<std::int64_t>(mtime, 0);
        return settings_.max_mtime ? std::min(mtime, *settings_.max_mtime) : mtime;
    }

    // Write a header; `size` bytes of data must follow (a regular file's).
    void header(const std::string& name, unsigned type, mode_t mode, std::int64_t mtime,
                std::int64_t size = 0, const std::string& link = {},
                const std::string& hardlink = {}) {
        std::unique_ptr<archive_entry, Free> entry(archive_entry_new());
        archive_entry_set_pathname(entry.get(), name.c_str());
        if (!hardlink.empty()) {
            archive_entry_set_hardlink(entry.get(), hardlink.c_str());
        } else {
            archive_entry_set_filetype(entry.get(), type);
            if (type == AE_IFLNK) archive_entry_set_symlink(entry.get(), link.c_str());
        }
        archive_entry_set_perm(entry.get(), mode & 07777);
        archive_entry_set_uid(entry.get(), 0);
        archive_entry_set_gid(entry.get(), 0);
        archive_entry_set_mtime(entry.get(), clamp(mtime), 0);
        archive_entry_set_size(entry.get(), size);
        check(archive_write_header(archive_.get(), entry.get()));
    }

    void data(const char* bytes, size_t size) {
        const la_ssize_t n = archive_write_data(archive_.get(), bytes, size);
        if (n < 0 || static_cast<size_t>(n) != size) check(ARCHIVE_FATAL);
    }

    void generated(const PlanEntry& e, const std::string& name) {
        const auto* files = settings_.generated;
        auto it = files ? files->find(e.path) : decltype(files->end()){};
        if (!files || it == files->end())
            throw std::logic_error("layer: no content for the generated file " + e.path);
        header(name, AE_IFREG, e.mode, e.mtime.tv_sec, static_cast<std::int64_t>(it->second.size()));
        data(it->second.data(), it->second.size());
    }

    // A planned host file, the very one the closure saw (rootfs/file_job.h), as `name`.
    void planned_file(const PlanEntry& e, const std::string& name) {
        struct stat st {};
        const UniqueFd fd = open_planned_file(e, sources_, st);
        contents(fd, st, e.source, name, e.mode, e.mtime.tv_sec);
    }

    // The regular file `path` of the directory `dir` (shown as `shown`), as `name`.
    void file(int dir, const std::string& path, const std::string& shown, const std::string& name,
              mode_t mode, std::int64_t mtime) {
        UniqueFd fd(openat(dir, path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
        if (!fd) throw SystemError("cannot open", shown, errno);
        struct stat st {};
        if (fstat(fd.get(), &st) != 0) throw SystemError("cannot stat", shown, errno);
        if (!S_ISREG(st.st_mode))
            throw ClosureError(quote(shown) + " is no longer a regular file (changed while the " +
                               "image was written)");
        contents(fd, st, shown, name, mode, mtime);
    }

    // The open regular file `fd` (whose fstat is `st`), as `name`: a hard link to an earlier
    // entry of the same inode, or its bytes, which must be st_size and unchanged while read.
    void contents(const UniqueFd& fd, const struct stat& st, const std::string& shown,
                  const std::string& name, mode_t mode, std::int64_t mtime) {
        if (st.st_nlink > 1) {
            auto [it, first] = inodes_.emplace(std::make_pair(st.st_dev, st.st_ino), name);
            if (!first) return header(name, AE_IFREG, mode, mtime, 0, {}, it->second);
        }
        header(name, AE_IFREG, mode, mtime, st.st_size);
        off_t left = st.st_size;
        while (left > 0) {
            const size_t want = static_cast<size_t>(std::min<off_t>(left, kReadChunk));
            const ssize_t n = read(fd.get(), buffer_.get(), want);
            if (n < 0) {
                if (errno == EINTR) continue;
                throw SystemError("cannot read", shown, errno);
            }
            if (n == 0) throw ClosureError(quote(shown) + " shrank while the image was written");
            data(buffer_.get(), static_cast<size_t>(n));
            left -= n;
        }
        char extra;
        if (read(fd.get(), &extra, 1) > 0)
            throw ClosureError(quote(shown) + " grew while the image was written");
        struct stat after {};
        if (fstat(fd.get(), &after) != 0) throw SystemError("cannot stat", shown, errno);
        if (!same_times(st, after))
            throw ClosureError(quote(shown) + " was changed while the image was written");
    }

    // A Nix store path, whole: a directory tree, a file or a symlink.
    void store_path(const PlanEntry& e, const std::string& name) {
        struct stat st {};
        if (lstat(e.source.c_str(), &st) != 0) throw SystemError("cannot stat", e.source, errno);
        node(AT_FDCWD, e.source, e.source, name, st);
    }

    void node(int dir, const std::string& path, const std::string& shown, const std::string& name,
              const struct stat& st) {
        throw_if_cancelled();
        if (S_ISREG(st.st_mode)) return file(dir, path, shown, name, st.st_mode, st.st_mtim.tv_sec);
        if (S_ISLNK(st.st_mode))
            return header(name, AE_IFLNK, 0777, st.st_mtim.tv_sec, 0,
                          read_symlink_at(dir, path, shown));
        if (!S_ISDIR(st.st_mode)) return;  // a device, socket or FIFO: never written
        header(name, AE_IFDIR, st.st_mode, st.st_mtim.tv_sec);
        UniqueFd fd(openat(dir, path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) throw SystemError("cannot open", shown, errno);
        std::vector<std::pair<std::string, struct stat>> children;
        {
            DIR* d = fdopendir(dup(fd.get()));
            if (!d) throw SystemError("cannot read directory", shown, errno);
            errno = 0;
            while (const dirent* ent = readdir(d)) {
                const std::string child = ent->d_name;
                if (child == "." || child == "..") continue;
                struct stat child_st {};
                if (fstatat(fd.get(), child.c_str(), &child_st, AT_SYMLINK_NOFOLLOW) != 0) {
                    const int error = errno;
                    closedir(d);
                    throw SystemError("cannot stat", shown + "/" + child, error);
                }
                children.emplace_back(child, child_st);
                errno = 0;
            }
            const int error = errno;
            closedir(d);
            if (error != 0) throw SystemError("cannot read directory", shown, error);
        }
        std::sort(children.begin(), children.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
        for (const auto& [child, child_st] : children)
            node(fd.get(), child, shown + "/" + child, name + "/" + child, child_st);
    }

    BlobSink& sink_;
    const LayerSettings& settings_;
    std::unique_ptr<archive, Free> archive_;
    std::exception_ptr error_;
    std::unique_ptr<char[]> buffer_;  // not zeroed
    std::map<std::pair<dev_t, ino_t>, std::string> inodes_;  // first name of each linked file
    SourceDirectory sources_;  // the last planned file's directory, opened without symlinks
};

}  // namespace

LayerBlob write_layer(const Layer& layer, int blobs, const std::string& shown,
                      const LayerSettings& settings) {
    // A name of its own until the digest is known; a file, so that a kill leaves only what the
    // temporary output holds anyway.
    static std::atomic<unsigned> sequence{0};
    const std::string temp = ".layer-" + std::to_string(sequence++);
    UniqueFd fd(openat(blobs, temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (!fd) throw SystemError("cannot create", shown + "/" + temp, errno);
    BlobSink sink(fd.get(), settings.compression, shown + "/" + temp, settings.threads,
                  settings.level);
    TarStream tar(sink, settings);
    for (const PlanEntry* entry : layer.entries) tar.entry(*entry);
    tar.finish();
    LayerBlob blob{sink.digest(), sink.size(), sink.diff_id()};
    const std::string hex = blob.digest.substr(blob.digest.find(':') + 1);
    if (renameat(blobs, temp.c_str(), blobs, hex.c_str()) != 0)
        throw SystemError("cannot rename", shown + "/" + temp, errno);
    return blob;
}

}  // namespace ocitools
