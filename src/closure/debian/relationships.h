// Package interrelationship fields (deb-control(5), "Package interrelationship fields"):
// Depends, Pre-Depends, Provides... A field is a comma-separated list of dependencies, each a
// '|'-separated list of alternatives.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "closure/debian/deb822.h"

namespace ocitools {

// One alternative of a relationship field:
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

}  // namespace ocitools
