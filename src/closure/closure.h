// The closure walk: from the roots of a request (roots/roots.h) to the plan of every host path
// the rootfs needs. Every root that is an ELF object or a `#!` script brings its
// closure (interpreter, libraries, script interpreters); a directory root brings its files and
// the closures of the ELF objects within. Resolvers (LibrarySearch, parse_shebang) only say what
// a file needs; the walk adds it to the plan through HostPaths, which keeps symlinks.
//
// Nix store paths: a path inside a store path (`<store-dir>/<hash>-<name>/...`) is never added
// file by file. Every store path met on the way (the program, a file argument, an --include
// path, an ELF interpreter or library, a script interpreter, a symlink target, or a store path
// named anywhere inside an argument) becomes a store root, and the plan gets one StorePath entry
// for each path of the roots' Nix closure (what `nix-store -qR` lists), copied whole.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "closure/nix/nix_closure.h"
#include "closure/debian/file_selection.h"
#include "closure/debian/installed_files.h"
#include "closure/debian/package_closure.h"
#include "closure/groups.h"
#include "fs/real_disk.h"
#include "plan/plan.h"
#include "base/reporter.h"
#include "roots/roots.h"

namespace ocitools {

// Where the Nix store is and how its references are found.
struct ClosureOptions {
    std::string store_dir = "/nix/store";    // --store-dir; NIX_STORE_DIR
    std::string state_dir = "/nix/var/nix";  // NIX_STATE_DIR; the database is db/db.sqlite in it
    NixReferences nix_references = NixReferences::Auto;  // --nix-references

    // Debian packages: with `package_closure` (--closure packages), every root also brings the
    // packages owning it or a symlink on the way to it. `selection` holds the excludes.
    bool package_closure = false;
    FileSelection selection;
    std::string dpkg_admin_dir = "/var/lib/dpkg";  // DPKG_ADMINDIR

    // Record Closure::why (`ocitools closure --why`).
    bool why = false;
    // Record Closure::groups (build-image's layers).
    bool groups = false;

    // The defaults, with NIX_STORE_DIR, NIX_STATE_DIR and DPKG_ADMINDIR taken from the
    // environment when set and not empty (the variables Nix and dpkg themselves read).
    static ClosureOptions from_environment();
};

struct Closure {
    Plan plan;
    // Where the references of the store paths in the plan came from (Db or Scan); unset when
    // the closure holds no store path.
    std::optional<NixReferences> nix_references;
    // The Debian packages brought ("name:architecture"), sorted; empty when none.
    std::vector<std::string> packages;
    // With ClosureOptions::why: for every plan path, and every directory above one, the first
    // reason it entered ("root", "include", "DT_NEEDED of /usr/bin/git", "symlink on the way
    // to /bin/sh", "directory holding /usr/bin/git", "file of package git (named)", ...).
    std::map<std::string, std::string> why;
    // With ClosureOptions::groups: the package or store path each path came with.
    ClosureGroups groups;
};

// The closure of `roots`. `#!/usr/bin/env NAME` finds NAME on roots.path, the container's PATH.
// Every file of the host is read from `host` (behind one cache for the call), except the Nix
// store's, which the reference scan streams itself.
Closure compute_closure(const Roots& roots, const Reporter& reporter,
                        const ClosureOptions& options = ClosureOptions::from_environment(),
                        const Disk& host = host_disk());

// compute_roots, then compute_closure, with the store directory of `options`.
Closure compute_closure(const ContainerSpec& spec, const std::string& host_search_path,
                        const Reporter& reporter,
                        const ClosureOptions& options = ClosureOptions::from_environment(),
                        const Disk& host = host_disk());

}  // namespace ocitools
