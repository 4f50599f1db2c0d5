// Roots: which host paths a request names, each with the reason it is there, and the container's
// environment. Computed once from the checked spec; the closure walk starts from them, and the
// runtime config takes the environment from them, so both agree on the container's PATH.
#pragma once

#include <string>
#include <vector>

#include "base/reporter.h"
#include "closure/nix/nix_store_path.h"
#include "fs/real_disk.h"
#include "spec/container_spec.h"

namespace ocitools {

struct Root {
    std::string path;    // absolute host path, as the user gave it (symlinks not resolved)
    std::string reason;  // "argument 2", "include"
    // A directory root brings everything beneath it; when false, the directory alone (with the
    // symlinks on the way), as a traced run's stat of a directory needs. Other roots ignore it.
    bool recursive = true;
};

struct StoreRoot {
    StorePath path;
    std::string reason;  // "named in argument 1"
};

struct Roots {
    std::string program;      // host path of args[0]: absolute as given, or found on a PATH
    std::vector<Root> files;  // argument files, then include paths, in the order given
    std::vector<std::string> packages;  // Debian packages named ("python3", "libc6:amd64")
    std::vector<StoreRoot> store_paths;  // store paths named inside arguments
    // The container process's environment: PATH first (the default one unless the user set
    // PATH), then the user's entries, then TERM=xterm for a terminal. `path` is its PATH value.
    std::vector<std::string> env;
    std::string path;
    std::string library_path;  // LD_LIBRARY_PATH of `env`, empty when unset

    bool traced = false;  // files of a traced run are among `files` (--trace)
};

// The container process's environment for `spec`: PATH (the default one, with `program_dir`
// first when not empty, unless spec.env sets PATH), then spec.env, then TERM=xterm for a
// terminal when spec.env has no TERM.
std::vector<std::string> container_environment(const ContainerSpec& spec,
                                               const std::string& program_dir = {});

// The roots of a checked spec. A bare program name is looked up as the container will look it
// up: on the user's PATH (`--env PATH=...`) when set; otherwise on `host_search_path`, and the
// directory where it is found is put before the default PATH when that lacks it.
// Store paths named in arguments are found in `store_dir`. Throws SpecError or ClosureError
// naming the argument or path. The host is read through `disk`.
Roots compute_roots(const ContainerSpec& spec, const std::string& host_search_path,
                    const StoreDir& store_dir, const Reporter& reporter,
                    const Disk& disk = host_disk());

}  // namespace ocitools
