// The deprecated `os` / `arch` keys of nixpkgs' buildContainer, checked against Go's GOOS and
// GOARCH names (the runtime spec's `platform` used them before 1.0.0-rc6 removed it). We copy host
// binaries, so any platform other than the host's is an error.
#pragma once

#include <optional>
#include <string>

namespace ocitools {

// The host's GOOS / GOARCH (e.g. "linux", "amd64").
std::string host_goos();
std::string host_goarch();

// Map an `arch` value to its GOARCH name: "x86_64" (nixpkgs' default) is an alias of "amd64".
// Returns nullopt for names Go does not know.
std::optional<std::string> normalize_goarch(const std::string& arch);
bool is_known_goos(const std::string& os);

// Throws SpecError naming the key when a value is unknown or is not the host's.
void check_platform(const std::optional<std::string>& os, const std::optional<std::string>& arch);

}  // namespace ocitools
