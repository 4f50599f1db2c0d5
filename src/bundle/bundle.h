// Bundle: orchestration only. Resolve the closure, then build the bundle (config.json + rootfs/)
// in a temporary sibling of the output and rename it into place at the end, so a failure or a
// kill never leaves a half-built bundle at the target.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "closure/closure.h"
#include "oci/runtime_config.h"
#include "base/progress.h"
#include "base/reporter.h"
#include "spec/container_spec.h"

namespace ocitools {

// The user ocitools runs as. A non-root builder gets a rootless bundle by default, and a rootless
// bundle maps container root to the builder (who owns the rootfs it wrote).
struct HostIds {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    static HostIds current();  // geteuid(), getegid()
};

struct BuildOptions {
    std::filesystem::path output;
    bool force = false;            // replace an existing output
    std::string host_search_path;  // the host PATH, to find a bare program name
    HostIds builder = HostIds::current();
    ClosureOptions closure = ClosureOptions::from_environment();  // Nix store, packages
    unsigned jobs = 0;  // copying threads; 0: one per core, at most 8
    // spec.link == hardlink with a writable root is refused unless this is set (the user typed
    // --link hardlink); it is then only warned about.
    bool allow_writable_hardlinks = false;
    Progress* progress = nullptr;  // files and bytes written, when set
};

// What the config depends on besides the spec and the closure.
struct ConfigInputs {
    HostIds builder;  // root unless set
    // The process user as resolved in the rootfs (see resolve_process_user). Unset: resolved
    // from spec.user alone (numbers, or root and nobody of the minimal /etc/passwd).
    std::optional<ResolvedUser> user;
};

// spec.rootless, or whether the builder is not root.
bool is_rootless(const ContainerSpec& spec, const HostIds& builder);

// The process user: spec.user (root when unset) looked up in the rootfs's /etc/passwd and
// /etc/group, or in the minimal ones ocitools writes when the rootfs has none.
ResolvedUser resolve_process_user(const ContainerSpec& spec,
                                  const std::optional<std::string>& passwd,
                                  const std::optional<std::string>& group);

// The runtime config for a checked spec, whose process gets the environment `env` (the roots',
// roots/roots.h). Throws SpecError for settings that cannot work together (a non-root user or a
// uid=/gid= mount option in a rootless bundle).
oci::RuntimeConfig runtime_config_for(const ContainerSpec& spec,
                                      const std::vector<std::string>& env,
                                      const ConfigInputs& inputs = {});

// Check the spec, compute the closure, write the bundle. Throws Error; nothing is left at the
// output path (nor in its parent) when it does.
void build_bundle(const ContainerSpec& spec, const BuildOptions& options, const Reporter& reporter);

}  // namespace ocitools
