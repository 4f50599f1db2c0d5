// ContainerSpec: the user's request, parsed and checked at the boundary. The JSON keys are those
// of nixpkgs' ociTools.buildContainer (args, mounts, readonly, os, arch), so `nix eval --json` of
// its attribute set can feed us, plus ocitools' own: include, and the process settings named like
// the command-line flags (env, cwd, user, hostname, terminal, rootless, capAdd, capDrop, link).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/reporter.h"
#include "spec/link_mode.h"
#include "spec/process_user.h"

namespace ocitools {

// One extra mount, as the runtime spec's `mounts` entries (config.md, "Mounts").
struct MountSpec {
    std::string destination;  // absolute path in the container
    std::string type;         // "bind", "tmpfs", ...
    std::string source;       // host path for bind mounts, else a device or a name
    std::vector<std::string> options;

    bool is_bind() const;
    bool operator==(const MountSpec&) const = default;
};

struct ContainerSpec {
    std::vector<std::string> args;  // the command, as the user wrote it; never empty once checked
    std::vector<MountSpec> mounts;  // sorted by destination, so parents come before children
    bool readonly = false;
    std::vector<std::string> include;  // host paths copied on purpose (directories recursively)
    // Installed Debian packages ("python3", "libc6:amd64") brought with their dependencies.
    std::vector<std::string> packages;
    // Deprecated platform keys, kept only to be checked against the host.
    std::optional<std::string> os;
    std::optional<std::string> arch;

    // Process settings, as runc's and podman's flags of the same names.
    std::vector<std::string> env;         // "KEY=VALUE", one per key, in the order first given
    std::optional<std::string> cwd;       // absolute; "/" when unset
    std::optional<UserSpec> user;         // root (0:0) when unset
    std::optional<std::string> hostname;  // needs the uts namespace, which is always there
    bool terminal = false;
    std::optional<bool> rootless;      // unset: rootless when a non-root user builds
    std::vector<std::string> cap_add;  // canonical names (CAP_NET_RAW) or ALL
    std::vector<std::string> cap_drop;

    // How files reach the rootfs; copy when unset. A hard-linked writable root is refused unless
    // asked for on the command line (BuildOptions::allow_writable_hardlinks).
    std::optional<LinkMode> link;

    // Trace mode: run the command once on this machine, under ptrace, and add every file it
    // looked up to the closure.
    bool trace = false;
    double trace_timeout = 10;   // seconds; then the traced run is killed
    bool trace_network = false;  // the traced run shares the host's network
};

// Parse a spec document. `origin` names it in error messages (a file name). Unknown keys, wrong
// types and bad values throw SpecError naming the key. Deprecated keys are reported as warnings.
ContainerSpec parse_spec(const nlohmann::json& doc, const std::string& origin,
                         const Reporter& reporter);

// Read and parse a spec file; malformed JSON is reported with the file, line and column.
ContainerSpec load_spec_file(const std::filesystem::path& path, const Reporter& reporter);
// Parse a spec document given as text; `origin` names it in errors ("--spec-json").
ContainerSpec parse_spec_text(const std::string& text, const std::string& origin,
                              const Reporter& reporter);

// Parse the `destination -> {type, source, options}` form of one mount (also used by flags).
MountSpec parse_mount(const std::string& destination, const nlohmann::json& value,
                      const std::string& key);

// A `type: bind` mount gets the "rbind" option unless it has "bind" or "rbind".
void add_bind_option(MountSpec& mount);

// Checks that need the whole request (after flags are merged): non-empty args, absolute mount
// destinations, existing bind sources, unique destinations, the platform matching the host.
void check_spec(const ContainerSpec& spec);

// Why runc would refuse a mount at `destination`, or nullopt: a relative path, "/" (it would hide
// the root), and "/proc" or beneath it but for the files runc lets lxcfs provide
// (libcontainer's checkProcMount). Shared with `ocitools validate`.
std::optional<std::string> mount_destination_problem(const std::string& destination);

// Set one "KEY=VALUE" environment entry, replacing an earlier one with the same KEY in place.
// `key` names the flag or spec key in errors: an entry without '=' or with an empty KEY is a
// SpecError (podman's `--env KEY` copying the host's value would make the bundle depend on the
// shell it was built from).
void set_env(std::vector<std::string>& env, const std::string& entry, const std::string& key);

// Throws SpecError unless `name` is a hostname the kernel and resolvers accept: 1 to 64
// characters (HOST_NAME_MAX), letters, digits, '-' and '.', not starting with '-' or '.'.
void check_hostname(const std::string& name, const std::string& key);

// `seconds` when it is a usable trace timeout (more than 0, at most a day); else a SpecError
// naming `key`.
double check_trace_timeout(double seconds, const std::string& key);

// Add `mount`, replacing a mount with the same destination, and keep the list sorted.
void add_mount(std::vector<MountSpec>& mounts, MountSpec mount);

}  // namespace ocitools
