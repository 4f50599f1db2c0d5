// ClosureGroups: where each path of a closure came from, for an image's layers (image/layers.h).
// A group is a Debian package ("libc6:amd64") or a Nix store path ("/nix/store/<hash>-glibc-2.40");
// what neither brought (the program, arguments, includes, generated /etc) is loose.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "closure/debian/dpkg_database.h"
#include "closure/debian/installed_files.h"
#include "closure/debian/package_closure.h"
#include "closure/nix/nix_store_path.h"
#include "plan/plan.h"

namespace ocitools {

struct ClosureGroups {
    // Each plan path in a group (files, symlinks and store paths; never a directory, which
    // dpkg lists in every package with something beneath it), with its group.
    std::map<std::string, std::string> of;
    // Each group with the groups it depends on (Pre-Depends and Depends of a package, the
    // references of a store path), sorted, itself excluded.
    std::map<std::string, std::vector<std::string>> needs;

    // A store path is its own group, needing what it refers to.
    void add_store_paths(const StoreGraph& graph);

    // Every package of `packages` is a group, needing the packages of the set its dependencies
    // resolve to; each file and symlink of `plan` that no group holds yet joins the first
    // package of the set (by name and architecture) whose file list holds it (compared as
    // InstalledFiles::canonical; diversions aside, which only move a file between layers).
    void add_packages(const Plan& plan, const PackageClosure& packages,
                      const InstalledFiles& installed, const DpkgDatabase& db);
};

}  // namespace ocitools
