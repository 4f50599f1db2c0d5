#include "rootfs/file_copy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "base/cancel.h"
#include "base/error.h"
#include "fs/write_all.h"

namespace ocitools {

namespace {

// Chunks small enough that a cancel is noticed quickly, large enough to cost nothing.
constexpr off_t kChunk = off_t{64} << 20;

[[noreturn]] void changed(const std::string& source, off_t size) {
    throw ClosureError(quote(source) + " changed size while being copied (it had " +
                       std::to_string(size) + " bytes when opened)");
}

// Copy [begin, end) at the same offsets; copy_file_range when it can, else pread/pwrite.
void copy_range(int in, int out, off_t begin, off_t end, off_t size, const std::string& source,
                const std::string& dest) {
    bool kernel = true;
    std::vector<char> buffer;
    for (off_t pos = begin; pos < end;) {
        throw_if_cancelled();
        const size_t want = static_cast<size_t>(std::min(kChunk, end - pos));
        ssize_t n;
        if (kernel) {
            off_t in_off = pos, out_off = pos;
            n = copy_file_range(in, &in_off, out, &out_off, want, 0);
            if (n < 0 &&
                (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
                kernel = false;  // older kernels, some filesystem pairs, /proc-like files
                continue;
            }
            if (n < 0) throw SystemError("cannot copy", source, errno);
        } else {
            buffer.resize(std::min<size_t>(want, 1 << 20));
            n = pread(in, buffer.data(), std::min(want, buffer.size()), pos);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw SystemError("cannot read", source, errno);
            pwrite_all(out, {buffer.data(), static_cast<size_t>(n)}, pos, dest);
        }
        if (n == 0) changed(source, size);  // the file ended before its size: it shrank
        pos += n;
    }
}

}  // namespace

void copy_file_data(int in, int out, off_t size, blkcnt_t blocks, const std::string& source,
                    const std::string& dest) {
    char probe;
    if (blocks * 512 >= size) {
        // No hole to keep (most files): one pass. Grown since it was opened? pread(2), not
        // copy_file_range(2), asks: some kernels' copy_file_range reads nothing from /proc
        // files, which claim no size, where pread finds their content.
        copy_range(in, out, 0, size, size, source, dest);
        if (pread(in, &probe, 1, size) > 0) changed(source, size);
        return;
    }
    struct stat st {};
    for (off_t pos = 0; pos < size;) {
        off_t data = lseek(in, pos, SEEK_DATA);
        if (data < 0) {
            if (errno == ENXIO) break;  // only a hole is left
            if (errno != EINVAL && errno != EOPNOTSUPP)
                throw SystemError("cannot seek in", source, errno);
            data = pos;  // no hole support: all data
        }
        if (data >= size) break;
        off_t hole = lseek(in, data, SEEK_HOLE);
        if (hole < 0 || hole > size) hole = size;
        copy_range(in, out, data, hole, size, source, dest);
        pos = hole;
    }
    // The holes at the end (and a file that is all hole) are kept by setting the size.
    if (ftruncate(out, size) != 0) throw SystemError("cannot set the size of", dest, errno);
    // Grown since it was opened? Then the copy is a truncated version of it.
    if (fstat(in, &st) != 0) throw SystemError("cannot stat", source, errno);
    if (st.st_size != size || pread(in, &probe, 1, size) > 0) changed(source, size);
}

}  // namespace ocitools
