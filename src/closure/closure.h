// The closure walk: from a request to the plan of every host path the rootfs needs.
// Roots are the program (args[0]), every other argument that is an absolute path to a regular
// file, and each `include` path. Every root that is an ELF object or a `#!` script brings its
// closure (interpreter, libraries, script interpreters); a directory root brings its files and
// the closures of the ELF objects within. Resolvers (LibrarySearch, parse_shebang) only say what
// a file needs; the walk adds it to the plan through HostPaths, which keeps symlinks.
#pragma once

#include <string>
#include <vector>

#include "closure/plan.h"
#include "reporter.h"
#include "spec/container_spec.h"

namespace ocitools {

struct Closure {
    Plan plan;
    std::string program;  // the host path of args[0]
    // Directory where a bare program name was found, when the container's default PATH lacks
    // it: the container's PATH gets it appended so the name still resolves there.
    std::string extra_path_dir;
};

// `host_search_path` is the host PATH used to find a bare program name.
Closure compute_closure(const ContainerSpec& spec, const std::string& host_search_path,
                        const Reporter& reporter);

}  // namespace ocitools
