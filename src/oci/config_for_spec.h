// The mapping from a checked ContainerSpec to the OCI runtime config: the process (args,
// environment, user, capabilities), the root, and the user's mounts merged into the system ones.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oci/runtime_config.h"
#include "spec/container_spec.h"

namespace ocitools {

// The user ocitools runs as. A non-root builder gets a rootless bundle by default, and a rootless
// bundle maps container root to the builder (who owns the rootfs it wrote).
struct HostIds {
    std::uint32_t uid = 0;
    std::uint32_t gid = 0;
    static HostIds current();  // geteuid(), getegid()
};

// What the config depends on besides the spec.
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

// The runtime config for a checked spec, whose process gets the environment `env` (computed
// once with the roots: roots/roots.h, container_environment). Throws SpecError for settings that
// cannot work together (a non-root user or a uid=/gid= mount option in a rootless bundle).
oci::RuntimeConfig runtime_config_for(const ContainerSpec& spec,
                                      const std::vector<std::string>& env,
                                      const ConfigInputs& inputs = {});

// Merge the user's mounts (sorted, so parents first) into `mounts`. A user mount at a mount's
// destination (compared lexically normalised: "/a/./b/" is "/a/b") replaces it in place; any other
// goes before the first mount beneath it, else at the end.
void merge_mounts(std::vector<oci::Mount>& mounts, const std::vector<MountSpec>& user);

}  // namespace ocitools
