// Debian package closures over a DpkgDatabase:
//   - PackageClosure: installed packages and, transitively, what their Pre-Depends and Depends
//     need, resolved the way dpkg decides that a dependency is satisfied (deb-control(5),
//     dpkg's deparchsatisfied()), versions aside;
//   - InstalledFiles: which package owns a path, and which paths a set of packages installed,
//     with diversions (dpkg-divert(1)) applied and merged /usr taken into account.
// Nothing here copies or executes anything; the closure walk turns the results into plan entries.
#pragma once

#include <sys/stat.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "closure/debian/dpkg_database.h"
#include "fs/real_disk.h"

namespace ocitools {

// A package that is not installed, an ambiguous name, or a dependency that no installed package
// satisfies. The message names the chain that needs it:
//   "python3 -> python3.11 -> libpython3.11-stdlib -> nosuch: not installed".
class PackageError : public ClosureError {
  public:
    using ClosureError::ClosureError;
};

// A package named on the command line: "name" or "name:arch" (dpkg-query(1)'s package names).
struct PackageName {
    std::string name;
    std::string arch;  // empty when not given

    // Throws SpecError for an empty name or architecture.
    static PackageName parse(std::string_view text);
    std::string to_string() const { return arch.empty() ? name : name + ":" + arch; }
};

class PackageClosure {
  public:
    explicit PackageClosure(const DpkgDatabase& db) : db_(db) {}

    // Add the installed package `request` ("python3", "libc6:amd64") and its dependencies.
    // Without an architecture, the one installed instance, or the native (or "all") one when
    // several architectures are installed. Throws PackageError (not installed, ambiguous, or a
    // dependency nobody satisfies) and then adds nothing.
    const DpkgPackage& add(std::string_view request);

    // Add an installed package of the database and its dependencies; `reason` (e.g. the root
    // path the package owns) starts the chain in error messages. Throws PackageError, and then
    // adds nothing.
    void add(const DpkgPackage& package, const std::string& reason);

    // Everything added so far, sorted by (name, architecture).
    std::vector<const DpkgPackage*> packages() const;
    bool contains(const DpkgPackage& package) const { return parent_.count(&package) != 0; }

    // Why `package` is in the set: the chain from what was added to it, e.g.
    // {"python3", "python3.11", "libpython3.11-stdlib"}, or {"/usr/bin/perl", "perl"}.
    std::vector<std::string> chain(const DpkgPackage& package) const;

    // The installed packages that satisfy `alternative` as a dependency of `dependent`: the real
    // package `alternative.name` if an installed instance of it fits, else every installed
    // package that Provides it and fits (all of them: which one the system uses at run time, say
    // through /etc/alternatives, is not recorded). "Fits" is dpkg's deparchsatisfied():
    //   - no qualifier: a Multi-Arch: foreign package of any architecture, or one of the
    //     dependent's architecture;
    //   - ":any": a Multi-Arch: allowed package, of any architecture (only those: dpkg then
    //     compares the wildcard itself with the package's architecture, which never matches);
    //   - ":ARCH": a package of that architecture; ":native" (deb-src-control(5), meant for
    //     build dependencies) one of the native architecture;
    // where "all" (and a missing Architecture) counts as the native architecture. A virtual
    // package is provided with its provider's Multi-Arch and architecture. Versions are ignored.
    // Empty when nothing installed satisfies it.
    std::vector<const DpkgPackage*> satisfiers(const DependencyAlternative& alternative,
                                               const DpkgPackage& dependent) const;

    // What one dependency resolves to: the satisfiers of its first alternative that applies to
    // the native architecture and is satisfied (deb-control(5): "a | b" is satisfied by either;
    // like apt, we take the first). Empty when no alternative applies (all restricted to other
    // architectures or build profiles); nullopt when none is satisfied.
    std::optional<std::vector<const DpkgPackage*>> resolve(const Dependency& dependency,
                                                           const DpkgPackage& dependent) const;

  private:
    // The installed instance `name` selects; throws PackageError.
    const DpkgPackage& select(const PackageName& name) const;
    bool fits(const DpkgPackage& candidate, const DependencyAlternative& alternative,
              const DpkgPackage& dependent) const;
    [[noreturn]] void unsatisfied(const Dependency& dependency, const DpkgPackage& dependent,
                                  const std::map<const DpkgPackage*, const DpkgPackage*>& parent,
                                  const std::string& reason) const;
    void walk(const DpkgPackage& start, const std::string& reason);
    std::string label(const DpkgPackage& package) const;

