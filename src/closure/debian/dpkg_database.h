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
// Everything is parsed at the boundary into the types below; a malformed file is a
// DpkgFormatError naming the file and line, an unreadable one a SystemError. Nothing is executed:
// this is a reader, the database is never locked or written.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "base/reporter.h"
#include "fs/real_disk.h"

namespace ocitools {

// A dpkg database file (or a relationship field) that does not follow its syntax. The message
// starts with "<file>:<line>: " when it comes from a file.
class DpkgFormatError : public FormatError {
  public:
    using FormatError::FormatError;
};

// One alternative of a relationship field (deb-control(5), "Package interrelationship fields"):
//   name[:archqual] [(relation version)] [[arch ...]] [<profile ...>]...
// Installed binary packages carry only the first two parts; the restriction lists belong to
// source packages (deb-src-control(5)) but are accepted, as dpkg's parser accepts them.
struct DependencyAlternative {
    std::string name;
    // "" (none: the depending package's own architecture), "any" (any architecture, if the
    // target is Multi-Arch: allowed), "native", or an architecture name.
    std::string arch_qualifier;
    // "<<", "<=", "=", ">=", ">>" (the obsolete "<" and ">" are read as "<=" and ">=", as dpkg
    // does), or "" when unversioned. Kept for messages; the package closure ignores versions.
    std::string relation;
    std::string version;
    // Architecture restriction, e.g. {"amd64", "i386"} or {"!hurd-any"}: empty means all.
    std::vector<std::string> architectures;
    // Build-profile restriction formula: a disjunction of the <...> lists, each a conjunction of
    // terms such as "nocheck" or "!stage1". Empty means always.
    std::vector<std::vector<std::string>> profiles;

    // Whether the alternative applies on architecture `arch` with no build profile active. The
    // architecture wildcards understood are "any", "OS-any" and "any-CPU" for the Linux
    // architecture names Debian uses (dpkg-architecture(1) has the full tuple table).
    bool applies_to(std::string_view arch) const;

    // "name[:archqual]", the part that decides which package satisfies it.
    std::string target() const;
    // The alternative as it would be written back, e.g. "libc6:any (>= 2.36) [amd64]".
    std::string to_string() const;

    bool operator==(const DependencyAlternative&) const = default;
};

// One comma-separated element of a relationship field: satisfied by any of its alternatives
// ("a | b"), tried in order.
struct Dependency {
    std::vector<DependencyAlternative> alternatives;

    std::string to_string() const;  // "a | b:any"
    bool operator==(const Dependency&) const = default;
};

// Parse the value of a relationship field (Depends, Pre-Depends, Provides...). Whitespace,
// including the newlines of folded fields, may separate any two tokens; an empty value and a
// trailing comma are accepted. Throws DpkgFormatError (without a file name) on a syntax error.
std::vector<Dependency> parse_relationships(std::string_view value);

enum class MultiArch { No, Same, Foreign, Allowed };

// The third word of the Status field (dpkg(1), "Package states").
enum class PackageState {
    NotInstalled,
    ConfigFiles,
    HalfInstalled,
    Unpacked,
    HalfConfigured,
    TriggersAwaited,
    TriggersPending,
    Installed,
};

// One line of the Conffiles field: " /etc/foo.conf <md5> [obsolete] [remove-on-upgrade]".
struct Conffile {
    std::string path;
    std::string hash;       // md5 of the shipped version ("newconffile" while being unpacked)
    bool obsolete = false;  // no longer shipped by the package; dpkg leaves it in place
    bool remove_on_upgrade = false;  // will be removed by the next upgrade
};

struct DpkgPackage {
    std::string name;
    // As recorded: "amd64", "all", or "" for stanzas without the field (not-installed records,
    // databases older than multiarch). See DpkgDatabase::effective_architecture.
    std::string architecture;
    MultiArch multi_arch = MultiArch::No;
    std::string version;
    std::string want;    // first word of Status: unknown, install, hold, deinstall, purge
    std::string eflag;   // second word: ok, reinstreq
    PackageState state;  // third word
    std::vector<Dependency> pre_depends;
    std::vector<Dependency> depends;
    std::vector<DependencyAlternative> provides;  // virtual packages, each maybe "(= version)"
    std::vector<Conffile> conffiles;
    std::filesystem::path source;  // the file and line of the stanza, for messages
    int line = 0;

    // Whether the package counts as installed for dependencies: its files are in place and it
    // has been configured (dpkg(1): "installed", and "triggers-awaited"/"triggers-pending",
    // which are configured packages waiting for trigger processing). "unpacked" and
    // "half-configured" packages do not satisfy Depends, as in dpkg.
    bool installed() const;
    // dpkg-query's ${binary:Package}: "name:arch" for Multi-Arch: same packages, else "name".
    std::string binary_package() const;
};

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

  private:
    // The whole file, or nullopt when it does not exist and `missing_ok`. Throws SystemError.
    std::optional<std::string> read_file(const std::filesystem::path& path,
                                         bool missing_ok) const;
    void read_status();
    void read_diversions();
    void index();

    const Disk& disk_;
    std::filesystem::path admin_dir_;
    std::string native_;
    Reporter reporter_;
    std::vector<DpkgPackage> packages_;
    std::vector<Diversion> diversions_;
    std::unordered_map<std::string, std::vector<size_t>> installed_by_name_;
    std::unordered_map<std::string, std::vector<size_t>> providers_by_name_;
    mutable std::map<const DpkgPackage*, std::vector<std::string>> file_lists_;
};

const char* to_string(PackageState state);
const char* to_string(MultiArch multi_arch);

}  // namespace ocitools
