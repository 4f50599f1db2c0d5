// Finding the program of a command on the host, as execvp(3) would.
#pragma once

#include <string>
#include <vector>

#include "fs/real_disk.h"

namespace ocitools {

// The PATH a container gets when the user sets none (the one runc, docker and podman use).
inline constexpr const char* kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The absolute directories of a PATH value, in order; empty and relative entries are dropped.
std::vector<std::string> search_path_dirs(const std::string& search_path);

// Find `program` on the host: a name with a '/' must be an absolute path; a bare name is
// searched in the directories of `search_path` (a PATH value). The result is an executable
// regular file (symlinks followed for the check), as `disk` sees it. Throws SpecError naming the
// program.
std::string find_program(const std::string& program, const std::string& search_path,
                         const Disk& disk = host_disk());

}  // namespace ocitools
