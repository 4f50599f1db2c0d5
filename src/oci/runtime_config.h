// Typed OCI runtime configuration (opencontainers/runtime-spec config.md, config-linux.md) with
// the defaults in one place, serialised deterministically: fixed key order, optional fields
// omitted when unset, so the same request gives a byte-identical config.json.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/capabilities.h"

namespace ocitools::oci {

// A released runtime-spec version that runc 1.1 (spec 1.0.2-dev) accepts. The `platform` key of
// older specs, removed in 1.0.0-rc6, is never written.
inline constexpr const char* kOciVersion = "1.0.2";

struct User {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    bool operator==(const User&) const = default;
};

// process.capabilities, as the spec computes them; empty sets are omitted.
using Capabilities = CapabilitySets;

struct Rlimit {
    std::string type;  // RLIMIT_NOFILE, ...
    std::uint64_t hard = 0;
    std::uint64_t soft = 0;
};

struct Process {
    bool terminal = false;
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
    std::optional<Capabilities> capabilities;
    std::vector<Rlimit> rlimits;
    bool no_new_privileges = false;
};

struct Root {
    std::string path = "rootfs";
    bool readonly = false;
};

struct Mount {
    std::string destination;
    std::string type;
    std::string source;
    std::vector<std::string> options;  // omitted when empty
};

struct Namespace {
    std::string type;
};

// linux.uidMappings / gidMappings entries (config-linux.md, "User namespace mappings").
struct IdMapping {
    std::uint32_t container_id = 0;
    std::uint32_t host_id = 0;
    std::uint32_t size = 0;
};

struct Linux {
    std::vector<IdMapping> uid_mappings;  // omitted when empty
    std::vector<IdMapping> gid_mappings;
    std::vector<Namespace> namespaces;
    std::vector<std::string> masked_paths;  // omitted when empty
    std::vector<std::string> readonly_paths;
};

struct RuntimeConfig {
    std::string oci_version = kOciVersion;
    Process process;
    Root root;
    std::optional<std::string> hostname;
    std::vector<Mount> mounts;
    Linux linux_config;
};

// The seed's (nixpkgs buildContainer's) system mounts, in mount order: /proc, /dev, /dev/pts,
// /dev/shm, /dev/mqueue, /sys, /sys/fs/cgroup, with its options.
std::vector<Mount> system_mounts();
// The seed's namespaces: pid, network, mount, ipc, uts.
std::vector<Namespace> default_namespaces();
// runc spec's locked-down defaults: the paths masked (a /dev/null or empty tmpfs over them) and
// made read-only in the container, so it cannot read kernel memory or reconfigure the host.
std::vector<std::string> default_masked_paths();
std::vector<std::string> default_readonly_paths();
// runc spec's RLIMIT_NOFILE 1024 (soft and hard).
std::vector<Rlimit> default_rlimits();
// A config holding all the defaults: system mounts, namespaces, uid 0, cwd "/", no args,
// noNewPrivileges, rlimits, masked and read-only paths. Capabilities come from the request.
RuntimeConfig default_config();

// What `runc spec --rootless` does (runc's specconv.ToRootless), for a bundle run by the user
// `host_uid`:`host_gid`: add a user namespace mapping container root to that user (size 1);
// replace /sys (sysfs needs privilege over the network namespace) with a read-only recursive
// bind of the host's; drop the cgroup mount (the /sys bind brings the host's); remove the
// uid=/gid= options no mapped id can satisfy (devpts' gid=5). The seed's other namespaces stay.
void make_rootless(RuntimeConfig& config, std::uint32_t host_uid, std::uint32_t host_gid);

// True for a uid=N / gid=N mount option whose id the mappings do not map (the mount would fail).
bool has_unmapped_id_option(const RuntimeConfig& config, const std::string& option);

// The config.json text: two-space indented, a final newline, keys in a fixed order.
std::string serialize(const RuntimeConfig& config);

}  // namespace ocitools::oci
