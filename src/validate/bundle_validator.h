// Checks a bundle the way opencontainers runtime-tools' `validate` does (required fields and their
// types, SemVer ociVersion, absolute cwd and mount destinations, known and unique namespaces, the
// root directory) and what makes it runnable: args[0] exists in the rootfs, found through the
// container's PATH when it has no '/', and is executable.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace ocitools {

// Every problem found, one sentence each; empty when the bundle is valid. Never throws for a bad
// bundle (only for a bug); an unreadable config.json is itself a problem.
std::vector<std::string> validate_bundle(const std::filesystem::path& bundle);

// SemVer 2.0.0 (semver.org), as runtime-spec requires of ociVersion.
bool is_semver(const std::string& version);

}  // namespace ocitools
