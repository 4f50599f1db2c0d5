// Copying one file's bytes: in the kernel (copy_file_range(2), which reflinks where the
// filesystem can), holes kept (SEEK_DATA / SEEK_HOLE, lseek(2)), so a 4 GiB sparse file costs
// what its data costs; and never silently short: a source that shrinks or grows while it is
// copied is an error naming it.
#pragma once

#include <sys/types.h>

#include <string>

namespace ocitools {

// Copy `size` bytes (the source's size when it was opened) from `in` to the empty file `out`.
// `blocks` is the source's st_blocks then: a file with as many blocks as bytes has no hole, and
// is copied without looking for them. `source` and `dest` name the files in errors. Checks for
// cancellation between chunks.
void copy_file_data(int in, int out, off_t size, blkcnt_t blocks, const std::string& source,
                    const std::string& dest);

}  // namespace ocitools
