// Will a program start in a tree? The checks `ocitools validate` runs inside a bundle's rootfs,
// so a bundle that would fail with "not found" at start is reported with the missing file: the
// program itself, its `#!` interpreter chain (and the program `#!/usr/bin/env` runs), and every
// library ld.so would load, found with the rootfs's own ld.so.cache and directories.
#pragma once

#include <string>

#include "closure/elf/file_tree.h"

namespace ocitools {

// Throws ClosureError (or FormatError / SystemError) naming what is missing or broken.
// `program` is args[0]; `container_path` the PATH of the process, `library_path` its
// LD_LIBRARY_PATH (empty when unset); `rootfs` the tree (a RootfsDisk, so that paths resolve
// as in the container).
void check_startup(const Disk& rootfs, const std::string& program,
                   const std::string& container_path, const std::string& library_path = {});

// Find `name` along `search_path` inside `tree`: the first executable regular file. Empty when
// none.
std::string find_in_tree(const FileTree& tree, const std::string& name,
                         const std::string& search_path);

}  // namespace ocitools
