// PackageClosure: over a DpkgDatabase, installed packages and, transitively, what their Pre-Depends and Depends
//     need, resolved the way dpkg decides that a dependency is satisfied (deb-control(5),
//     dpkg's deparchsatisfied()), versions aside;
// Nothing here copies or executes anything; the closure walk turns the results into plan entries.
#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "closure/debian/dpkg_database.h"

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

    // Why `package` is in the set, in a few words: "python3 (named)", "libc6 (Depends of
    // python3)", "perl-base (owns /usr/bin/perl)". Empty when it is not in the set.
    std::string why(const DpkgPackage& package) const;

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
    std::set<const DpkgPackage*> pre_depended_;  // brought by a Pre-Depends of their parent
};

// The closures of `requests` ("name" or "name:arch"), sorted by (name, architecture).
std::vector<const DpkgPackage*> package_closure(const DpkgDatabase& db,
                                                const std::vector<std::string>& requests);

}  // namespace ocitools
