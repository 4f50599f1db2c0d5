// DpkgPackage: one stanza of dpkg's status file (dpkg(1), deb-control(5)), parsed into types:
// the package's identity, its state, the relationships the package closure follows, and its
// conffiles.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "closure/debian/deb822.h"
#include "closure/debian/relationships.h"

namespace ocitools {

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
    // The file and line of the stanza, for messages. The file name is the reader's (for a
    // DpkgDatabase, valid as long as the database).
    std::string_view source;
    int line = 0;

    // Parse a status stanza of `file` (which `source` will view). Throws DpkgFormatError naming
    // the file, the line and the field.
    static DpkgPackage parse(const Deb822Paragraph& stanza, std::string_view file);

    // Whether the package counts as installed for dependencies: its files are in place and it
    // has been configured (dpkg(1): "installed", and "triggers-awaited"/"triggers-pending",
    // which are configured packages waiting for trigger processing). "unpacked" and
    // "half-configured" packages do not satisfy Depends, as in dpkg.
    bool installed() const;
    // dpkg-query's ${binary:Package}: "name:arch" for Multi-Arch: same packages, else "name".
    std::string binary_package() const;
};

const char* to_string(PackageState state);
const char* to_string(MultiArch multi_arch);

// Packages in order of (name, architecture): how package sets are sorted.
bool by_name_and_arch(const DpkgPackage* a, const DpkgPackage* b);

}  // namespace ocitools
