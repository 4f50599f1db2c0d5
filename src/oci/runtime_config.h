// Typed OCI runtime configuration (opencontainers/runtime-spec config.md, config-linux.md) with
// the defaults in one place, serialised deterministically: fixed key order, optional fields
// omitted when unset, so the same request gives a byte-identical config.json.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ocitools::oci {

// A released runtime-spec version that runc 1.1 (spec 1.0.2-dev) accepts. The `platform` key of
// older specs, removed in 1.0.0-rc6, is never written.
inline constexpr const char* kOciVersion = "1.0.2";

struct User {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
};

struct Process {
    bool terminal = false;
    User user;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::string cwd = "/";
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

struct Linux {
    std::vector<Namespace> namespaces;
};

struct RuntimeConfig {
    std::string oci_version = kOciVersion;
    Process process;
    Root root;
    std::vector<Mount> mounts;
    Linux linux_config;
};

// The seed's (nixpkgs buildContainer's) system mounts, in mount order: /proc, /dev, /dev/pts,
// /dev/shm, /dev/mqueue, /sys, /sys/fs/cgroup, with its options.
std::vector<Mount> system_mounts();
// The seed's namespaces: pid, network, mount, ipc, uts.
std::vector<Namespace> default_namespaces();
// A config holding all the defaults: system mounts, namespaces, uid 0, cwd "/", no args.
RuntimeConfig default_config();

// The config.json text: two-space indented, a final newline, keys in a fixed order.
std::string serialize(const RuntimeConfig& config);

}  // namespace ocitools::oci