    const DpkgDatabase& db_;
    // Each package in the set, with the package that brought it in (nullptr for one added
    // directly, whose reason is in reason_).
    std::map<const DpkgPackage*, const DpkgPackage*> parent_;
    std::map<const DpkgPackage*, std::string> reason_;
};

// The closures of `requests` ("name" or "name:arch"), sorted by (name, architecture).
std::vector<const DpkgPackage*> package_closure(const DpkgDatabase& db,
                                                const std::vector<std::string>& requests);

// Which of the listed paths to leave out (dpkg(1) --path-exclude / --path-include semantics:
// fnmatch(3) with no flags, so '*' also matches '/').
struct FileSelection {
    // Drop what Debian's minimal images drop (their /etc/dpkg/dpkg.cfg.d filters): documentation,
    // manual and info pages, lintian overrides and translations, but keep every
    // /usr/share/doc/*/copyright (licences require it).
    bool default_excludes = true;
    // More patterns to drop, e.g. "/usr/lib/python3*/test/*". They win over the copyright rule.
    std::vector<std::string> excludes;

    static const std::vector<std::string>& default_exclude_patterns();
    static const std::vector<std::string>& default_include_patterns();
    // Whether `path` (as the package lists it) is left out.
    bool excluded(const std::string& path) const;
};

// The paths a set of packages installed, as dpkg lists them (diversions applied), split by what
// they are on disk, each sorted and without duplicates. A listed path is a directory when the
// same package lists a path beneath it (dpkg lists every parent), whatever it is on disk: on a
// merged-/usr system "/bin" and "/lib" are such directories, symlinks on disk, so add them
// through HostPaths, which records the symlink and the real directory, never as real
// directories. Other paths are classified by lstat(2): base-files lists "/bin" with nothing
// beneath, so on merged /usr it comes back among the symlinks. "/" and "/." are never returned.
struct PackageFiles {
    std::vector<std::string> directories;  // kept, or parents of something kept
    std::vector<std::string> files;        // regular files (and other non-directories)
    std::vector<std::string> symlinks;     // symlinks, not followed
    std::vector<std::string> missing;      // listed, but not on disk (deleted conffile, or a
                                           // path the host's own dpkg filters excluded)
};

class InstalledFiles {
  public:
    // `disk` is the tree the database describes (the host's, or a RootfsDisk, whose symlinks
    // resolve inside it as chroot(2) would); paths are absolute within it. Both must outlive
    // this. Give a CachingDisk shared with the rest of the closure, so that each path is asked
    // of the kernel once.
    explicit InstalledFiles(const DpkgDatabase& db, const Disk& disk = host_disk());

    // The path with the directory part resolved inside the root and the last component kept:
    // "/lib/x86_64-linux-gnu/libc.so.6" gives "/usr/lib/x86_64-linux-gnu/libc.so.6" when
    // /lib -> usr/lib, and "/bin" stays "/bin" (a symlink itself). The part of the directory that
    // does not exist is kept lexically. Cached per directory.
    std::string canonical(const std::string& path) const;

    // The installed packages that installed `path` as a non-directory, sorted by (name,
    // architecture); several for a file shared by co-installed Multi-Arch: same packages.
    // A listed path counts as a directory when any installed package lists something beneath
    // it: base-files lists "/bin" alone, but coreutils lists "/bin/cat", so "/bin" has no owner.
    // Entries are compared by canonical(), so with merged /usr
    // "/usr/lib/x86_64-linux-gnu/libc.so.6" finds libc6, which lists
    // "/lib/x86_64-linux-gnu/libc.so.6", while "/bin" finds no one (packages list it as a
    // directory). Diversions: a package's file at a diverted path belongs to the diverting package
    // only, and the file at the diversion's target to the other packages that list the original
    // path (dpkg-divert(1)). Reads every installed package's file list on first use. `path` must be
    // absolute.
    std::vector<const DpkgPackage*> owners_of(const std::string& path) const;

    // Where `package`'s listed `path` is on disk: the diversion's target when another package
    // (or the administrator) diverted it, else `path`.
    std::string installed_path(const DpkgPackage& package, const std::string& path) const;

    // The paths `packages` installed: each file list plus the conffiles that are not obsolete,
    // diversions applied, filtered by `selection` (which sees the path as listed), then
    // classified with lstat(2) on the disk.
    PackageFiles files_of(const std::vector<const DpkgPackage*>& packages,
                          const FileSelection& selection = {}) const;

  private:
    struct Listing {
        const DpkgPackage* package;
        const std::string* path;  // as listed: in the database's cached file list or conffiles
    };
    std::string canonical_dir(const std::string& dir, int depth = 0) const;
    const Diversion* diversion_from(const std::string& canonical_path) const;
    const Diversion* diversion_to(const std::string& canonical_path) const;
    void build_owner_index() const;

    const DpkgDatabase& db_;
    const Disk& disk_;
    // Looked up by views: the hash and equality of std::string_view, for std::string keys too.
    struct ViewHash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    mutable std::unordered_map<std::string, std::string, ViewHash, std::equal_to<>> canonical_dirs_;
    mutable std::optional<std::unordered_map<std::string, const Diversion*>> by_from_, by_to_;
    // Non-directory entries of every installed package's list (and conffiles), by last
    // component (a view into the listed path).
    mutable std::optional<std::unordered_map<std::string_view, std::vector<Listing>>> by_basename_;
};

}  // namespace ocitools
