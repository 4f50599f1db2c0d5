// DpkgDatabase: what dpkg(1) knows about the installed packages, read from its admin directory
// (/var/lib/dpkg unless dpkg was told `--admindir`):
//   status        one stanza per package, in the deb822 syntax of deb-control(5), with dpkg's own
//                 fields (Status, Conffiles) besides the package's control fields;
//   updates/NNNN  journal entries (one stanza each) that dpkg has not folded into `status` yet;
//                 dpkg and dpkg-query apply them on top of `status` when they read it, so we do
//                 too;
//   info/P.list   the paths package P installed, one per line, every parent directory listed too
//                 (info/P:ARCH.list for Multi-Arch: same packages, so that co-installed
//                 architectures of one package do not share a file);
//   diversions    dpkg-divert(1)'s table: triplets of lines "from", "to", diverting package or
//                 ":" for a local (administrator's) diversion.
// Everything is parsed at the boundary into types (DpkgPackage, Dependency, Diversion); a
// malformed file is a DpkgFormatError naming the file and line, an unreadable one a SystemError.
// Nothing is executed: this is a reader, the database is never locked or written.
#pragma once

#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "fs/file_bytes.h"
#include "base/reporter.h"
#include "closure/debian/deb822.h"
#include "closure/debian/dpkg_package.h"
#include "closure/debian/relationships.h"
#include "fs/real_disk.h"

namespace ocitools {

// One entry of the diversions table (dpkg-divert(1)): every package's `from`, except the
// diverting package's own, is installed at `to`. A local diversion (package ":") applies to all.
struct Diversion {
    std::string from;
    std::string to;
    std::optional<std::string> package;  // nullopt for a local diversion

    bool operator==(const Diversion&) const = default;
};

class DpkgDatabase {
  public:
    static constexpr std::string_view kDefaultAdminDir = "/var/lib/dpkg";

    // Read `status` (and `updates/`) and `diversions` of `admin_dir`; file lists are read on
    // demand, all from `disk` (which must outlive the database; `admin_dir` is a path on it).
    // `native_architecture` empty means dpkg's own: dpkg's native architecture is the
    // one it was built for, i.e. the Architecture of the installed `dpkg` package; without one,
    // the architecture ocitools was built for. `reporter` receives the warnings dpkg itself
    // gives (a package whose file list is missing). Throws SystemError or DpkgFormatError.
    explicit DpkgDatabase(std::filesystem::path admin_dir = std::string(kDefaultAdminDir),
                          std::string native_architecture = {}, Reporter reporter = {},
                          const Disk& disk = host_disk());
    // Packages are known by address (file_list's cache) and view the database's strings.
    DpkgDatabase(const DpkgDatabase&) = delete;
    DpkgDatabase& operator=(const DpkgDatabase&) = delete;

    const std::filesystem::path& admin_dir() const { return admin_dir_; }
    const std::string& native_architecture() const { return native_; }

    // Every stanza, installed or not, in the order of `status` (journal entries replace the
    // stanza of the same name and architecture in place, or come last).
    const std::vector<DpkgPackage>& packages() const { return packages_; }
    // The installed instances of `name`, any architecture (several only for Multi-Arch: same
    // packages co-installed for several architectures), in status order.
    std::vector<const DpkgPackage*> installed(std::string_view name) const;
    // The installed packages whose Provides names `virtual_name`, in status order.
    std::vector<const DpkgPackage*> providers(std::string_view virtual_name) const;
    // The architecture that dependency resolution uses for `package`: "all" and "" count as the
    // native architecture (as in dpkg's deparchsatisfied()).
    const std::string& effective_architecture(const DpkgPackage& package) const;

    const std::vector<Diversion>& diversions() const { return diversions_; }

    // The file list `info/<name>.list`, or `info/<name>:<arch>.list` for Multi-Arch: same
    // (dpkg's pkg_infodb_get_file; the other name is tried too, for a database caught between
    // layouts), in file order, read once and cached. A missing list is, as for dpkg, a warning and
    // an empty list. `package` must be one of packages() (the cache is keyed by its address,
    // and the strings stay valid as long as the database). Not thread-safe. Throws SystemError,
    // or DpkgFormatError for an empty or relative line.
    const std::vector<std::string>& file_list(const DpkgPackage& package) const;
    // Each path of the same list, in file order, without caching it (the cached list when
    // file_list has read it): for one pass over every installed package's list. A list is
    // read into `scratch` when given (one pass reuses it for every package), or mapped when
    // larger (FileBytes). With `any_of`, a list read here whose text holds none of those
    // strings is skipped unsplit (it lists no path that holds one).
    void for_each_listed(const DpkgPackage& package,
                         const std::function<void(std::string_view)>& visit,
                         std::vector<std::byte>* scratch,
                         const std::vector<std::string>& any_of = {}) const;
    // False when `package`'s list is read and its text holds none of `any_of`, so that
    // for_each_listed with the same `any_of` would visit nothing; true otherwise (a cached,
    // missing or unreadable list too: for_each_listed reports those). Thread-safe while nothing
    // else uses the database: it neither warns nor caches, for reading many lists at once.
    bool may_list_any(const DpkgPackage& package, std::vector<std::byte>* scratch,
                      const std::vector<std::string>& any_of) const noexcept;

  private:
    // The whole file, or nullopt when it does not exist and `missing_ok`. Throws SystemError.
    std::optional<std::string> read_file(const std::filesystem::path& path,
                                         bool missing_ok) const;
    void read_status();
    // The bytes of `package`'s file list (FileBytes, into `scratch`) and its path, or nullopt
    // (with dpkg's warning).
    // The path is a string: a std::filesystem::path splits itself into components when made,
    // which cost more than reading a short list.
    std::optional<FileBytes> read_list(const DpkgPackage& package, std::string& file,
                                       std::vector<std::byte>* scratch, bool warn = true) const;
    void read_diversions();
    void index();

    const Disk& disk_;
    std::filesystem::path admin_dir_;
    std::string info_dir_;  // admin_dir_/info/
    std::string native_;
    Reporter reporter_;
    std::vector<DpkgPackage> packages_;
    std::vector<Diversion> diversions_;
    std::deque<std::string> sources_;  // the files read, which DpkgPackage::source views
    // Views of the packages' names, which never move once read.
    std::unordered_map<std::string_view, std::vector<size_t>> installed_by_name_;
    std::unordered_map<std::string_view, std::vector<size_t>> providers_by_name_;
    mutable std::map<const DpkgPackage*, std::vector<std::string>> file_lists_;
};

}  // namespace ocitools
