// InstalledFiles: which package owns a path, and which paths a set of packages installed, with
// diversions (dpkg-divert(1)) applied and merged /usr taken into account. Nothing here copies or
// executes anything; the closure walk turns the results into plan entries.
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

#include "closure/debian/dpkg_database.h"
#include "closure/debian/file_selection.h"
#include "fs/real_disk.h"

namespace ocitools {

// The paths a set of packages installed, as dpkg lists them (diversions applied), split by what
// they are on disk, each sorted and without duplicates. A listed path is a directory when the
// same package lists a path beneath it (dpkg lists every parent), whatever it is on disk: on a
// merged-/usr system "/bin" and "/lib" are such directories, symlinks on disk, so add them
// through HostPaths, which records the symlink and the real directory, never as real
// directories. Other paths are classified by lstat(2): base-files lists "/bin" with nothing
// beneath, so on merged /usr it comes back among the symlinks. "/" and "/." are never returned.
// Paths a package lists that are not on disk: a deleted conffile, a path the host's own dpkg
// filters left out, files an in-place upgrade removed (`npm install -g npm` under nodejs).
// dpkg tolerates them (`dpkg --verify` reports them); so does the closure.
struct MissingFiles {
    std::string package;             // "nodejs:amd64"
    std::vector<std::string> paths;  // sorted, directories too
    bool operator==(const MissingFiles&) const = default;
};

struct PackageFiles {
    std::vector<std::string> directories;  // kept, or parents of something kept
    std::vector<std::string> files;        // regular files (and other non-directories)
    std::vector<std::string> symlinks;     // symlinks, not followed
    std::vector<MissingFiles> missing;     // listed, but not on disk: per package, in the
                                           // order given, only packages missing some
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

    // What maintainer scripts made where a package left room for it, in no file list
    // (update-ca-certificates' /etc/ssl/certs/*.pem links and ca-certificates.crt): the entries
    // directly inside each directory under /etc that one of `packages` lists with nothing
    // beneath it, that no installed package lists and `selection` keeps, and that are symlinks
    // or regular files readable by all (a private key never is). Subdirectories are not
    // entered. Sorted.
    std::vector<std::string> generated_files(const std::vector<const DpkgPackage*>& packages,
                                             const FileSelection& selection = {}) const;

  private:
    struct Listing {
        const DpkgPackage* package;
        const std::string* path;  // as listed: in the database's cached file list or conffiles
    };
    std::string canonical_dir(const std::string& dir, int depth = 0) const;
    // Which of `candidates` (files under /etc, as listed: no directory of theirs is a
    // symlink dpkg would resolve) an installed package installed, by owners_of's rules, in one
    // pass over the raw file lists instead of owners_of's index of every listed path, which
    // costs a string and a hash entry per path (a quarter of a second on a machine with 900
    // packages), for the few paths generated_files asks about.
    std::set<std::string> installed_among(const std::set<std::string>& candidates) const;
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
