// Opening paths relative to the rootfs with openat2(2) (fs/openat2.h), so that nothing the writer
// does lands outside it: kResolveStrict while laying out the plan (whose parent directories are
// real directories by construction), kResolveInRoot for paths the container resolves.
#pragma once

#include <string>

#include "fs/openat2.h"
#include "fs/path.h"
#include "fs/unique_fd.h"

namespace ocitools {

// The directory `rel` ("." for the rootfs itself) opened O_PATH beneath `root`, with no symlink
// on the way. Throws SystemError("cannot open rootfs directory", "/" + rel).
UniqueFd open_rootfs_dir(int root, const std::string& rel);

// `path` (absolute in the rootfs) cut into its directory relative to the rootfs ("." for "/")
// and its last name. Throws Error when the last name is not a name a file can be created as
// ("", ".", "..").
PathSplit rootfs_split(const std::string& path);

}  // namespace ocitools
